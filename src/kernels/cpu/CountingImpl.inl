// The sign-counting loops of FIBNLR's measure, included by MicroImpl.inl
// inside its anonymous namespace, so that each micro-kernel table compiles
// them for its own ISA (W floats per vector: FIBNLR_GEMM_W, 4 in the generic
// table, 8 with AVX2). The reference and the meaning of the results are in
// kernels/Counting.hpp.

constexpr std::size_t kBlock = 1024;
constexpr std::size_t kPrefetch = 512;  // floats ahead (2 KB): hides DRAM latency

// GCC/Clang vector extension, W floats per vector.
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

/// Adds the masses of x[0..n) to `acc` block by block.
template <std::size_t W> inline void blockedAccumulate(const float* x, std::size_t n, Acc<W>& acc) {
    using V = typename Vec<W>::type;
    const V zero = {};
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
        for (std::size_t l = 0; l < W; ++l) {
            acc.pos[l] += p[l];
            acc.neg[l] -= q[l];
        }
        for (; j < m; ++j) {
            const float v = b[j];
            if (v > 0.f) acc.tailPos += v;
            else if (v < 0.f) acc.tailNeg -= v;
            acc.tailZ += v - v;
        }
    }
}

/// Whether any of s[0..n) is > 0: a short scalar look first (a live channel
/// usually shows a positive value at once), then a vectorisable scan.
inline bool anyPositive(const float* s, std::size_t n) {
    const std::size_t head = std::min<std::size_t>(n, 8);
    for (std::size_t k = 0; k < head; ++k)
        if (s[k] > 0.f) return true;
    std::uint8_t a = 0;
    for (std::size_t k = head; k < n; ++k) a |= static_cast<std::uint8_t>(s[k] > 0.f);
    return a != 0;
}

/// Row by row (one item of the batch: C·inner contiguous floats): the masses
/// over the whole row in blocks, ignoring channel boundaries; then the alive
/// flags, looking only at channels not yet known alive, on data still in cache.
template <std::size_t W>
inline void countImpl(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                             std::uint8_t* alive, SignCounts& out) {
    Acc<W> acc;
    const std::size_t row = channels * inner;
    for (std::size_t o = 0; o < outer; ++o) {
        const float* r = x + o * row;
        blockedAccumulate(r, row, acc);
        for (std::size_t c = 0; c < channels; ++c)
            if (!alive[c] && anyPositive(r + c * inner, inner)) alive[c] = 1;
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

/// A plain streaming read (sum): the memory-bandwidth yardstick of the counting benchmark.
inline float streamReadImpl(const float* x, std::size_t n) {
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
