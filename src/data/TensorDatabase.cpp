#include "fibnlr/data/TensorDatabase.hpp"

#include <stdexcept>

namespace fibnlr {

TensorDatabase::TensorDatabase(std::vector<Tensor> modalities) : mModalities(std::move(modalities)) {
    if (mModalities.empty()) throw std::invalid_argument("TensorDatabase: expected at least one tensor, got none");
    for (std::size_t m = 0; m < mModalities.size(); ++m) {
        const Tensor& t = mModalities[m];
        if (t.nbDims() == 0 || t.empty())
            throw std::invalid_argument("TensorDatabase: modality " + std::to_string(m) +
                                        " has no item axis (rank 0 or no data)");
        if (t.dim(0) != mModalities[0].dim(0))
            throw std::invalid_argument("TensorDatabase: modality " + std::to_string(m) + " has " +
                                        std::to_string(t.dim(0)) + " items, modality 0 has " +
                                        std::to_string(mModalities[0].dim(0)));
    }
    mLen = mModalities[0].dim(0);
}

Tensor TensorDatabase::slice(std::size_t m, std::size_t first, std::size_t count) const {
    const Tensor& t = mModalities.at(m);
    if (first + count > mLen)
        throw std::invalid_argument("TensorDatabase: items [" + std::to_string(first) + ", " +
                                    std::to_string(first + count) + ") out of range (" + std::to_string(mLen) +
                                    " items)");
    Shape dims = t.dims();
    dims[0] = count;
    const std::size_t rowBytes = t.nbBytes() / mLen;
    auto* base = static_cast<char*>(const_cast<void*>(t.rawData())) + first * rowBytes;
    // The view keeps the whole tensor alive through a copy of it.
    auto owner = std::make_shared<Tensor>(t);
    return Tensor::wrap(base, dims, t.dataType(), owner);
}

std::vector<Tensor> TensorDatabase::getItem(std::size_t index) const {
    if (index >= mLen)
        throw std::invalid_argument("TensorDatabase: item " + std::to_string(index) + " out of range (" +
                                    std::to_string(mLen) + " items)");
    std::vector<Tensor> item;
    for (std::size_t m = 0; m < mModalities.size(); ++m) {
        Tensor row = slice(m, index, 1);
        Shape dims(row.dims().begin() + 1, row.dims().end());
        item.push_back(row.reshaped(dims));
    }
    return item;
}

} // namespace fibnlr
