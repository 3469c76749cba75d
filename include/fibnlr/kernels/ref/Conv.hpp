#pragma once
#include <cstddef>

#include "fibnlr/data/Tensor.hpp"

namespace fibnlr {

/// Geometry of an N-d convolution; spatial fields have `nbSpatial` entries.
struct ConvParams {
    std::size_t batch = 1, inChannels = 1, outChannels = 1, group = 1;
    Shape inDims, outDims, kernel, strides, dilations, padBegin;
    /// Bias map [outChannels, *outDims] added to the conv output before the
    /// per-channel epilogue (a merged conv's f(0)), or null. Same for every image.
    const float* biasMap = nullptr;
    /// The weights' TensorStamp when the caller knows it (the cpu launchers);
    /// a kernel may reuse data derived from w while it equals a kept stamp.
    /// Default (storage 0): unknown, nothing may be reused.
    TensorStamp weights;
};

/// Naive direct convolution, the oracle for every fast conv kernel.
/// x [N, C, *in], w [M, C/group, *kernel], b [M] or null, y [N, M, *out];
/// p.biasMap, when set, is added per output position.
void conv_f32_ref(const ConvParams& p, const float* x, const float* w, const float* b, float* y);

} // namespace fibnlr
