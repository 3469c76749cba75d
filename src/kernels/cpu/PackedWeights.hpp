#pragma once
// Conv weights packed into the GEMM tile's MR-row panels, the per-row conv
// epilogue and the group-1 conv geometry, shared by the conv kernels on the
// packed tile (ConvPacked.cpp, ConvPointwise.cpp, ConvDirect.cpp) and the
// im2col kernel (Conv.cpp); internal to src/kernels/cpu.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fibnlr/kernels/cpu/Micro.hpp"
#include "fibnlr/kernels/ref/Conv.hpp"
#include "fibnlr/operator/Fused.hpp"
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// The weights [G·Mg, K] of G groups as K blocks of kc rows (the last one
/// shorter), each holding all panels: row k of panel q at A[g·panels·MR·K +
/// kb·panels·MR + q·kl·MR + (k − kb)·MR + r] = w[(g·Mg + q·MR + r)·K + k] for
/// the block [kb, kb + kl) holding k; rows past Mg zero (panels =
/// ⌈Mg / MR⌉). With kc = K, panel q of group g is [K][MR] at
/// A + (g·panels + q)·K·MR. A sweep over the panels of one K block reads
/// one contiguous stream.
void packWeights(const float* w, std::size_t G, std::size_t Mg, std::size_t K, std::size_t kc, std::size_t MR,
                 float* A);

/// packWeights' result for the weights w of p: kept by the compiled plan's
/// step (kernels/StepState.hpp) and packed again only when p.weights (the
/// TensorStamp) or the layout changed; outside a plan, packed into the
/// calling thread's scratch slot 3 on every call.
const float* keptPackedWeights(const ConvParams& p, const float* w, std::size_t G, std::size_t Mg, std::size_t K,
                               std::size_t kc, std::size_t MR);

/// The geometry of a 1-D or 2-D group-1 conv that the cpu conv kernels take
/// (supportsConv2d), into `p`; false for other ops or shapes. The common start
/// of the tile kernels' predicates (supportsConvDirect, supportsConvPointwise).
bool groupOneConvParams(const Operator& op, const std::vector<Shape>& in, ConvParams& p);

/// Sign statistics of one work item of a measured conv (see EpilogueStats).
struct EpilogueCounts {
    double neg = 0.0, pos = 0.0;
    std::uint64_t nonFinite = 0;
};

/// The conv epilogue of one piece of an output row: for i < len,
///   dst[i] = act((src[i] + biasMap[oc, pa + i])·scale[oc] + shift[oc])
/// (biasMap: ConvParams::biasMap, or none; scale null: 1, shift null: 0),
/// with act the channel's activation. dst may equal src. With `counts`, the
/// pre-activation values are counted, and the result says whether one of
/// them was > 0; without, the result is false.
bool convEpilogueRow(const Micro& mk, const ConvParams& p, const float* scale, const float* shift,
                     const Activation& act, std::size_t oc, std::size_t pa, const float* src, float* dst,
                     std::size_t len, EpilogueCounts* counts);

} // namespace fibnlr
