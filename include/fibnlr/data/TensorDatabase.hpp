#pragma once
#include <memory>
#include <vector>

#include "fibnlr/data/Database.hpp"

namespace fibnlr {

/// An in-memory Database over whole tensors, one per modality, sharing a
/// first (item) dimension. Items are views into those tensors: no copy.
class TensorDatabase : public Database {
public:
    /// Throws std::invalid_argument when there is no tensor, a tensor has rank
    /// 0, or the first dimensions differ.
    explicit TensorDatabase(std::vector<Tensor> modalities);
    std::vector<Tensor> getItem(std::size_t index) const override;
    std::size_t len() const override { return mLen; }
    std::size_t getNbModalities() const override { return mModalities.size(); }
    const std::vector<Tensor>& modalities() const { return mModalities; }
    /// Items [first, first + count) of modality `m` as one view (no copy).
    Tensor slice(std::size_t m, std::size_t first, std::size_t count) const;

private:
    std::vector<Tensor> mModalities;
    std::size_t mLen = 0;
};

} // namespace fibnlr
