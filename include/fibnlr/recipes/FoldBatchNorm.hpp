#pragma once
#include <string>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"

namespace fibnlr {

struct BatchNormFold {
    std::string batchNorm;  ///< the BatchNormalization node removed
    std::string into;       ///< the Conv or Gemm that absorbed it (same name as before)
};

/// Folds every inference BatchNormalization that directly follows a Conv or
/// a Gemm into that layer's weights and bias.
///
/// Pattern: Conv|Gemm -> BatchNormalization, the layer's output used only by
/// the BN. Conditions: weights, bias and the four BN parameters are constant
/// Producers; a Gemm's bias C is [N], [1, N] or a scalar. Maths, with the BN's
/// own epsilon and s = scale / sqrt(var + epsilon) per output channel:
/// W' = W · s, b' = (b - mean) · s + B. The folded layer keeps its name and
/// takes over the BN's output (and its ONNX output names). A BN whose
/// pattern or conditions do not hold is left alone. Returns the folds done.
std::vector<BatchNormFold> foldBatchNorm(GraphView& graph);

} // namespace fibnlr
