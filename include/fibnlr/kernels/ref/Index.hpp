#pragma once
#include <cassert>
#include <cstddef>
#include <vector>

#include "fibnlr/data/Tensor.hpp"

namespace fibnlr {

/// Index arithmetic shared by the ref kernels; row-major, last axis fastest.

/// Writes into `idx` (sized like `dims`) the multi-index of flat offset `i` in `dims`.
inline void unravel(std::size_t i, const Shape& dims, std::vector<std::size_t>& idx) {
    for (std::size_t a = dims.size(); a-- > 0;) idx[a] = i % dims[a], i /= dims[a];
}

/// Row-major element strides of `dims`.
inline std::vector<std::size_t> stridesOf(const Shape& dims) {
    std::vector<std::size_t> s(dims.size(), 1);
    for (std::size_t a = dims.size(); a-- > 1;) s[a - 1] = s[a] * dims[a];
    return s;
}

/// Offset into a tensor of dims `d` for the multi-index `idx` of a broadcast
/// result of rank >= d.size(): `d` is right-aligned and its size-1 dims read index 0.
inline std::size_t broadcastOffset(const Shape& d, const std::vector<std::size_t>& idx) {
    assert(idx.size() >= d.size());
    std::size_t off = 0;
    const std::size_t shift = idx.size() - d.size();
    for (std::size_t a = 0; a < d.size(); ++a) off = off * d[a] + (d[a] == 1 ? 0 : idx[a + shift]);
    return off;
}

/// A tensor seen as [outer, dim, inner] around one axis.
struct AxisView {
    std::size_t outer = 1, dim = 1, inner = 1;
};
inline AxisView axisView(const Shape& dims, std::size_t axis) {
    AxisView v;
    for (std::size_t a = 0; a < dims.size(); ++a) (a < axis ? v.outer : a == axis ? v.dim : v.inner) *= dims[a];
    return v;
}

} // namespace fibnlr
