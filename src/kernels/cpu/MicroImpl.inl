// Included by MicroGeneric.cpp and MicroAvx2.cpp with FIBNLR_MICRO_NS set:
// plain loops written so that GCC/Clang vectorise them at -O3 for the target
// ISA of the including file. No -ffast-math: NaN and signed zeros behave as
// in the reference kernels; reductions use explicit 8-lane partial sums.
// Only functions with internal linkage here: an inline function from a header
// compiled with -mavx2 could be picked by the linker for the generic table.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "fibnlr/kernels/cpu/Micro.hpp"

namespace fibnlr::FIBNLR_MICRO_NS {

namespace {

template <ActKind K> inline constexpr bool kAlwaysFalse = false;

inline float softplus1(float v) {
    // log(1 + eˣ): above 20 it is x to float precision, and eˣ would overflow above 88.
    return v > 20.f ? v : std::log1p(std::exp(v));
}

/// The fast formula of each activation kind, in float (the reference is
/// applyActivationRef, operator/Activation.cpp). NaN reaches a branch that returns NaN.
template <ActKind K> inline float act1(float v, float a, float b) {
    if constexpr (K == ActKind::None) return v;
    else if constexpr (K == ActKind::ReLU) return v < 0.f ? 0.f : v;  // NaN passes (ONNX); maxps(0, v) exactly
    else if constexpr (K == ActKind::LeakyReLU) return v >= 0.f ? v : a * v;
    else if constexpr (K == ActKind::Clip) return v < a ? a : (v > b ? b : v);
    else if constexpr (K == ActKind::HardSigmoid) {
        const float t = a * v + b;
        return t < 0.f ? 0.f : (t > 1.f ? 1.f : t);
    } else if constexpr (K == ActKind::HardSwish) {
        const float t = v * (1.f / 6.f) + 0.5f;
        return v * (t < 0.f ? 0.f : (t > 1.f ? 1.f : t));
    } else if constexpr (K == ActKind::Sigmoid) return 1.f / (1.f + std::exp(-v));
    else if constexpr (K == ActKind::Tanh) return std::tanh(v);
    else if constexpr (K == ActKind::GELU) return 0.5f * v * (1.f + std::erf(v * 0.70710678118654752f));
    else if constexpr (K == ActKind::GELUTanh) {
        const float c = 0.79788456080286536f;  // sqrt(2/π)
        return 0.5f * v * (1.f + std::tanh(c * (v + 0.044715f * v * v * v)));
    } else if constexpr (K == ActKind::ELU) return v > 0.f ? v : a * std::expm1(v);
    else if constexpr (K == ActKind::SELU) return b * (v > 0.f ? v : a * std::expm1(v));
    else if constexpr (K == ActKind::CELU) return v > 0.f ? v : a * std::expm1(v / a);
    else if constexpr (K == ActKind::Softplus) return softplus1(v);
    else if constexpr (K == ActKind::Mish) return v * std::tanh(softplus1(v));
    else if constexpr (K == ActKind::SiLU) return v / (1.f + std::exp(-v));
    else static_assert(kAlwaysFalse<K>, "act1: this activation kind has no fast formula");
}

/// Calls f.template operator()<K>() with the activation kind as a constant, so
/// every loop is compiled (and vectorised) once per activation.
template <class F> inline void withAct(const Activation& act, F&& f) {
    switch (act.kind) {
#define FIBNLR_X(K) \
    case ActKind::K: f(std::integral_constant<ActKind, ActKind::K>{}); break;
        FIBNLR_ACT_KINDS(FIBNLR_X)
#undef FIBNLR_X
    }
}

void scaleShiftAct(const float* x, float* y, std::size_t n, float scale, float shift, const Activation& act) {
    const float a = act.a, b = act.b;
    withAct(act, [&](auto k) {
        constexpr ActKind K = decltype(k)::value;
        if (scale == 1.f && shift == 0.f)
            for (std::size_t i = 0; i < n; ++i) y[i] = act1<K>(x[i], a, b);
        else if (scale == 1.f)
            for (std::size_t i = 0; i < n; ++i) y[i] = act1<K>(x[i] + shift, a, b);
        else
            for (std::size_t i = 0; i < n; ++i) y[i] = act1<K>(x[i] * scale + shift, a, b);
    });
}

template <int Op> inline float binop(float a, float b) {
    if constexpr (Op == 0) return a + b;
    else if constexpr (Op == 1) return a - b;
    else if constexpr (Op == 2) return a * b;
    else return a / b;
}

template <int Op, ActKind K>
void binaryLoop(const float* a, std::size_t as, const float* b, std::size_t bs, float* y, std::size_t n, float p, float q) {
    // Separate loops per step pattern: unit-stride loops vectorise, a scalar operand is hoisted.
    if (as && bs)
        for (std::size_t i = 0; i < n; ++i) y[i] = act1<K>(binop<Op>(a[i], b[i]), p, q);
    else if (as) {
        const float bv = b[0];
        for (std::size_t i = 0; i < n; ++i) y[i] = act1<K>(binop<Op>(a[i], bv), p, q);
    } else if (bs) {
        const float av = a[0];
        for (std::size_t i = 0; i < n; ++i) y[i] = act1<K>(binop<Op>(av, b[i]), p, q);
    } else {
        const float v = act1<K>(binop<Op>(a[0], b[0]), p, q);
        for (std::size_t i = 0; i < n; ++i) y[i] = v;
    }
}

void binary(int op, const float* a, std::size_t as, const float* b, std::size_t bs, float* y, std::size_t n,
            const Activation& act) {
    withAct(act, [&](auto k) {
        constexpr ActKind K = decltype(k)::value;
        switch (op) {
        case 0: binaryLoop<0, K>(a, as, b, bs, y, n, act.a, act.b); break;
        case 1: binaryLoop<1, K>(a, as, b, bs, y, n, act.a, act.b); break;
        case 2: binaryLoop<2, K>(a, as, b, bs, y, n, act.a, act.b); break;
        default: binaryLoop<3, K>(a, as, b, bs, y, n, act.a, act.b); break;
        }
    });
}

void windowRow(int mode, const float* xRow, const float* w, std::size_t kw, std::size_t stride, std::size_t dil,
               std::size_t pad, const std::size_t* lo, const std::size_t* hi, float* acc) {
    for (std::size_t kx = 0; kx < kw; ++kx) {
        if (lo[kx] >= hi[kx]) continue;
        // x index of output column ox: ox·stride + kx·dil − pad, ≥ 0 for ox ≥ lo[kx].
        const float* xp = xRow + (lo[kx] * stride + kx * dil - pad);
        float* ap = acc + lo[kx];
        const std::size_t n = hi[kx] - lo[kx];
        if (mode == 0) {
            const float wv = w[kx];
            if (stride == 1)
                for (std::size_t i = 0; i < n; ++i) ap[i] += wv * xp[i];
            else
                for (std::size_t i = 0; i < n; ++i) ap[i] += wv * xp[i * stride];
        } else if (mode == 1) {
            // NaN wins, as in ONNX: a NaN tap replaces acc, and a NaN acc fails "x > acc".
            if (stride == 1)
                for (std::size_t i = 0; i < n; ++i) ap[i] = xp[i] > ap[i] || xp[i] != xp[i] ? xp[i] : ap[i];
            else
                for (std::size_t i = 0; i < n; ++i) {
                    const float v = xp[i * stride];
                    ap[i] = v > ap[i] || v != v ? v : ap[i];
                }
        } else {
            if (stride == 1)
                for (std::size_t i = 0; i < n; ++i) ap[i] += xp[i];
            else
                for (std::size_t i = 0; i < n; ++i) ap[i] += xp[i * stride];
        }
    }
}

/// dw3x3Row with the stride as a constant where it is 1 or 2 (strided loads
/// vectorise only then); restrict parameters, as in winogradColLine.
template <std::size_t S>
inline void dw3x3Line(const float* __restrict a, const float* __restrict b, const float* __restrict c, const float* w,
                      std::size_t n, std::size_t stride, float* __restrict y) {
    const std::size_t s = S ? S : stride;
    const float w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4], w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];
    for (std::size_t ox = 0; ox < n; ++ox) {
        const std::size_t i = ox * s;
        y[ox] = ((w0 * a[i] + w1 * a[i + 1] + w2 * a[i + 2]) + (w3 * b[i] + w4 * b[i + 1] + w5 * b[i + 2])) +
                (w6 * c[i] + w7 * c[i + 1] + w8 * c[i + 2]);
    }
}

