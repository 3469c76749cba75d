#include "PackedWeights.hpp"

#include <algorithm>
#include <memory>
#include <vector>

#include "fibnlr/kernels/StepState.hpp"
#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Conv.hpp"

namespace fibnlr {

namespace {
inline std::size_t ceilDiv(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

/// Packed weights kept by a compiled plan's step, valid while the weights'
/// TensorStamp is the one they were packed from and the layout (panel
/// height, which set_kernels can change, groups, shape, K blocks) is unchanged.
struct PackedConvWeights : StepState {
    std::size_t MR = 0, G = 0, Mg = 0, K = 0, kc = 0;
    TensorStamp source;
    std::vector<float> A;
};
} // namespace

void packWeights(const float* w, std::size_t G, std::size_t Mg, std::size_t K, std::size_t kc, std::size_t MR,
                 float* A) {
    const std::size_t panels = ceilDiv(Mg, MR);
    parallelRange(G * panels, 1, [&](std::size_t q0, std::size_t q1) {
        for (std::size_t gq = q0; gq < q1; ++gq) {
            const std::size_t gi = gq / panels, q = gq % panels, o0 = q * MR, rows = std::min(MR, Mg - o0);
            const float* src = w + (gi * Mg + o0) * K;
            for (std::size_t kb = 0; kb < K; kb += kc) {
                const std::size_t kl = std::min(kc, K - kb);
                float* dst = A + gi * panels * MR * K + kb * panels * MR + q * kl * MR;
                for (std::size_t k = kb; k < kb + kl; ++k) {
                    float* d = dst + (k - kb) * MR;
                    for (std::size_t r = 0; r < rows; ++r) d[r] = src[r * K + k];
                    for (std::size_t r = rows; r < MR; ++r) d[r] = 0.f;
                }
            }
        }
    });
}

const float* keptPackedWeights(const ConvParams& p, const float* w, std::size_t G, std::size_t Mg, std::size_t K,
                               std::size_t kc, std::size_t MR) {
    const std::size_t aFloats = G * ceilDiv(Mg, MR) * K * MR;
    std::unique_ptr<StepState>* slot = currentStepState();
    if (!slot) {
        float* a = scratch(3, aFloats);
        packWeights(w, G, Mg, K, kc, MR, a);
        return a;
    }
    auto* cache = dynamic_cast<PackedConvWeights*>(slot->get());
    if (!cache) slot->reset(cache = new PackedConvWeights);
    const bool reuse = p.weights.storage != 0 && cache->source == p.weights && cache->MR == MR && cache->G == G &&
                       cache->Mg == Mg && cache->K == K && cache->kc == kc && cache->A.size() == aFloats;
    if (!reuse) {
        cache->MR = MR, cache->G = G, cache->Mg = Mg, cache->K = K, cache->kc = kc, cache->source = p.weights;
        cache->A.resize(aFloats);
        packWeights(w, G, Mg, K, kc, MR, cache->A.data());
    }
    return cache->A.data();
}

bool groupOneConvParams(const Operator& op, const std::vector<Shape>& in, ConvParams& p) {
    if (!supportsConv2d(op, in)) return false;
    Activation act;
    const auto& conv = static_cast<const ConvOp&>(unfuse(op, act));
    if (conv.attrs.group != 1) return false;
    p = convParams(conv, in.at(0), in.at(1));
    return true;
}

bool convEpilogueRow(const Micro& mk, const ConvParams& p, const float* scale, const float* shift,
                     const Activation& act, std::size_t oc, std::size_t pa, const float* src, float* dst,
                     std::size_t len, EpilogueCounts* counts) {
    if (p.biasMap) {  // a merged conv's f(0), per position, before the per-channel affine
        std::size_t P = 1;
        for (std::size_t d : p.outDims) P *= d;
        mk.binary(0, src, 1, p.biasMap + oc * P + pa, 1, dst, len, Activation{});
        src = dst;
    }
    const float sc = scale ? scale[oc] : 1.f, sh = shift ? shift[oc] : 0.f;
    if (!counts) {
        mk.scaleShiftAct(src, dst, len, sc, sh, act.forChannel(oc));
        return false;
    }
    return mk.scaleShiftCountAct(src, dst, len, sc, sh, act.forChannel(oc), counts->neg, counts->pos,
                                 counts->nonFinite);
}

} // namespace fibnlr
