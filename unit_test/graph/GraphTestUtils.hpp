#pragma once
// Shared by the unit_test/graph/test_*.cpp files.
#include "fibnlr/data/Tensor.hpp"

namespace fibnlr::test {

/// A tensor of `dims` holding start, start + step, start + 2·step, ... (row-major).
inline Tensor filled(Shape dims, float start, float step) {
    Tensor t(std::move(dims));
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] = start + step * static_cast<float>(i);
    return t;
}

} // namespace fibnlr::test
