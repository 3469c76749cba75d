// The AVX-512 (F, DQ, BW, VL) table: this file alone is compiled with those
// flags (CMakeLists.txt) and is only called after a run-time CPU check
// (Isa.cpp). It is the AVX2 table with sign counting replaced (masked double
// adds count 16 floats per step where AVX2 needs four times the instructions
// (a measuring forward is dominated by counting otherwise), the epilogue of
// the activations done in registers written the same way without counting,
// the packed GEMM tile widened to 12 × 32 (24 zmm accumulators), and the 3×3
// depthwise row at strides 1 and 2 in intrinsics. The other loops stay AVX2:
// GCC 12 vectorises some of them worse with AVX-512.
#if defined(__x86_64__)
#include <immintrin.h>

#include "fibnlr/kernels/cpu/Micro.hpp"

namespace fibnlr::avx512 {

namespace {

/// act(t) for the activations done in registers here; K = None passes t through.
/// max/min return their second operand when either is NaN or both are zeros,
/// so max(0, t) is exactly t < 0 ? 0 : t (ReLU: NaN and −0 pass through, as
/// in the reference; max(t, 0) would turn NaN into 0) and
/// v < a ? a : (v > b ? b : v) (Clip with a ≤ b, as ClipOp validates: NaN
/// and −0 pass through).
template <ActKind K> inline __m512 actVec(__m512 t, __m512 a, __m512 b) {
    const __m512 zero = _mm512_setzero_ps();
    if constexpr (K == ActKind::ReLU) return _mm512_max_ps(zero, t);
    else if constexpr (K == ActKind::LeakyReLU)
        return _mm512_mask_mul_ps(t, _mm512_cmp_ps_mask(t, zero, _CMP_NGE_UQ), t, a);  // v >= 0 ? v : a·v
    else if constexpr (K == ActKind::Clip)
        return _mm512_min_ps(b, _mm512_max_ps(a, t));
    else
        return t;
}

/// t = x·scale + shift as both passes compute it: Mode 0 t = x, 1 x + shift,
/// 2 one FMA (the same operations as the AVX2 scaleShiftAct).
template <int Mode> inline __m512 scaleShiftVec(__m512 x, __m512 vs, __m512 vt) {
    if constexpr (Mode == 0) return x;
    else if constexpr (Mode == 1) return _mm512_add_ps(x, vt);
    else return _mm512_fmadd_ps(x, vs, vt);
}

/// Double accumulators of one stream of vectors: negatives and positives,
/// low and high 8 lanes.
struct SignSums {
    __m512d n0 = _mm512_setzero_pd(), n1 = n0, p0 = n0, p1 = n0;
};

/// Statistics of the lanes `live` of t: finite negatives subtracted from
/// s.n*, finite positives added to s.p*, widened to double. Non-finite lanes
/// (rare) are counted in `bad`, and `upInf` notes a +Inf.
inline void countVec(__m512 t, __mmask16 live, SignSums& s, std::uint64_t& bad, bool& upInf) {
    const __m512 zero = _mm512_setzero_ps();
    const __mmask16 nonFinite = _mm512_mask_fpclass_ps_mask(live, t, 0x99);  // ±Inf, NaN
    if (__builtin_expect(nonFinite != 0, 0)) {
        bad += static_cast<std::uint64_t>(__builtin_popcount(static_cast<unsigned>(nonFinite)));
        upInf = upInf || _mm512_mask_cmp_ps_mask(nonFinite, t, zero, _CMP_GT_OQ) != 0;
    }
    const __mmask16 finite = live & static_cast<__mmask16>(~nonFinite);
    const __mmask16 isNeg = _mm512_mask_cmp_ps_mask(finite, t, zero, _CMP_LT_OQ);
    const __mmask16 isPos = _mm512_mask_cmp_ps_mask(finite, t, zero, _CMP_GT_OQ);
    const __m512d lo = _mm512_cvtps_pd(_mm512_castps512_ps256(t));
    const __m512d hi = _mm512_cvtps_pd(_mm512_castps512_ps256(_mm512_shuffle_f32x4(t, t, 0xEE)));
    s.n0 = _mm512_mask_sub_pd(s.n0, static_cast<__mmask8>(isNeg), s.n0, lo);
    s.n1 = _mm512_mask_sub_pd(s.n1, static_cast<__mmask8>(isNeg >> 8), s.n1, hi);
    s.p0 = _mm512_mask_add_pd(s.p0, static_cast<__mmask8>(isPos), s.p0, lo);
    s.p1 = _mm512_mask_add_pd(s.p1, static_cast<__mmask8>(isPos >> 8), s.p1, hi);
}

/// The lane sums of two vectors in one reduction: lane 0 of the result is
/// Σ a, lane 4 Σ b (halves, then quarters, then pairs added). A measured
/// epilogue reduces once per call, and calls on 49- to 196-float rows (7×7
/// and 14×14 maps) spent about 40 % of their time in two separate reductions.
inline void sum8x2(__m512d a, __m512d b, double& sumA, double& sumB) {
    // The maskz forms with every lane kept: the plain ones start from _mm512_undefined_pd,
    // which GCC 12 reports as used uninitialized.
    __m512d t = _mm512_add_pd(_mm512_maskz_shuffle_f64x2(0xFF, a, b, 0x44), _mm512_maskz_shuffle_f64x2(0xFF, a, b, 0xEE));
    t = _mm512_add_pd(t, _mm512_maskz_shuffle_f64x2(0xFF, t, t, 0xB1));  // + the other 128-bit half of each 256
    t = _mm512_add_pd(t, _mm512_maskz_permute_pd(0xFF, t, 0x55));         // + the other double of each pair
    sumA = _mm512_cvtsd_f64(t);
    sumB = _mm_cvtsd_f64(_mm512_maskz_extractf64x2_pd(0x3, t, 2));
}

/// Adds one call's two streams of sums to neg and pos (one reduction) and
/// its non-finite count to nonFinite; returns the call's positive sum.
inline double addSignSums(const SignSums& s0, const SignSums& s1, std::uint64_t bad, double& neg, double& pos,
                          std::uint64_t& nonFinite) {
    double localNeg, localPos;
    sum8x2(_mm512_add_pd(_mm512_add_pd(s0.n0, s0.n1), _mm512_add_pd(s1.n0, s1.n1)),
           _mm512_add_pd(_mm512_add_pd(s0.p0, s0.p1), _mm512_add_pd(s1.p0, s1.p1)), localNeg, localPos);
    neg += localNeg;
    pos += localPos;
    nonFinite += bad;
    return localPos;
}

/// One pass: t = scaleShiftVec<Mode>(src), statistics of t, dst = act(t).
/// The masks of finite negatives / positives select which lanes, widened to
/// double, are added, so the statistics match a double-precision reference up
/// to summation order. Two streams of accumulators (32 floats per step) hide
/// the latency of the double adds; the tail is a masked load and store.
/// "Some t > 0" is read off the positive sum (every finite positive float is
/// a positive double, so the sum stays > 0) plus the +Inf seen.
template <ActKind K, int Mode>
bool fusedLoop(const float* src, float* dst, std::size_t n, float scale, float shift, const Activation& act,
               double& neg, double& pos, std::uint64_t& nonFinite) {
    const __m512 vs = _mm512_set1_ps(scale), vt = _mm512_set1_ps(shift);
    const __m512 va = _mm512_set1_ps(act.a), vb = _mm512_set1_ps(act.b);
    const auto pre = [&](__m512 x) { return scaleShiftVec<Mode>(x, vs, vt); };
    SignSums s0, s1;
    std::uint64_t bad = 0;
    bool upInf = false;
    std::size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        const __m512 t0 = pre(_mm512_loadu_ps(src + i)), t1 = pre(_mm512_loadu_ps(src + i + 16));
        countVec(t0, 0xFFFF, s0, bad, upInf);
        countVec(t1, 0xFFFF, s1, bad, upInf);
        _mm512_storeu_ps(dst + i, actVec<K>(t0, va, vb));
        _mm512_storeu_ps(dst + i + 16, actVec<K>(t1, va, vb));
    }
    for (; i < n; i += 16) {
        const __mmask16 live = n - i >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << (n - i)) - 1u);
        const __m512 t = pre(_mm512_maskz_loadu_ps(live, src + i));
        countVec(t, live, s0, bad, upInf);
        _mm512_mask_storeu_ps(dst + i, live, actVec<K>(t, va, vb));
    }
    return addSignSums(s0, s1, bad, neg, pos, nonFinite) > 0.0 || upInf;
}

