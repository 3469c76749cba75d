#include "fibnlr/kernels/Counting.hpp"

#include <algorithm>
#include <cassert>
#include <cfloat>
#include <cmath>
#include <cstring>

namespace fibnlr {

namespace {

#if defined(__GNUC__)
#define FIBNLR_INLINE inline __attribute__((always_inline))
#else
#define FIBNLR_INLINE inline
#endif

constexpr std::size_t kBlock = 1024;
constexpr std::size_t kPrefetch = 512;  // floats ahead (2 KB): hides DRAM latency

// GCC/Clang vector extension, W floats per vector: 4 (SSE2, the portable
// x86-64 baseline) or 8 (one AVX register in the AVX2 build).
template <std::size_t W> struct Vec {
    typedef float type __attribute__((vector_size(4 * W)));
};

/// Accumulators of one kernel call: per-block float partials are widened
/// lane by lane into doubles (independent adds, no serial chain); z stays 0
/// unless a non-finite value was seen (then NaN).
template <std::size_t W> struct Acc {
    typename Vec<W>::type z = {};
    double pos[W] = {}, neg[W] = {};
    double tailPos = 0.0, tailNeg = 0.0;
    float tailZ = 0.f;
};

/// Adds the masses of x[0..n) to `acc` block by block; returns whether any value is > 0.
template <std::size_t W> FIBNLR_INLINE bool blockedAccumulate(const float* x, std::size_t n, Acc<W>& acc) {
    using V = typename Vec<W>::type;
    const V zero = {};
    bool any = false;
    for (std::size_t start = 0; start < n; start += kBlock) {
        const float* b = x + start;
        const std::size_t m = std::min(kBlock, n - start);
        V p0 = zero, p1 = zero, q0 = zero, q1 = zero, z0 = zero, z1 = zero;
        std::size_t j = 0;
        for (; j + 2 * W <= m; j += 2 * W) {
            __builtin_prefetch(b + j + kPrefetch);
            V a, c;
            std::memcpy(&a, b + j, sizeof a);
            std::memcpy(&c, b + j + W, sizeof c);
            p0 += a > zero ? a : zero;
            p1 += c > zero ? c : zero;
            q0 += a < zero ? a : zero;
            q1 += c < zero ? c : zero;
            z0 += a - a;  // 0 for finite values, NaN for NaN and ±Inf
            z1 += c - c;
        }
        const V p = p0 + p1, q = q0 + q1;
        acc.z += z0 + z1;
        float anyLanes = 0.f;  // lanes of p are >= 0: their sum is > 0 iff one is
        for (std::size_t l = 0; l < W; ++l) {
            acc.pos[l] += p[l];
            acc.neg[l] -= q[l];
            anyLanes += p[l];
        }
        any = any || anyLanes > 0.f;
        for (; j < m; ++j) {
            const float v = b[j];
            if (v > 0.f) {
                acc.tailPos += v;
                any = true;
            } else if (v < 0.f) {
                acc.tailNeg -= v;
            }
            acc.tailZ += v - v;
        }
    }
    return any;
}

/// Inner sizes below this go row by row (masses over N rows of C·inner) with a
/// separate per-channel "any positive" pass over data that is still in cache.
constexpr std::size_t kSmallInner = 64;

template <std::size_t W>
FIBNLR_INLINE void countImpl(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                             std::uint8_t* alive, SignCounts& out) {
    Acc<W> acc;
    if (inner >= kSmallInner) {
        for (std::size_t o = 0; o < outer; ++o)
            for (std::size_t c = 0; c < channels; ++c) {
                const float* s = x + (o * channels + c) * inner;
                if (blockedAccumulate(s, inner, acc)) alive[c] = 1;
            }
    } else {
        const std::size_t row = channels * inner;
        for (std::size_t o = 0; o < outer; ++o) {
            const float* r = x + o * row;
            blockedAccumulate(r, row, acc);
            if (inner == 1) {
                for (std::size_t c = 0; c < channels; ++c) alive[c] |= static_cast<std::uint8_t>(r[c] > 0.f);
            } else {
                for (std::size_t c = 0; c < channels; ++c) {
                    std::uint8_t a = 0;
                    for (std::size_t k = 0; k < inner; ++k) a |= static_cast<std::uint8_t>(r[c * inner + k] > 0.f);
                    alive[c] |= a;
                }
            }
        }
    }
    double pos = acc.tailPos, neg = acc.tailNeg;
    float z = acc.tailZ;
    for (std::size_t l = 0; l < W; ++l) {
        pos += acc.pos[l];
        neg += acc.neg[l];
        z += acc.z[l];
    }
    if (z == 0.f && std::isfinite(pos) && std::isfinite(neg)) {
        out.pos += pos;
        out.neg += neg;
    } else {
        // A non-finite value (or a float block overflow): redo this call's
        // masses in double, skipping and counting non-finite values.
        countSigns_f32_ref(x, outer, channels, inner, alive, out);
    }
}

bool always() { return true; }
bool hasAvx2() {
#if defined(__x86_64__) && defined(__GNUC__)
    return __builtin_cpu_supports("avx2");
#else
    return false;
#endif
}

} // namespace

void countSigns_f32_ref(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                        std::uint8_t* alive, SignCounts& out) {
    assert(x || outer * channels * inner == 0);
    for (std::size_t o = 0; o < outer; ++o)
        for (std::size_t c = 0; c < channels; ++c)
            for (std::size_t k = 0; k < inner; ++k) {
                const float v = x[(o * channels + c) * inner + k];
                if (v > 0.f) alive[c] = 1;
                if (!std::isfinite(v)) ++out.nonFinite;
                else if (v > 0.f) out.pos += v;
                else if (v < 0.f) out.neg -= v;
            }
}

void countSigns_f32_blocked(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                            std::uint8_t* alive, SignCounts& out) {
    countImpl<4>(x, outer, channels, inner, alive, out);
}

#if defined(__x86_64__) && defined(__GNUC__)
__attribute__((target("avx2"))) void countSigns_f32_avx2(const float* x, std::size_t outer, std::size_t channels,
                                                         std::size_t inner, std::uint8_t* alive, SignCounts& out) {
    countImpl<8>(x, outer, channels, inner, alive, out);
}
#else
void countSigns_f32_avx2(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                         std::uint8_t* alive, SignCounts& out) {
    countImpl<4>(x, outer, channels, inner, alive, out);
}
#endif

const std::vector<CountingKernel>& countingKernels() {
    static const std::vector<CountingKernel> list{
        {"countSigns_f32_ref", countSigns_f32_ref, always},
        {"countSigns_f32_blocked", countSigns_f32_blocked, always},
        {"countSigns_f32_avx2", countSigns_f32_avx2, hasAvx2},
    };
    return list;
}

CountSignsFn bestCountSigns() {
    static const CountSignsFn best = [] {
        CountSignsFn f = countSigns_f32_ref;
        for (const CountingKernel& k : countingKernels())
            if (k.available()) f = k.fn;  // listed slowest to fastest
        return f;
    }();
    return best;
}

float streamRead_f32(const float* x, std::size_t n) {
    constexpr std::size_t kLanes = 16;
    float s[kLanes] = {};
    std::size_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
        for (std::size_t l = 0; l < kLanes; ++l) s[l] += x[i + l];
    float t = 0.f;
    for (std::size_t l = 0; l < kLanes; ++l) t += s[l];
    for (; i < n; ++i) t += x[i];
    return t;
}

} // namespace fibnlr
