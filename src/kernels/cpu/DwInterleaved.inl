// Micro::dwInterleaved, dwInterleave and dwDeinterleave: a depthwise window
// over W = FIBNLR_GEMM_W channels at once, stored interleaved (one vector per
// pixel, lane l = channel l), and the W × W transposes into and out of that
// layout (kernels/cpu/DwConvInterleaved.cpp). Included
// by the micro-kernel tables after GemmPacked.inl (which defines GemmVec);
// written with GCC vector extensions so that each including file's ISA flags
// pick the registers. Internal linkage only, as in MicroImpl.inl.
namespace {

inline GemmVec dwLoad(const float* p) {
    GemmVec v;
    __builtin_memcpy(&v, p, sizeof v);
    return v;
}
inline void dwStore(float* p, GemmVec v) { __builtin_memcpy(p, &v, sizeof v); }

typedef std::int32_t GemmIdx __attribute__((vector_size(4 * FIBNLR_GEMM_W)));
#if FIBNLR_GEMM_W == 16
constexpr GemmIdx kZipLo = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23};
constexpr GemmIdx kZipHi = {8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
#elif FIBNLR_GEMM_W == 8
constexpr GemmIdx kZipLo = {0, 8, 1, 9, 2, 10, 3, 11};
constexpr GemmIdx kZipHi = {4, 12, 5, 13, 6, 14, 7, 15};
#else
constexpr GemmIdx kZipLo = {0, 4, 1, 5};
constexpr GemmIdx kZipHi = {2, 6, 3, 7};
#endif

/// Transposes the W × W block r in place: r[i][j] becomes r[j][i]. log2(W)
/// rounds that zip row k with row k + W/2 (after round s, row 2k holds the
/// low halves interleaved, row 2k+1 the high halves); each zip is one
/// two-source shuffle (vpermt2ps with AVX-512).
inline void transposeBlock(GemmVec* r) {
    constexpr std::size_t W = FIBNLR_GEMM_W;
    for (std::size_t h = 1; h < W; h *= 2) {
        GemmVec t[W];
        for (std::size_t k = 0; k < W / 2; ++k) {
            t[2 * k] = __builtin_shuffle(r[k], r[k + W / 2], kZipLo);
            t[2 * k + 1] = __builtin_shuffle(r[k], r[k + W / 2], kZipHi);
        }
        for (std::size_t k = 0; k < W; ++k) r[k] = t[k];
    }
}

/// Micro::dwInterleave: W pixels of every lane per step, transposed in registers.
void dwInterleave(const float* src, std::size_t stride, std::size_t lanes, std::size_t n, std::size_t rowLen,
                  std::size_t dstRow, float* dst) {
    constexpr std::size_t W = FIBNLR_GEMM_W;
    std::size_t y = 0, x = 0;  // pixel i's row and column in the map
    for (std::size_t i = 0; i < n; i += W) {
        const std::size_t cnt = std::min(W, n - i);
        const PartMask pm(cnt);
        GemmVec r[W];
        for (std::size_t l = 0; l < W; ++l)
            r[l] = l >= lanes ? GemmVec{} : cnt == W ? dwLoad(src + l * stride + i) : pm.load(src + l * stride + i);
        transposeBlock(r);
        for (std::size_t j = 0; j < cnt; ++j) {
            dwStore(dst + (y * dstRow + x) * W, r[j]);
            if (++x == rowLen) x = 0, ++y;
        }
    }
}

/// Micro::dwDeinterleave: the inverse, W pixels per step.
void dwDeinterleave(const float* src, std::size_t n, std::size_t lanes, float* dst, std::size_t stride) {
    constexpr std::size_t W = FIBNLR_GEMM_W;
    for (std::size_t i = 0; i < n; i += W) {
        const std::size_t cnt = std::min(W, n - i);
        const PartMask pm(cnt);
        GemmVec r[W];
        for (std::size_t j = 0; j < W; ++j) r[j] = j < cnt ? dwLoad(src + (i + j) * W) : GemmVec{};
        transposeBlock(r);
        for (std::size_t l = 0; l < lanes; ++l) {
            if (cnt == W) dwStore(dst + l * stride + i, r[l]);
            else pm.store(dst + l * stride + i, r[l]);
        }
    }
}

/// The activation of act1 on a vector (a NaN passes, −0 stays).
template <ActKind K> inline GemmVec dwActVec(GemmVec y, GemmVec va, GemmVec vb) {
    const GemmVec zero = {};
    if constexpr (K == ActKind::ReLU) return y < zero ? zero : y;
    else if constexpr (K == ActKind::LeakyReLU) return y >= zero ? y : va * y;
    else if constexpr (K == ActKind::Clip) return y < va ? va : (y > vb ? vb : y);
    else return y;
}

/// The per-lane affine of Micro::dwAffineAct (a table that defines
/// FIBNLR_DW_AFFINE_OWN brings its own dwAffineAct and dwAffineCountAct) as
/// the generic and AVX2 tables' scaleShiftAct computes it (MicroImpl.inl:
/// x·scale + shift as a multiply and an add, no contraction under
/// -std=c++17; x + shift equals x·1 + shift exactly); a lane with scale 1
/// and shift 0 keeps x.
struct DwAffine {
    GemmVec s, t;
    GemmIdx keep;  // all ones where the lane's channel has scale 1 and shift 0
    DwAffine(const float* scale, const float* shift) {
        for (std::size_t l = 0; l < FIBNLR_GEMM_W; ++l) {
            s[l] = scale[l], t[l] = shift[l];
            keep[l] = scale[l] == 1.f && shift[l] == 0.f ? -1 : 0;
        }
    }
    GemmVec operator()(GemmVec x) const { return keep ? x : x * s + t; }
};

template <ActKind K> void dwAffineActLoop(float* v, std::size_t n, const float* scale, const float* shift, float a, float b) {
    constexpr std::size_t W = FIBNLR_GEMM_W;
    const DwAffine affine(scale, shift);
    const GemmVec zero = {}, va = a - zero, vb = b - zero;
    for (std::size_t i = 0; i < n; ++i) dwStore(v + i * W, dwActVec<K>(affine(dwLoad(v + i * W)), va, vb));
}

/// Micro::dwAffineCountAct with GCC vector extensions: each pre-activation
/// vector widened to doubles, finite lanes (d − d == 0) below `lanes` added.
typedef double GemmDVec __attribute__((vector_size(8 * FIBNLR_GEMM_W)));
typedef std::int64_t GemmDIdx __attribute__((vector_size(8 * FIBNLR_GEMM_W)));
template <ActKind K>
std::uint32_t dwAffineCountActLoop(float* v, std::size_t n, const float* scale, const float* shift, float a, float b,
                                   std::size_t lanes, double& neg, double& pos, std::uint64_t& nonFinite) {
    constexpr std::size_t W = FIBNLR_GEMM_W;
    const DwAffine affine(scale, shift);
    const GemmVec zero = {}, va = a - zero, vb = b - zero;
    GemmIdx live;
    GemmDIdx liveD;
    for (std::size_t l = 0; l < W; ++l) live[l] = liveD[l] = l < lanes ? -1 : 0;
    const GemmDVec zeroD = {};
    GemmDVec p = {}, q = {};
    GemmDIdx bad = {};
    GemmIdx up = {};
    for (std::size_t i = 0; i < n; ++i) {
        const GemmVec t = affine(dwLoad(v + i * W));
        const GemmDVec d = __builtin_convertvector(t, GemmDVec);
        const GemmDIdx finite = liveD & (d - d == zeroD);
        p += (finite & (d > zeroD)) ? d : zeroD;
        q += (finite & (d < zeroD)) ? d : zeroD;
        bad -= liveD & ~finite;  // −1 per non-finite live lane
        up |= live & (t > zero);
        dwStore(v + i * W, dwActVec<K>(t, va, vb));
    }
    std::uint32_t alive = 0;
    for (std::size_t l = 0; l < W; ++l) {
        pos += p[l];
        neg -= q[l];
        nonFinite += static_cast<std::uint64_t>(bad[l]);
        if (up[l]) alive |= 1u << l;
    }
    return alive;
}

#ifndef FIBNLR_DW_AFFINE_OWN
void dwAffineAct(float* v, std::size_t n, const float* scale, const float* shift, const Activation& act) {
    switch (act.kind) {
    case ActKind::ReLU: return dwAffineActLoop<ActKind::ReLU>(v, n, scale, shift, act.a, act.b);
    case ActKind::LeakyReLU: return dwAffineActLoop<ActKind::LeakyReLU>(v, n, scale, shift, act.a, act.b);
    case ActKind::Clip: return dwAffineActLoop<ActKind::Clip>(v, n, scale, shift, act.a, act.b);
    default: return dwAffineActLoop<ActKind::None>(v, n, scale, shift, act.a, act.b);
    }
}

std::uint32_t dwAffineCountAct(float* v, std::size_t n, const float* scale, const float* shift, const Activation& act,
                               std::size_t lanes, double& neg, double& pos, std::uint64_t& nonFinite) {
    switch (act.kind) {
    case ActKind::ReLU:
        return dwAffineCountActLoop<ActKind::ReLU>(v, n, scale, shift, act.a, act.b, lanes, neg, pos, nonFinite);
    case ActKind::LeakyReLU:
        return dwAffineCountActLoop<ActKind::LeakyReLU>(v, n, scale, shift, act.a, act.b, lanes, neg, pos, nonFinite);
    case ActKind::Clip:
        return dwAffineCountActLoop<ActKind::Clip>(v, n, scale, shift, act.a, act.b, lanes, neg, pos, nonFinite);
    default: return dwAffineCountActLoop<ActKind::None>(v, n, scale, shift, act.a, act.b, lanes, neg, pos, nonFinite);
    }
}
#endif

/// out[(oy·OW + ox)·W + l] = Σ_{ky < kh, kx < kw} w[(ky·kw + kx)·W + l] ·
///   pad[((oy·sh + ky·dh)·Wp + ox·sw + kx·dw)·W + l]
/// The 3×3 window keeps its nine weight vectors in registers and sums each
/// tap row first, ((r0 + r1) + r2), as dw3x3Row does.
void dwInterleaved(const DwWindow& g, const float* pad, const float* w, float* out) {
    constexpr std::size_t W = FIBNLR_GEMM_W;
    if (g.kh == 3 && g.kw == 3) {
        GemmVec k[9];
        for (std::size_t t = 0; t < 9; ++t) k[t] = dwLoad(w + t * W);
        const std::size_t dx = g.dw * W, dy = g.dh * g.Wp * W;
        for (std::size_t oy = 0; oy < g.OH; ++oy) {
            const float* row = pad + oy * g.sh * g.Wp * W;
            float* o = out + oy * g.OW * W;
            for (std::size_t ox = 0; ox < g.OW; ++ox) {
                const float* a = row + ox * g.sw * W;
                const float* b = a + dy;
                const float* c = b + dy;
                const GemmVec r0 = k[0] * dwLoad(a) + k[1] * dwLoad(a + dx) + k[2] * dwLoad(a + 2 * dx);
                const GemmVec r1 = k[3] * dwLoad(b) + k[4] * dwLoad(b + dx) + k[5] * dwLoad(b + 2 * dx);
                const GemmVec r2 = k[6] * dwLoad(c) + k[7] * dwLoad(c + dx) + k[8] * dwLoad(c + 2 * dx);
                const GemmVec s = (r0 + r1) + r2;
                dwStore(o + ox * W, s);
            }
        }
        return;
    }
    for (std::size_t oy = 0; oy < g.OH; ++oy)
        for (std::size_t ox = 0; ox < g.OW; ++ox) {
            GemmVec s = {};
            for (std::size_t ky = 0; ky < g.kh; ++ky) {
                const float* r = pad + ((oy * g.sh + ky * g.dh) * g.Wp + ox * g.sw) * W;
                for (std::size_t kx = 0; kx < g.kw; ++kx) s += dwLoad(w + (ky * g.kw + kx) * W) * dwLoad(r + kx * g.dw * W);
            }
            dwStore(out + (oy * g.OW + ox) * W, s);
        }
}

} // namespace
