#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace fibnlr {

/// What one counting pass adds up over a tensor x seen as [outer, C, inner]
/// (N, channels, product of the spatial dims; channel on dimension 1).
struct SignCounts {
    double neg = 0.0;              ///< Σ |x| over finite x < 0
    double pos = 0.0;              ///< Σ x over finite x > 0
    std::uint64_t nonFinite = 0;   ///< number of NaN / ±Inf values (in neither mass)
};

/// Counts signs of `x` ([outer, channels, inner], contiguous): adds the
/// masses and the non-finite count to `out`, and sets alive[c] = 1 for every
/// channel c holding a value > 0 (alive is never reset to 0). Zeros
/// count for neither mass; a +Inf marks its channel alive. Kernels only
/// assert; the caller checks shapes.
/// How a counting kernel sees a tensor of dims `d`: [outer = N, channels = C,
/// inner = product of the rest] for rank >= 2; a 1-D tensor is one channel.
struct CountLayout {
    std::size_t outer = 1, channels = 1, inner = 1;
};
inline CountLayout countLayout(const std::vector<std::size_t>& d) {
    CountLayout l;
    if (d.size() >= 2) {
        l.outer = d[0];
        l.channels = d[1];
        for (std::size_t i = 2; i < d.size(); ++i) l.inner *= d[i];
    } else if (d.size() == 1) {
        l.inner = d[0];
    }
    return l;
}

using CountSignsFn = void (*)(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                              std::uint8_t* alive, SignCounts& out);

/// The naive oracle: one element at a time, accumulated in double.
void countSigns_f32_ref(const float* x, std::size_t outer, std::size_t channels, std::size_t inner,
                        std::uint8_t* alive, SignCounts& out);
/// The fast versions are the micro-kernel tables' `countSigns`
/// (kernels/cpu/Micro.hpp, loops in kernels/cpu/CountingImpl.inl): one pass
/// per batch item over its C·inner floats in blocks of 1024 (W-float vectors
/// of the GCC/Clang vector extension, 2W lanes per step, software prefetch),
/// each block's partial sums widened to double; alive flags are then checked
/// only for channels not yet alive, on data still in cache. A call that met a
/// non-finite value (or a float overflow) redoes its masses with the
/// reference, so NaN/Inf never reach the masses. Relative error per block
/// about 64 float roundings.

struct CountingKernel {
    std::string name;
    CountSignsFn fn;
    bool (*available)();
};

/// Every counting kernel, the reference first, then one per micro-kernel table
/// (fn is null where the CPU lacks the table's ISA); drives the tests that
/// compare each kernel to the reference.
const std::vector<CountingKernel>& countingKernels();
/// The counting kernel of the table set_kernels selected (the fastest by default).
CountSignsFn bestCountSigns();

/// Baseline for benchmarks: a plain streaming read (sum) of `n` floats, the
/// memory-bandwidth yardstick the counting kernel is compared to (from the
/// same micro-kernel table as bestCountSigns).
float streamRead_f32(const float* x, std::size_t n);

} // namespace fibnlr
