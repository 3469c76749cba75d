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
#include <limits>
#include <type_traits>

#if defined(__AVX2__)
#include <immintrin.h>  // GemmPacked.inl's masked tails
#endif

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

/// max3x3Row with the stride as a constant where it is 1 or 2, as dw3x3Line.
template <std::size_t S>
inline void max3x3Line(const float* __restrict a, const float* __restrict b, const float* __restrict c, std::size_t n,
                       std::size_t stride, float* __restrict y) {
    const std::size_t s = S ? S : stride;
    for (std::size_t ox = 0; ox < n; ++ox) {
        const std::size_t i = ox * s;
        // From the lowest float, as the ref kernel (and onnxruntime): an all −Inf window gives it.
        float m = std::numeric_limits<float>::lowest();
        const float taps[9] = {a[i], a[i + 1], a[i + 2], b[i], b[i + 1], b[i + 2], c[i], c[i + 1], c[i + 2]};
        for (float v : taps) m = v > m ? v : m;  // one MAXPS per tap
        y[ox] = m;
    }
}

void max3x3Row(const float* const* r, std::size_t n, std::size_t stride, float* y) {
    if (stride == 1) max3x3Line<1>(r[0], r[1], r[2], n, 1, y);
    else if (stride == 2) max3x3Line<2>(r[0], r[1], r[2], n, 2, y);
    else max3x3Line<0>(r[0], r[1], r[2], n, stride, y);
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

#include "WinogradImpl.inl"

#include "CountingImpl.inl"

void countSigns(const float* x, std::size_t outer, std::size_t channels, std::size_t inner, std::uint8_t* alive,
                SignCounts& out) {
    countImpl<FIBNLR_GEMM_W>(x, outer, channels, inner, alive, out);
}

} // namespace

#include "GemmPacked.inl"
#include "DwInterleaved.inl"

const Micro& table() {
    static const Micro t{FIBNLR_MICRO_NAME, scaleShiftAct, binary,     windowRow,   dw3x3Row,   max3x3Row,  sum,        max,
                         countAct,          scaleShiftCountAct,
                         {2, winogradRow, winogradCol, winogradOut, winogradWeights},
                         {4, winograd4Row, winograd4Col, winograd4Out, winograd4Weights},
                         kGemmMR,           kGemmNR,       gemmPacked,  gemmIndirect,
                         countSigns,        streamReadImpl, kGemmW,       dwInterleaved, dwInterleave, dwDeinterleave,
                         dwAffineAct,       dwAffineCountAct};
    return t;
}

} // namespace fibnlr::FIBNLR_MICRO_NS
