#pragma once
#include <cstddef>

#include "fibnlr/data/Tensor.hpp"

namespace fibnlr {

/// Geometry of an N-d pooling over x [batch, channels, *inDims] into
/// y [batch, channels, *outDims]; spatial fields have one entry per spatial axis.
/// Window tap k of output o reads input position o·stride + k·dilation − padBegin.
struct PoolParams {
    std::size_t batch = 1, channels = 1;
    Shape inDims, outDims, kernel, strides, dilations, padBegin, padEnd;
    bool countIncludePad = false;  ///< AveragePool only
};

/// Max over the taps inside the input: padding never wins. A window lying
/// wholly in the padding gives the lowest float (as onnxruntime).
void maxpool_f32_ref(const PoolParams& p, const float* x, float* y);

/// Mean over the taps inside the input. The divisor is the number of those
/// taps (countIncludePad false), or the number of taps inside input + pads
/// (countIncludePad true): with ceil mode, taps past the end padding count for
/// neither (ONNX, PyTorch). An empty divisor gives 0.
void avgpool_f32_ref(const PoolParams& p, const float* x, float* y);

} // namespace fibnlr
