#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// Local response normalisation across channels:
/// y = x / (bias + alpha / size · Σ_{c' in window} x_{c'}²)^beta.
struct LRNAttrs {
    float alpha = 1e-4f, beta = 0.75f, bias = 1.f;
    std::int64_t size = 1;
    template <class V> void visit(V&& v) {
        v("alpha", alpha);
        v("beta", beta);
        v("bias", bias);
        v("size", size);
    }
};

class LRNOp : public OperatorWithAttrs<LRNOp, LRNAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "LRN"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    void validate() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};

/// Softmax along one axis (opset 13 semantics).
struct SoftmaxAttrs {
    std::int64_t axis = -1;
    template <class V> void visit(V&& v) { v("axis", axis); }
};

class SoftmaxOp : public OperatorWithAttrs<SoftmaxOp, SoftmaxAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "Softmax"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};

} // namespace fibnlr