void dw3x3Row(const float* const* r, const float* w, std::size_t n, std::size_t stride, float* y) {
    if (stride == 1) dw3x3Line<1>(r[0], r[1], r[2], w, n, 1, y);
    else if (stride == 2) dw3x3Line<2>(r[0], r[1], r[2], w, n, 2, y);
    else dw3x3Line<0>(r[0], r[1], r[2], w, n, stride, y);
}

float sum(const float* x, std::size_t n) {
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; ++l) lanes[l] += x[i + l];
    float s = 0.f;
    for (; i < n; ++i) s += x[i];
    for (int l = 0; l < 8; ++l) s += lanes[l];
    return s;
}

float max(const float* x, std::size_t n) {
    float lanes[8];
    for (int l = 0; l < 8; ++l) lanes[l] = x[0];
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; ++l) lanes[l] = x[i + l] > lanes[l] ? x[i + l] : lanes[l];
    float m = x[0];
    for (; i < n; ++i) m = x[i] > m ? x[i] : m;
    for (int l = 0; l < 8; ++l) m = lanes[l] > m ? lanes[l] : m;
    return m;
}

// GCC/Clang vector extensions: written once, lowered to SSE2 or AVX2 by the including file's flags.
typedef float F4 __attribute__((vector_size(16)));
typedef std::int32_t I4 __attribute__((vector_size(16)));
typedef double D4 __attribute__((vector_size(32)));

