#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// Inference BatchNormalization: y = (x - mean) / sqrt(var + epsilon) · scale + B, per channel (dim 1).
struct BatchNormAttrs {
    float epsilon = 1e-5f, momentum = 0.9f;
    template <class V> void visit(V&& v) {
        v("epsilon", epsilon);
        v("momentum", momentum);
    }
};

class BatchNormOp : public OperatorWithAttrs<BatchNormOp, BatchNormAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "BatchNormalization"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    void validate() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};

} // namespace fibnlr
