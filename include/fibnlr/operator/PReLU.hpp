#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// ONNX PRelu: y = x for x ≥ 0, slope · x otherwise (NaN stays NaN), with a
/// learned slope tensor (a parameter) unidirectionally broadcast to x: one
/// slope for all, or one per channel ([C, 1, 1] for an NCHW input, as
/// PyTorch's nn.PReLU(C) exports it).
class PReLUOp : public OperatorWithAttrs<PReLUOp, NoAttrs> {
public:
    std::string type() const override { return "PReLU"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};

} // namespace fibnlr