/// The same pass without the statistics (the plain epilogue): the same
/// operations as fusedLoop, so a measured forward writes the same bits, and
/// the tail is a masked load and store where AVX2 loops end in scalar code
/// (rows of 49 or 196 outputs are common at batch 1).
template <ActKind K, int Mode> void actLoop(const float* src, float* dst, std::size_t n, float scale, float shift, const Activation& act) {
    const __m512 vs = _mm512_set1_ps(scale), vt = _mm512_set1_ps(shift);
    const __m512 va = _mm512_set1_ps(act.a), vb = _mm512_set1_ps(act.b);
    const auto pre = [&](__m512 x) { return scaleShiftVec<Mode>(x, vs, vt); };
    std::size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(dst + i, actVec<K>(pre(_mm512_loadu_ps(src + i)), va, vb));
    if (i < n) {
        const __mmask16 live = static_cast<__mmask16>((1u << (n - i)) - 1u);
        _mm512_mask_storeu_ps(dst + i, live, actVec<K>(pre(_mm512_maskz_loadu_ps(live, src + i)), va, vb));
    }
}

template <ActKind K> void actByMode(const float* src, float* dst, std::size_t n, float scale, float shift, const Activation& act) {
    if (scale == 1.f && shift == 0.f) actLoop<K, 0>(src, dst, n, scale, shift, act);
    else if (scale == 1.f) actLoop<K, 1>(src, dst, n, scale, shift, act);
    else actLoop<K, 2>(src, dst, n, scale, shift, act);
}

