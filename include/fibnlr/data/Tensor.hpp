#pragma once
#include <cassert>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "fibnlr/data/DataType.hpp"

namespace fibnlr {

using Shape = std::vector<std::size_t>;

std::size_t numElements(const Shape& dims);
std::string toString(const Shape& dims);

/// A dense, contiguous, row-major n-d array.
///
/// Copying a Tensor shares its storage (like a numpy view); clone() copies the
/// data. Storage is either owned (allocated by the tensor) or borrowed from an
/// owner kept alive through `owner`, which is how numpy arrays are shared
/// without a copy in both directions.
class Tensor {
public:
    Tensor() = default;
    /// Allocates zero-initialised storage.
    explicit Tensor(Shape dims, DataType type = DataType::Float32);
    /// Borrows `data`; `owner` keeps it alive as long as any copy of the tensor lives.
    static Tensor wrap(void* data, Shape dims, DataType type, std::shared_ptr<void> owner);
    template <class T> static Tensor fromVector(Shape dims, const std::vector<T>& values);

    const Shape& dims() const { return mDims; }
    std::size_t nbDims() const { return mDims.size(); }
    std::size_t dim(std::size_t i) const { return mDims.at(i); }
    std::size_t size() const { return numElements(mDims); }
    std::size_t nbBytes() const { return size() * sizeOf(mType); }
    DataType dataType() const { return mType; }
    bool empty() const { return mData == nullptr; }

    void* rawData() { return mData; }
    const void* rawData() const { return mData; }
    template <class T> T* data() {
        assert(mType == dataTypeOf<T>());
        return static_cast<T*>(mData);
    }
    template <class T> const T* data() const {
        assert(mType == dataTypeOf<T>());
        return static_cast<const T*>(mData);
    }
    template <class T> std::vector<T> toVector() const {
        const T* p = data<T>();
        return std::vector<T>(p, p + size());
    }

    /// Deep copy with owned storage.
    Tensor clone() const;
    /// Same storage seen with other dims; the element count must match.
    Tensor reshaped(Shape dims) const;
    /// Reallocates (zeroed) only when the byte size changes; otherwise keeps storage.
    void resize(const Shape& dims);
    /// True when both tensors use the same bytes.
    bool sharesStorageWith(const Tensor& other) const { return mData == other.mData; }

private:
    std::shared_ptr<void> mOwner;
    void* mData = nullptr;
    Shape mDims;
    DataType mType = DataType::Float32;
};

template <class T> Tensor Tensor::fromVector(Shape dims, const std::vector<T>& values) {
    Tensor t(std::move(dims), dataTypeOf<T>());
    assert(values.size() == t.size());
    std::copy(values.begin(), values.end(), t.data<T>());
    return t;
}

} // namespace fibnlr
