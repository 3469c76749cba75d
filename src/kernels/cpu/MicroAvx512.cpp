// The AVX-512 (F, DQ, BW, VL) table: this file alone is compiled with those
// flags (CMakeLists.txt) and is only called after a run-time CPU check
// (Isa.cpp). It is the AVX2 table with sign counting replaced (masked double
// adds count 16 floats per step where AVX2 needs four times the instructions
// (a measuring forward is dominated by counting otherwise), and the packed
// GEMM tile widened to 12 × 32 (24 zmm accumulators). The other loops stay
// AVX2: GCC 12 vectorises some of them worse with AVX-512 enabled.
#if defined(__x86_64__)
#include <immintrin.h>

#include "fibnlr/kernels/cpu/Micro.hpp"

namespace fibnlr::avx512 {

namespace {

/// act(t) for the activations done in registers here; K = None passes t through.
template <ActKind K> inline __m512 actVec(__m512 t, __m512 a, __m512 b) {
    const __m512 zero = _mm512_setzero_ps();
    if constexpr (K == ActKind::ReLU) return _mm512_max_ps(t, zero);  // NaN → 0, −0 → +0, as v > 0 ? v : 0
    else if constexpr (K == ActKind::LeakyReLU)
        return _mm512_mask_mul_ps(t, _mm512_cmp_ps_mask(t, zero, _CMP_NGE_UQ), t, a);  // v >= 0 ? v : a·v
    else if constexpr (K == ActKind::Clip) {
        const __m512 lo = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(t, a, _CMP_LT_OQ), t, a);  // v < a ? a : ...
        return _mm512_mask_blend_ps(_mm512_cmp_ps_mask(t, b, _CMP_GT_OQ), lo, b);       // ... v > b ? b : v
    } else
        return t;
}

/// One pass: t = src·scale + shift (Mode 0: t = src, 1: src + shift, 2: FMA,
/// the same operations as the AVX2 scaleShiftAct), statistics of t, dst = act(t).
/// The masks of finite negatives / positives select which lanes, widened to
/// double, are added, so the statistics match a double-precision reference up
/// to summation order. The tail is a masked load and store.
template <ActKind K, int Mode>
bool fusedLoop(const float* src, float* dst, std::size_t n, float scale, float shift, const Activation& act,
               double& neg, double& pos, std::uint64_t& nonFinite) {
    const __m512 zero = _mm512_setzero_ps(), vs = _mm512_set1_ps(scale), vt = _mm512_set1_ps(shift);
    const __m512 va = _mm512_set1_ps(act.a), vb = _mm512_set1_ps(act.b);
    __m512d n0 = _mm512_setzero_pd(), n1 = n0, p0 = n0, p1 = n0;
    std::uint64_t bad = 0;
    __mmask16 up = 0;
    for (std::size_t i = 0; i < n; i += 16) {
        const __mmask16 live = n - i >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1u);
        const __m512 x = _mm512_maskz_loadu_ps(live, src + i);
        const __m512 t = Mode == 0 ? x : Mode == 1 ? _mm512_add_ps(x, vt) : _mm512_fmadd_ps(x, vs, vt);
        const __mmask16 finite = live & static_cast<__mmask16>(~_mm512_fpclass_ps_mask(t, 0x99));
        const __mmask16 isNeg = _mm512_mask_cmp_ps_mask(finite, t, zero, _CMP_LT_OQ);
        const __mmask16 gt = _mm512_mask_cmp_ps_mask(live, t, zero, _CMP_GT_OQ);
        const __mmask16 isPos = gt & finite;
        up |= gt;
        bad += static_cast<std::uint64_t>(__builtin_popcount(static_cast<unsigned>(live & ~finite) & 0xFFFFu));
        const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(t));
        const __m512d hi = _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_shuffle_f32x4(t, t, 0xEE)));
        n0 = _mm512_mask_sub_pd(n0, static_cast<__mmask8>(isNeg), n0, lo);
        n1 = _mm512_mask_sub_pd(n1, static_cast<__mmask8>(isNeg >> 8), n1, hi);
        p0 = _mm512_mask_add_pd(p0, static_cast<__mmask8>(isPos), p0, lo);
        p1 = _mm512_mask_add_pd(p1, static_cast<__mmask8>(isPos >> 8), p1, hi);
        _mm512_mask_storeu_ps(dst + i, live, actVec<K>(t, va, vb));
    }
    alignas(64) double ns[8], ps[8];
    _mm512_store_pd(ns, _mm512_add_pd(n0, n1));
    _mm512_store_pd(ps, _mm512_add_pd(p0, p1));
    neg += ((ns[0] + ns[1]) + (ns[2] + ns[3])) + ((ns[4] + ns[5]) + (ns[6] + ns[7]));
    pos += ((ps[0] + ps[1]) + (ps[2] + ps[3])) + ((ps[4] + ps[5]) + (ps[6] + ps[7]));
    nonFinite += bad;
    return up != 0;
}

template <ActKind K>
bool fusedByMode(const float* src, float* dst, std::size_t n, float scale, float shift, const Activation& act,
                 double& neg, double& pos, std::uint64_t& nonFinite) {
    if (scale == 1.f && shift == 0.f) return fusedLoop<K, 0>(src, dst, n, scale, shift, act, neg, pos, nonFinite);
    if (scale == 1.f) return fusedLoop<K, 1>(src, dst, n, scale, shift, act, neg, pos, nonFinite);
    return fusedLoop<K, 2>(src, dst, n, scale, shift, act, neg, pos, nonFinite);
}

bool scaleShiftCountAct(const float* src, float* dst, std::size_t n, float scale, float shift, const Activation& act,
                        double& neg, double& pos, std::uint64_t& nonFinite) {
    switch (act.kind) {
    case ActKind::None: return fusedByMode<ActKind::None>(src, dst, n, scale, shift, act, neg, pos, nonFinite);
    case ActKind::ReLU: return fusedByMode<ActKind::ReLU>(src, dst, n, scale, shift, act, neg, pos, nonFinite);
    case ActKind::LeakyReLU:
        return fusedByMode<ActKind::LeakyReLU>(src, dst, n, scale, shift, act, neg, pos, nonFinite);
    case ActKind::Clip: return fusedByMode<ActKind::Clip>(src, dst, n, scale, shift, act, neg, pos, nonFinite);
    default: {  // transcendental activations: count in the pass, activate in a second one
        const bool any = fusedByMode<ActKind::None>(src, dst, n, scale, shift, act, neg, pos, nonFinite);
        microAvx2()->scaleShiftAct(dst, dst, n, 1.f, 0.f, act);
        return any;
    }
    }
}

bool countAct(float* v, std::size_t n, const Activation& act, double& neg, double& pos, std::uint64_t& nonFinite) {
    return scaleShiftCountAct(v, v, n, 1.f, 0.f, act, neg, pos, nonFinite);
}

} // namespace

#define FIBNLR_GEMM_W 16
#define FIBNLR_GEMM_MR 12
#include "GemmPacked.inl"

const Micro& table() {
    static const Micro t = [] {
        Micro m = *microAvx2();
        m.name = "avx512";
        m.countAct = countAct;
        m.scaleShiftCountAct = scaleShiftCountAct;
        m.gemmMR = kGemmMR;
        m.gemmNR = kGemmNR;
        m.gemmPacked = gemmPacked;
        return m;
    }();
    return t;
}

} // namespace fibnlr::avx512
#endif