/// Exactly act1<K> lane by lane: selections for the piecewise-linear kinds
/// (bit-identical to the scalar form), the scalar form for the others.
template <ActKind K> inline F4 actVec(F4 v, float a, float b) {
    const F4 zero = {0, 0, 0, 0};
    if constexpr (K == ActKind::None) return v;
    else if constexpr (K == ActKind::ReLU) return v < zero ? zero : v;
    else if constexpr (K == ActKind::LeakyReLU) return v >= zero ? v : a * v;
    else if constexpr (K == ActKind::Clip) {
        const F4 lo = {a, a, a, a}, hi = {b, b, b, b};
        return v < lo ? lo : (v > hi ? hi : v);
    } else {
        F4 r;
        for (int l = 0; l < 4; ++l) r[l] = act1<K>(v[l], a, b);
        return r;
    }
}

bool countAct(float* v, std::size_t n, const Activation& act, double& neg, double& pos, std::uint64_t& nonFinite) {
    // One pass over a cache-resident row: statistics of v, then v = act(v) in place. Masks select
    // finite negatives / positives, which are widened to double before they are added, so the
    // result matches a double-precision reference up to summation order (no float partial sums).
    bool any = false;
    withAct(act, [&](auto k) {
        constexpr ActKind K = decltype(k)::value;
        D4 n0 = {0, 0, 0, 0}, n1 = n0, p0 = n0, p1 = n0;  // two chains per mass (add latency)
        I4 bad = {0, 0, 0, 0}, up = {0, 0, 0, 0};
        const F4 zero = {0, 0, 0, 0};
        std::size_t i = 0;
        for (; i + 8 <= n; i += 8) {
            F4 x0, x1;
            __builtin_memcpy(&x0, v + i, sizeof x0);
            __builtin_memcpy(&x1, v + i + 4, sizeof x1);
            const I4 f0 = (x0 - x0) == zero, f1 = (x1 - x1) == zero;  // −1 where finite
            n0 -= __builtin_convertvector(reinterpret_cast<F4>(reinterpret_cast<I4>(x0) & ((x0 < zero) & f0)), D4);
            n1 -= __builtin_convertvector(reinterpret_cast<F4>(reinterpret_cast<I4>(x1) & ((x1 < zero) & f1)), D4);
            p0 += __builtin_convertvector(reinterpret_cast<F4>(reinterpret_cast<I4>(x0) & ((x0 > zero) & f0)), D4);
            p1 += __builtin_convertvector(reinterpret_cast<F4>(reinterpret_cast<I4>(x1) & ((x1 > zero) & f1)), D4);
            bad += (f0 + 1) + (f1 + 1);
            up |= (x0 > zero) | (x1 > zero);
            const F4 y0 = actVec<K>(x0, act.a, act.b), y1 = actVec<K>(x1, act.a, act.b);
            __builtin_memcpy(v + i, &y0, sizeof y0);
            __builtin_memcpy(v + i + 4, &y1, sizeof y1);
        }
        const D4 nSum = n0 + n1, pSum = p0 + p1;
        double nTail = 0.0, pTail = 0.0;
        std::uint64_t badTail = 0;
        bool upTail = false;
        for (; i < n; ++i) {
            const float x = v[i];
            if ((x - x) != 0.f) ++badTail;
            else if (x < 0.f) nTail -= x;
            else if (x > 0.f) pTail += x;
            upTail = upTail || x > 0.f;
            v[i] = act1<K>(x, act.a, act.b);
        }
        neg += ((nSum[0] + nSum[1]) + (nSum[2] + nSum[3])) + nTail;
        pos += ((pSum[0] + pSum[1]) + (pSum[2] + pSum[3])) + pTail;
        nonFinite += static_cast<std::uint64_t>(bad[0] + bad[1] + bad[2] + bad[3]) + badTail;
        any = upTail || (up[0] | up[1] | up[2] | up[3]) != 0;
    });
    return any;
}

