#include "fibnlr/data/Tensor.hpp"

#include "fibnlr/data/Allocation.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "fibnlr/data/CheckedMath.hpp"

namespace fibnlr {

std::size_t numElements(const Shape& dims) {
    return checkedProduct(dims, "element count");
}

std::string toString(const Shape& dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) {
        if (i) s += ", ";
        s += std::to_string(dims[i]);
    }
    return s + "]";
}

void Tensor::newStorage() {
    static std::atomic<std::uint64_t> next{1};
    mStorageId = next.fetch_add(1, std::memory_order_relaxed);
    mWrites = std::make_shared<std::atomic<std::uint64_t>>(0);
}

Tensor::Tensor(Shape dims, DataType type) : mDims(std::move(dims)), mType(type) {
    mOwner = allocateAligned(checkedTensorBytes(mDims, sizeOf(mType), "Tensor"));
    mData = mOwner.get();
    newStorage();
}

Tensor Tensor::wrap(void* data, Shape dims, DataType type, std::shared_ptr<void> owner) {
    Tensor t;
    t.mOwner = std::move(owner);
    t.mData = data;
    t.mDims = std::move(dims);
    t.mType = type;
    if (data) t.newStorage();
    return t;
}

Tensor Tensor::clone() const {
    Tensor t(mDims, mType);
    if (mData) std::memcpy(t.mData, mData, nbBytes());
    return t;
}

Tensor Tensor::reshaped(Shape dims) const {
    if (numElements(dims) != size())
        throw std::invalid_argument("Tensor::reshaped: cannot view " + toString(mDims) + " as " + toString(dims));
    Tensor t = *this;
    t.mDims = std::move(dims);
    return t;
}

void Tensor::resize(const Shape& dims) {
    if (mData && numElements(dims) == size()) {
        mDims = dims;
        markWritten();  // the same bytes now mean other elements
        return;
    }
    // Allocate before changing anything: on std::bad_alloc or a size over the limit the tensor is unchanged.
    Shape newDims = dims;
    std::shared_ptr<void> owner = allocateAligned(checkedTensorBytes(newDims, sizeOf(mType), "Tensor::resize"));
    mDims = std::move(newDims);
    mOwner = std::move(owner);
    mData = mOwner.get();
    newStorage();
}

} // namespace fibnlr