void scaleShiftAct(const float* x, float* y, std::size_t n, float scale, float shift, const Activation& act) {
    switch (act.kind) {
    case ActKind::None: return actByMode<ActKind::None>(x, y, n, scale, shift, act);
    case ActKind::ReLU: return actByMode<ActKind::ReLU>(x, y, n, scale, shift, act);
    case ActKind::LeakyReLU: return actByMode<ActKind::LeakyReLU>(x, y, n, scale, shift, act);
    case ActKind::Clip: return actByMode<ActKind::Clip>(x, y, n, scale, shift, act);
    default: return microAvx2()->scaleShiftAct(x, y, n, scale, shift, act);  // transcendental: the AVX2 loops
    }
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

/// The three taps (kx = 0, 1, 2) of 16 consecutive outputs of one input row
/// of a 3×3 window at stride S = 1 or 2: t[kx][j] = x[i + j·S + kx]. `avail`
/// floats from x + i may be read; loads past them are masked (their lanes
/// feed only outputs past the row's end). Stride 1: two vectors and two
/// lane shifts (one load per tap was no faster in L1 and slower in the model).
/// Stride 2: 32 floats give the even (kx = 0) and odd (kx = 1) taps, the
/// same two vectors read 2 floats on give kx = 2.
template <std::size_t S> inline void taps3(const float* x, std::size_t i, std::size_t avail, __m512 t[3]) {
    const auto load = [&](std::size_t off) {
        if (avail >= off + 16) return _mm512_loadu_ps(x + i + off);
        const std::size_t k = avail > off ? avail - off : 0;
        return _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << k) - 1u), x + i + off);
    };
    if constexpr (S == 1) {
        const __m512i v0 = _mm512_castps_si512(load(0)), v1 = _mm512_castps_si512(load(16));
        t[0] = _mm512_castsi512_ps(v0);
        t[1] = _mm512_castsi512_ps(_mm512_alignr_epi32(v1, v0, 1));
        t[2] = _mm512_castsi512_ps(_mm512_alignr_epi32(v1, v0, 2));
    } else {
        const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
        const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
        const __m512 v0 = load(0), v1 = load(16);
        t[0] = _mm512_permutex2var_ps(v0, even, v1);
        t[1] = _mm512_permutex2var_ps(v0, odd, v1);
        t[2] = _mm512_permutex2var_ps(load(2), even, load(18));
    }
}