bool scaleShiftCountAct(const float* src, float* dst, std::size_t n, float scale, float shift, const Activation& act,
                        double& neg, double& pos, std::uint64_t& nonFinite) {
    bool any = false;
    for (std::size_t c0 = 0; c0 < n; c0 += 2048) {  // chunks that stay in L1 between the passes
        const std::size_t len = n - c0 < 2048 ? n - c0 : 2048;
        scaleShiftAct(src + c0, dst + c0, len, scale, shift, Activation{});
        any = countAct(dst + c0, len, act, neg, pos, nonFinite) || any;
    }
    return any;
}

// Winograd F(2×2, 3×3): input tile d (4×4) → Bᵀ d B, output m (4×4) → Aᵀ m A,
// filter g (3×3) → G g Gᵀ, with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
// Aᵀ = [1 1 1 0; 0 1 −1 −1], G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]. Rows are split
// into even and odd columns first, so that every loop below runs over
// contiguous floats and vectorises. Chunks keep the temporaries on the stack.
constexpr std::size_t kWinoChunk = 64;

void winogradRow(const float* r, std::size_t tiles, float* h, std::size_t hs) {
    // d B for each tile of the row: columns 2t .. 2t + 3, split into even and odd first.
    for (std::size_t t0 = 0; t0 < tiles; t0 += kWinoChunk) {
        const std::size_t nt = tiles - t0 < kWinoChunk ? tiles - t0 : kWinoChunk;
        float e[kWinoChunk + 1], o[kWinoChunk + 1];  // columns 2k and 2k + 1
        const float* __restrict rr = r + 2 * t0;
        for (std::size_t x = 0; x <= nt; ++x) e[x] = rr[2 * x], o[x] = rr[2 * x + 1];
        float* __restrict h0 = h + t0;
        float* __restrict h1 = h0 + hs;
        float* __restrict h2 = h1 + hs;
        float* __restrict h3 = h2 + hs;
        for (std::size_t t = 0; t < nt; ++t) {
            h0[t] = e[t] - e[t + 1];
            h1[t] = o[t] + e[t + 1];
            h2[t] = e[t + 1] - o[t];
            h3[t] = o[t] - o[t + 1];
        }
    }
}

