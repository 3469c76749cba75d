#pragma once
#include <cstdint>
#include <stdexcept>
#include <string>

#include "fibnlr/data/Tensor.hpp"

namespace fibnlr {

/// Throws std::invalid_argument(what) when `cond` is false. For operator shape
/// rules and attribute checks; the caller adds the node name.
inline void require(bool cond, const std::string& what) {
    if (!cond) throw std::invalid_argument(what);
}

/// Normalises a possibly negative axis into [0, rank); throws when out of range.
std::size_t normalizeAxis(std::int64_t axis, std::size_t rank, const std::string& what);

/// Numpy broadcasting of two shapes; throws when incompatible.
Shape broadcastShapes(const Shape& a, const Shape& b);

} // namespace fibnlr
