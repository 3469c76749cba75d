#pragma once
// Window geometry shared by the cpu conv kernels (Conv.cpp, ConvPacked.cpp);
// internal to src/kernels/cpu.
#include <algorithm>
#include <cstddef>

namespace fibnlr::convgeo {

/// A 1-D or 2-D window seen as 2-D (a 1-D axis becomes W with H = 1).
struct Geo2d {
    std::size_t H = 1, W = 1, OH = 1, OW = 1, kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, ph = 0, pw = 0;
};
template <class P> Geo2d geo2d(const P& p) {
    Geo2d g;
    const std::size_t nd = p.kernel.size();
    const std::size_t a = nd - 1;  // W axis
    g.W = p.inDims[a], g.OW = p.outDims[a], g.kw = p.kernel[a], g.sw = p.strides[a], g.dw = p.dilations[a],
    g.pw = p.padBegin[a];
    if (nd == 2)
        g.H = p.inDims[0], g.OH = p.outDims[0], g.kh = p.kernel[0], g.sh = p.strides[0], g.dh = p.dilations[0],
        g.ph = p.padBegin[0];
    return g;
}

/// Output columns [lo, hi) whose tap at offset t = k·d reads inside [0, n): ox·s + t − pad ∈ [0, n).
inline void tapRange(std::size_t n, std::size_t on, std::size_t s, std::size_t t, std::size_t pad, std::size_t& lo,
                     std::size_t& hi) {
    lo = t >= pad ? 0 : (pad - t + s - 1) / s;
    hi = n + pad <= t ? 0 : std::min(on, (n - 1 + pad - t) / s + 1);
    if (lo > hi) lo = hi;
}

} // namespace fibnlr::convgeo
