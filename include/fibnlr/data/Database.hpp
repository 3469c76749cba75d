#pragma once
#include <cstddef>
#include <vector>

#include "fibnlr/data/Tensor.hpp"

namespace fibnlr {

/// A random-access set of items; each item is one tensor per modality (for
/// example image, label). Implementations must allow getItem() to be called
/// from several loader threads at once.
class Database {
public:
    virtual ~Database() = default;
    /// Item `index` (< len()): one tensor per modality, without the batch axis.
    virtual std::vector<Tensor> getItem(std::size_t index) const = 0;
    virtual std::size_t len() const = 0;
    virtual std::size_t getNbModalities() const = 0;
};

} // namespace fibnlr