/// dw3x3Row at stride S = 1 or 2, 16 outputs per step; the last step stores
/// only the outputs left. Per tap row (w0·a + w1·b) + w2·c as a multiply and
/// two FMAs, then (r0 + r1) + r2, the AVX2 loop's order.
template <std::size_t S> void dw3x3Line(const float* const* r, const float* w, std::size_t n, float* y) {
    const std::size_t len = (n - 1) * S + 3;  // floats of each row the n outputs read
    __m512 wv[9];
    for (int k = 0; k < 9; ++k) wv[k] = _mm512_set1_ps(w[k]);
    const auto row = [&](const float* x, std::size_t i, int k) {
        __m512 t[3];
        taps3<S>(x, i, len - i, t);
        return _mm512_fmadd_ps(wv[k + 2], t[2], _mm512_fmadd_ps(wv[k + 1], t[1], _mm512_mul_ps(wv[k], t[0])));
    };
    for (std::size_t ox = 0; ox < n; ox += 16) {
        const std::size_t i = ox * S;
        const __m512 v = _mm512_add_ps(_mm512_add_ps(row(r[0], i, 0), row(r[1], i, 3)), row(r[2], i, 6));
        if (n - ox >= 16) _mm512_storeu_ps(y + ox, v);
        else _mm512_mask_storeu_ps(y + ox, static_cast<__mmask16>((1u << (n - ox)) - 1u), v);
    }
}

/// The AVX2 loop (8 lanes, strided loads shuffled by GCC) at other strides.
/// Per step in MobileNetV2 224×224 (1 and 2 threads, batch 1 and 8) against
/// the AVX2 loop: stride 2 1.21-1.37×, the in-place stride-1 rows of 110 and
/// 54 outputs 1.06-1.46×, the 28×28 padded line 0.95-1.0×.
void dw3x3Row(const float* const* r, const float* w, std::size_t n, std::size_t stride, float* y) {
    if (n == 0) return;
    if (stride == 1) return dw3x3Line<1>(r, w, n, y);
    if (stride == 2) return dw3x3Line<2>(r, w, n, y);
    microAvx2()->dw3x3Row(r, w, n, stride, y);
}

} // namespace

#define FIBNLR_GEMM_W 16
#define FIBNLR_GEMM_MR 12
#include "GemmPacked.inl"
#define FIBNLR_DW_AFFINE_OWN  // dwAffineAct and dwAffineCountAct below, with this table's FMA
#include "DwInterleaved.inl"

