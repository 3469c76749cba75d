#pragma once
#include <limits>

#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// Element-wise operators with one data input and an output of the same shape.
template <class Derived, class Attrs>
class UnaryOp : public OperatorWithAttrs<Derived, Attrs> {
public:
    using OperatorWithAttrs<Derived, Attrs>::OperatorWithAttrs;
    const std::vector<InputSpec>& inputSpecs() const override {
        static const std::vector<InputSpec> specs{{"X", InputCategory::Data}};
        return specs;
    }
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override {
        this->validate();
        return {in.at(0)};
    }
};

#define FIBNLR_UNARY_OP(Class, Name, AttrType)                                 \
    class Class : public UnaryOp<Class, AttrType> {                            \
    public:                                                                    \
        using UnaryOp::UnaryOp;                                                \
        std::string type() const override { return Name; }                     \
        void validate() const override;                                        \
    };

struct LeakyReLUAttrs {
    float alpha = 0.01f;
    template <class V> void visit(V&& v) { v("alpha", alpha); }
};
/// approximate: "none" (x·Φ(x), erf form) or "tanh".
struct GELUAttrs {
    std::string approximate = "none";
    template <class V> void visit(V&& v) { v("approximate", approximate); }
};
/// ONNX Clip with constant bounds (ReLU6 is min 0, max 6).
struct ClipAttrs {
    float min = -std::numeric_limits<float>::infinity();
    float max = std::numeric_limits<float>::infinity();
    template <class V> void visit(V&& v) {
        v("min", min);
        v("max", max);
    }
};
struct HardSigmoidAttrs {
    float alpha = 0.2f, beta = 0.5f;
    template <class V> void visit(V&& v) {
        v("alpha", alpha);
        v("beta", beta);
    }
};
/// Inference-time Dropout: the identity; `ratio` kept for export.
struct DropoutAttrs {
    float ratio = 0.5f;
    template <class V> void visit(V&& v) { v("ratio", ratio); }
};

FIBNLR_UNARY_OP(ReLUOp, "ReLU", NoAttrs)
FIBNLR_UNARY_OP(LeakyReLUOp, "LeakyReLU", LeakyReLUAttrs)
FIBNLR_UNARY_OP(GELUOp, "GELU", GELUAttrs)
FIBNLR_UNARY_OP(ClipOp, "Clip", ClipAttrs)
FIBNLR_UNARY_OP(SigmoidOp, "Sigmoid", NoAttrs)
FIBNLR_UNARY_OP(HardSigmoidOp, "HardSigmoid", HardSigmoidAttrs)
FIBNLR_UNARY_OP(HardSwishOp, "HardSwish", NoAttrs)
FIBNLR_UNARY_OP(TanhOp, "Tanh", NoAttrs)
FIBNLR_UNARY_OP(IdentityOp, "Identity", NoAttrs)
FIBNLR_UNARY_OP(DropoutOp, "Dropout", DropoutAttrs)

#undef FIBNLR_UNARY_OP

} // namespace fibnlr