/// v0..v3[t] = a − c, b + c, c − b, b − d at t < n. Restrict parameters:
/// GCC 12 does not vectorise the loop with block-scope restrict pointers.
inline void winogradColLine(const float* __restrict a, const float* __restrict b, const float* __restrict c,
                            const float* __restrict d, float* __restrict v0, float* __restrict v1, float* __restrict v2,
                            float* __restrict v3, std::size_t n) {
    for (std::size_t t = 0; t < n; ++t) {
        v0[t] = a[t] - c[t];
        v1[t] = b[t] + c[t];
        v2[t] = c[t] - b[t];
        v3[t] = b[t] - d[t];
    }
}

void winogradCol(const float* const* h, std::size_t hs, std::size_t tiles, float* v, std::size_t vs) {
    // Bᵀ (d B): rows a, b, c, d of the tiles → ξ = 4i + j with i: a − c, b + c, c − b, b − d.
    for (std::size_t j = 0; j < 4; ++j) {
        float* v0 = v + j * vs;
        winogradColLine(h[0] + j * hs, h[1] + j * hs, h[2] + j * hs, h[3] + j * hs, v0, v0 + 4 * vs, v0 + 8 * vs,
                        v0 + 12 * vs, tiles);
    }
}

void winogradOut(const float* m, std::size_t ms, std::size_t tiles, float* const* yr) {
    for (std::size_t t0 = 0; t0 < tiles; t0 += kWinoChunk) {
        const std::size_t nt = tiles - t0 < kWinoChunk ? tiles - t0 : kWinoChunk;
        float s[2][4][kWinoChunk];  // Aᵀ m
        for (std::size_t j = 0; j < 4; ++j) {
            const float *a = m + j * ms + t0, *b = a + 4 * ms, *c = b + 4 * ms, *d = c + 4 * ms;
            for (std::size_t t = 0; t < nt; ++t) {
                s[0][j][t] = a[t] + b[t] + c[t];
                s[1][j][t] = b[t] - c[t] - d[t];
            }
        }
        for (std::size_t i = 0; i < 2; ++i) {  // (Aᵀ m) A, then interleaved into the output row
            float ev[kWinoChunk], od[kWinoChunk];
            for (std::size_t t = 0; t < nt; ++t) {
                ev[t] = s[i][0][t] + s[i][1][t] + s[i][2][t];
                od[t] = s[i][1][t] - s[i][2][t] - s[i][3][t];
            }
            float* __restrict y = yr[i] + 2 * t0;
            for (std::size_t t = 0; t < nt; ++t) y[2 * t] = ev[t], y[2 * t + 1] = od[t];
        }
    }
}

void winogradWeights(const float* w, std::size_t ws, std::size_t n, float* u, std::size_t us) {
    for (std::size_t c0 = 0; c0 < n; c0 += kWinoChunk) {
        const std::size_t nc = n - c0 < kWinoChunk ? n - c0 : kWinoChunk;
        float g[9][kWinoChunk];
        for (std::size_t c = 0; c < nc; ++c)
            for (std::size_t k = 0; k < 9; ++k) g[k][c] = w[(c0 + c) * ws + k];
        float gg[4][3][kWinoChunk];  // G g
        for (std::size_t k = 0; k < 3; ++k)
            for (std::size_t c = 0; c < nc; ++c) {
                gg[0][k][c] = g[k][c];
                gg[1][k][c] = 0.5f * (g[k][c] + g[3 + k][c] + g[6 + k][c]);
                gg[2][k][c] = 0.5f * (g[k][c] - g[3 + k][c] + g[6 + k][c]);
                gg[3][k][c] = g[6 + k][c];
            }
        for (std::size_t i = 0; i < 4; ++i) {  // (G g) Gᵀ
            float* __restrict u0 = u + (4 * i) * us + c0;
            float* __restrict u1 = u0 + us;
            float* __restrict u2 = u1 + us;
            float* __restrict u3 = u2 + us;
            for (std::size_t c = 0; c < nc; ++c) {
                const float a = gg[i][0][c], b = gg[i][1][c], d = gg[i][2][c];
                u0[c] = a;
                u1[c] = 0.5f * (a + b + d);
                u2[c] = 0.5f * (a - b + d);
                u3[c] = d;
            }
        }
    }
}

