#pragma once
#include "fibnlr/operator/Operator.hpp"
#include "fibnlr/operator/Window.hpp"

namespace fibnlr {

/// ONNX Conv attributes. Empty lists take the ONNX defaults (kernel from the
/// weight shape, strides and dilations 1, pads 0).
struct ConvAttrs {
    std::vector<std::int64_t> kernelShape, strides, pads, dilations;
    std::int64_t group = 1;
    std::string autoPad = "NOTSET";
    template <class V> void visit(V&& v) {
        v("kernel_shape", kernelShape);
        v("strides", strides);
        v("pads", pads);
        v("dilations", dilations);
        v("group", group);
        v("auto_pad", autoPad);
    }
};

/// N-d convolution (1-D and 2-D in practice): X [N, C, *S], W [M, C/group, *K], B [M].
/// B may also be a bias map [M, *S'] (S' the output spatial dims): the
/// constant output f(0) of a merged chain of convs, added per position
/// (docs/merging.md). A map fixes the input size: other sizes fail the shape rule.
class ConvOp : public OperatorWithAttrs<ConvOp, ConvAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "Conv"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    void validate() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& inputs) const override;
    /// The window for input dims `x` and weight dims `w`.
    Window window(const Shape& x, const Shape& w) const;
};

} // namespace fibnlr
