#include "fibnlr/kernels/Counting.hpp"

#include <cassert>
#include <cmath>

#include "fibnlr/kernels/cpu/Micro.hpp"

namespace fibnlr {

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

namespace {
bool always() { return true; }
bool hasAvx2() { return microAvx2() != nullptr; }
bool hasAvx512() { return microAvx512() != nullptr; }
CountSignsFn tableFn(const Micro* m) { return m ? m->countSigns : nullptr; }
} // namespace

const std::vector<CountingKernel>& countingKernels() {
    // The reference, then the counting loop of each micro-kernel table (kernels/cpu/Micro.hpp):
    // the same ISA dispatch as every other SIMD kernel.
    static const std::vector<CountingKernel> list{
        {"countSigns_f32_ref", countSigns_f32_ref, always},
        {"countSigns_f32_generic", microGeneric().countSigns, always},
        {"countSigns_f32_avx2", tableFn(microAvx2()), hasAvx2},
        {"countSigns_f32_avx512", tableFn(microAvx512()), hasAvx512},
    };
    return list;
}

CountSignsFn bestCountSigns() { return micro().countSigns; }

float streamRead_f32(const float* x, std::size_t n) { return micro().streamRead(x, n); }

} // namespace fibnlr