// Winograd F(4×4, 3×3) (Lavin & Gray, points 0, ±1, ±2, ∞): input tile d
// (6×6, stride 4) → Bᵀ d B, output → Aᵀ m A (4×4), filter → G g Gᵀ, with
//   Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0; 0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1],
//   Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1],
//   G  = [¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1].
// Rows are split into their four column phases first (column 4t + q → q),
// so that the loops run over contiguous floats.

/// Bᵀ applied to six values a..f (one column of a tile, or one row) at
/// each t < n: o_k[t] = (Bᵀ (a, b, c, d, e, f)[t])_k. Restrict parameters, as in winogradColLine.
inline void winograd4BLine(const float* __restrict a, const float* __restrict b, const float* __restrict c,
                           const float* __restrict d, const float* __restrict e, const float* __restrict f,
                           float* __restrict o0, float* __restrict o1, float* __restrict o2, float* __restrict o3,
                           float* __restrict o4, float* __restrict o5, std::size_t n) {
    for (std::size_t t = 0; t < n; ++t) {
        o0[t] = 4.f * a[t] - 5.f * c[t] + e[t];
        o1[t] = e[t] + d[t] - 4.f * (b[t] + c[t]);
        o2[t] = e[t] - d[t] + 4.f * (b[t] - c[t]);
        o3[t] = e[t] - c[t] + 2.f * (d[t] - b[t]);
        o4[t] = e[t] - c[t] + 2.f * (b[t] - d[t]);
        o5[t] = 4.f * b[t] - 5.f * d[t] + f[t];
    }
}

void winograd4Row(const float* r, std::size_t tiles, float* h, std::size_t hs) {
    for (std::size_t t0 = 0; t0 < tiles; t0 += kWinoChunk) {
        const std::size_t nt = tiles - t0 < kWinoChunk ? tiles - t0 : kWinoChunk;
        float p[4][kWinoChunk + 1];  // column 4x + q of the chunk → p[q][x]
        const float* __restrict rr = r + 4 * t0;
        for (std::size_t x = 0; x < nt; ++x)
            for (std::size_t q = 0; q < 4; ++q) p[q][x] = rr[4 * x + q];
        p[0][nt] = rr[4 * nt], p[1][nt] = rr[4 * nt + 1];  // the last tile's columns 4 and 5
        float* h0 = h + t0;
        winograd4BLine(p[0], p[1], p[2], p[3], p[0] + 1, p[1] + 1, h0, h0 + hs, h0 + 2 * hs, h0 + 3 * hs, h0 + 4 * hs,
                       h0 + 5 * hs, nt);
    }
}

void winograd4Col(const float* const* h, std::size_t hs, std::size_t tiles, float* v, std::size_t vs) {
    for (std::size_t j = 0; j < 6; ++j) {
        float* v0 = v + j * vs;
        winograd4BLine(h[0] + j * hs, h[1] + j * hs, h[2] + j * hs, h[3] + j * hs, h[4] + j * hs, h[5] + j * hs, v0,
                       v0 + 6 * vs, v0 + 12 * vs, v0 + 18 * vs, v0 + 24 * vs, v0 + 30 * vs, tiles);
    }
}