namespace {
/// Micro::dwAffineAct with this table's scaleShiftAct operations: one FMA
/// (x·1 + shift rounds once, as its x + shift) where the lane's channel has
/// an affine, x itself elsewhere; actVec.
template <ActKind K> void dwAffineActVec(float* v, std::size_t n, const float* scale, const float* shift, const Activation& act) {
    const __m512 s = _mm512_loadu_ps(scale), t = _mm512_loadu_ps(shift);
    const __m512 va = _mm512_set1_ps(act.a), vb = _mm512_set1_ps(act.b);
    const __mmask16 affine = static_cast<__mmask16>(
        ~(_mm512_cmp_ps_mask(s, _mm512_set1_ps(1.f), _CMP_EQ_OQ) & _mm512_cmp_ps_mask(t, _mm512_setzero_ps(), _CMP_EQ_OQ)));
    for (std::size_t i = 0; i < n; ++i) {
        const __m512 x = _mm512_loadu_ps(v + i * 16);
        _mm512_storeu_ps(v + i * 16, actVec<K>(_mm512_mask_fmadd_ps(x, affine, s, t), va, vb));
    }
}

/// Micro::dwAffineCountAct: dwAffineActVec's values, counted by countVec on
/// the live lanes in two streams of accumulators (as fusedLoop).
template <ActKind K>
std::uint32_t dwAffineCountActVec(float* v, std::size_t n, const float* scale, const float* shift, const Activation& act,
                                  std::size_t lanes, double& neg, double& pos, std::uint64_t& nonFinite) {
    const __m512 s = _mm512_loadu_ps(scale), t = _mm512_loadu_ps(shift), zero = _mm512_setzero_ps();
    const __m512 va = _mm512_set1_ps(act.a), vb = _mm512_set1_ps(act.b);
    const __mmask16 affine = static_cast<__mmask16>(
        ~(_mm512_cmp_ps_mask(s, _mm512_set1_ps(1.f), _CMP_EQ_OQ) & _mm512_cmp_ps_mask(t, zero, _CMP_EQ_OQ)));
    const __mmask16 live = lanes >= 16 ? __mmask16(0xFFFF) : static_cast<__mmask16>((1u << lanes) - 1u);
    SignSums s0, s1;
    std::uint64_t bad = 0;
    bool upInf = false;  // countVec's; `up` below already has the +Inf lanes
    __mmask16 up = 0;
    auto step = [&](std::size_t i, SignSums& acc) {
        const __m512 x = _mm512_mask_fmadd_ps(_mm512_loadu_ps(v + i * 16), affine, s, t);
        countVec(x, live, acc, bad, upInf);
        up |= _mm512_mask_cmp_ps_mask(live, x, zero, _CMP_GT_OQ);
        _mm512_storeu_ps(v + i * 16, actVec<K>(x, va, vb));
    };
    std::size_t i = 0;
    for (; i + 2 <= n; i += 2) {
        step(i, s0);
        step(i + 1, s1);
    }
    if (i < n) step(i, s0);
    addSignSums(s0, s1, bad, neg, pos, nonFinite);
    return up;
}

std::uint32_t dwAffineCountActAvx512(float* v, std::size_t n, const float* scale, const float* shift, const Activation& act,
                                     std::size_t lanes, double& neg, double& pos, std::uint64_t& nonFinite) {
    switch (act.kind) {
    case ActKind::ReLU: return dwAffineCountActVec<ActKind::ReLU>(v, n, scale, shift, act, lanes, neg, pos, nonFinite);
    case ActKind::LeakyReLU:
        return dwAffineCountActVec<ActKind::LeakyReLU>(v, n, scale, shift, act, lanes, neg, pos, nonFinite);
    case ActKind::Clip: return dwAffineCountActVec<ActKind::Clip>(v, n, scale, shift, act, lanes, neg, pos, nonFinite);
    default: return dwAffineCountActVec<ActKind::None>(v, n, scale, shift, act, lanes, neg, pos, nonFinite);
    }
}

void dwAffineActAvx512(float* v, std::size_t n, const float* scale, const float* shift, const Activation& act) {
    switch (act.kind) {
    case ActKind::ReLU: return dwAffineActVec<ActKind::ReLU>(v, n, scale, shift, act);
    case ActKind::LeakyReLU: return dwAffineActVec<ActKind::LeakyReLU>(v, n, scale, shift, act);
    case ActKind::Clip: return dwAffineActVec<ActKind::Clip>(v, n, scale, shift, act);
    default: return dwAffineActVec<ActKind::None>(v, n, scale, shift, act);
    }
}
} // namespace

const Micro& table() {
    static const Micro t = [] {
        Micro m = *microAvx2();
        m.name = "avx512";
        m.scaleShiftAct = scaleShiftAct;
        m.countAct = countAct;
        m.dw3x3Row = dw3x3Row;
        m.scaleShiftCountAct = scaleShiftCountAct;
        m.gemmMR = kGemmMR;
        m.gemmNR = kGemmNR;
        m.gemmPacked = gemmPacked;
        m.gemmIndirect = gemmIndirect;
        m.dwLanes = kGemmW;
        m.dwInterleaved = dwInterleaved;
        m.dwInterleave = dwInterleave;
        m.dwDeinterleave = dwDeinterleave;
        m.dwAffineAct = dwAffineActAvx512;
        m.dwAffineCountAct = dwAffineCountActAvx512;
        return m;
    }();
    return t;
}

} // namespace fibnlr::avx512
#endif
