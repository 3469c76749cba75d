#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// Y = alpha · op(A) · op(B) + beta · C, op = transpose when trans* is 1; C broadcasts to [M, N].
struct GemmAttrs {
    float alpha = 1.f, beta = 1.f;
    std::int64_t transA = 0, transB = 0;
    template <class V> void visit(V&& v) {
        v("alpha", alpha);
        v("beta", beta);
        v("transA", transA);
        v("transB", transB);
    }
};

class GemmOp : public OperatorWithAttrs<GemmOp, GemmAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "Gemm"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    void validate() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};

/// numpy matmul: 1-D operands promoted, batch dims broadcast.
class MatMulOp : public OperatorWithAttrs<MatMulOp, NoAttrs> {
public:
    std::string type() const override { return "MatMul"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};

} // namespace fibnlr
