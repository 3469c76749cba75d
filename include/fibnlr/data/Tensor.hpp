#pragma once
#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fibnlr/data/DataType.hpp"

namespace fibnlr {

using Shape = std::vector<std::size_t>;

std::size_t numElements(const Shape& dims);
std::string toString(const Shape& dims);

/// What a tensor's bytes were at some moment: `storage` is unique to the
/// storage (never reused by another allocation or wrap), `writes` counts the
/// non-const accesses to it. Two equal stamps with storage ≠ 0 mean the
/// contents were not written through the API in between, so a kernel may keep
/// what it derived from them (packed or transformed weights) without
/// rereading them. storage = 0: an empty tensor, never equal to a kept stamp.
struct TensorStamp {
    std::uint64_t storage = 0, writes = 0;
    bool operator==(const TensorStamp& o) const { return storage == o.storage && writes == o.writes; }
    bool operator!=(const TensorStamp& o) const { return !(*this == o); }
};

/// A dense, contiguous, row-major n-d array.
///
/// Copying a Tensor shares its storage (like a numpy view); clone() copies the
/// data. Storage is either owned (allocated by the tensor) or borrowed from an
/// owner kept alive through `owner`, which is how numpy arrays are shared
/// without a copy in both directions.
///
/// Writes are tracked per storage (see TensorStamp): every non-const access
/// to the data (data<T>(), rawData(), resize()) counts as a write, by any copy
/// of the tensor. Writes the API cannot see: through a pointer kept from an
/// earlier access, or to a buffer given to wrap() by its owner (a numpy array
/// passed to fibnlr keeps being the caller's memory). After such a write call
/// markWritten(), or kernels may keep using what they derived before it.
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

    void* rawData() {
        markWritten();
        return mData;
    }
    const void* rawData() const { return mData; }
    template <class T> T* data() {
        assert(mType == dataTypeOf<T>());
        markWritten();
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
    /// The contents' identity now (see TensorStamp); cheap, reads no data.
    TensorStamp stamp() const {
        return mWrites ? TensorStamp{mStorageId, mWrites->load(std::memory_order_acquire)} : TensorStamp{};
    }
    /// Records a write to the data made outside data<T>()/rawData() (see the class comment).
    void markWritten() const {
        if (mWrites) mWrites->fetch_add(1, std::memory_order_acq_rel);
    }
    /// True when both tensors use the same bytes.
    bool sharesStorageWith(const Tensor& other) const { return mData == other.mData; }

private:
    /// Gives the tensor a new storage identity (after allocating or wrapping).
    void newStorage();

    std::shared_ptr<void> mOwner;
    /// Shared by every copy and view of the storage.
    std::shared_ptr<std::atomic<std::uint64_t>> mWrites;
    std::uint64_t mStorageId = 0;
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