void winograd4Out(const float* m, std::size_t ms, std::size_t tiles, float* const* yr) {
    for (std::size_t t0 = 0; t0 < tiles; t0 += kWinoChunk) {
        const std::size_t nt = tiles - t0 < kWinoChunk ? tiles - t0 : kWinoChunk;
        float s[4][6][kWinoChunk];  // Aᵀ m
        for (std::size_t j = 0; j < 6; ++j) {
            const float* __restrict a = m + j * ms + t0;
            const float *b = a + 6 * ms, *c = b + 6 * ms, *d = c + 6 * ms, *e = d + 6 * ms, *f = e + 6 * ms;
            for (std::size_t t = 0; t < nt; ++t) {
                const float bc = b[t] + c[t], bmc = b[t] - c[t], de = d[t] + e[t], dme = d[t] - e[t];
                s[0][j][t] = a[t] + bc + de;
                s[1][j][t] = bmc + 2.f * dme;
                s[2][j][t] = bc + 4.f * de;
                s[3][j][t] = bmc + 8.f * dme + f[t];
            }
        }
        for (std::size_t i = 0; i < 4; ++i) {  // (Aᵀ m) A, then interleaved into the output row
            float o[4][kWinoChunk];
            const float *a = s[i][0], *b = s[i][1], *c = s[i][2], *d = s[i][3], *e = s[i][4], *f = s[i][5];
            for (std::size_t t = 0; t < nt; ++t) {
                const float bc = b[t] + c[t], bmc = b[t] - c[t], de = d[t] + e[t], dme = d[t] - e[t];
                o[0][t] = a[t] + bc + de;
                o[1][t] = bmc + 2.f * dme;
                o[2][t] = bc + 4.f * de;
                o[3][t] = bmc + 8.f * dme + f[t];
            }
            float* __restrict y = yr[i] + 4 * t0;
            for (std::size_t t = 0; t < nt; ++t)
                for (std::size_t q = 0; q < 4; ++q) y[4 * t + q] = o[q][t];
        }
    }
}

/// G applied to three values a, b, d (a filter column, or a row of G g): out[k·os], k < 6.
inline void winograd4G(float a, float b, float d, float* out, std::size_t os) {
    constexpr float s6 = 1.f / 6.f, s12 = 1.f / 12.f, s24 = 1.f / 24.f;
    out[0] = 0.25f * a;
    out[os] = -s6 * (a + b + d);
    out[2 * os] = -s6 * (a - b + d);
    out[3 * os] = s24 * a + s12 * b + s6 * d;
    out[4 * os] = s24 * a - s12 * b + s6 * d;
    out[5 * os] = d;
}

void winograd4Weights(const float* w, std::size_t ws, std::size_t n, float* u, std::size_t us) {
    for (std::size_t c0 = 0; c0 < n; c0 += kWinoChunk) {
        const std::size_t nc = n - c0 < kWinoChunk ? n - c0 : kWinoChunk;
        float g[9][kWinoChunk];
        for (std::size_t c = 0; c < nc; ++c)
            for (std::size_t k = 0; k < 9; ++k) g[k][c] = w[(c0 + c) * ws + k];
        float gg[6][3][kWinoChunk];  // G g
        for (std::size_t k = 0; k < 3; ++k)
            for (std::size_t c = 0; c < nc; ++c) winograd4G(g[k][c], g[3 + k][c], g[6 + k][c], &gg[0][k][c], 3 * kWinoChunk);
        for (std::size_t i = 0; i < 6; ++i)  // (G g) Gᵀ
            for (std::size_t c = 0; c < nc; ++c) winograd4G(gg[i][0][c], gg[i][1][c], gg[i][2][c], u + 6 * i * us + c0 + c, us);
    }
}

#include "CountingImpl.inl"

void countSigns(const float* x, std::size_t outer, std::size_t channels, std::size_t inner, std::uint8_t* alive,
                SignCounts& out) {
    countImpl<FIBNLR_GEMM_W>(x, outer, channels, inner, alive, out);
}

} // namespace

#include "GemmPacked.inl"

const Micro& table() {
    static const Micro t{FIBNLR_MICRO_NAME, scaleShiftAct, binary,     windowRow,   dw3x3Row,   sum,        max,
                         countAct,          scaleShiftCountAct,
                         {2, winogradRow, winogradCol, winogradOut, winogradWeights},
                         {4, winograd4Row, winograd4Col, winograd4Out, winograd4Weights},
                         kGemmMR,           kGemmNR,       gemmPacked,
                         countSigns,        streamReadImpl};
    return t;
}

} // namespace fibnlr::FIBNLR_MICRO_NS
