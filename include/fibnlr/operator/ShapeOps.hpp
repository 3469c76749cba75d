#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// Operators that only move data: Flatten, Reshape, Transpose, Squeeze,
/// Unsqueeze. Shape operands that ONNX passes as inputs are attributes here
/// (folded to constants at import).

struct FlattenAttrs {
    std::int64_t axis = 1;
    template <class V> void visit(V&& v) { v("axis", axis); }
};
/// `shape` may hold one -1 (inferred) and 0 (copy the input dim, allowzero 0).
struct ReshapeAttrs {
    std::vector<std::int64_t> shape;
    std::int64_t allowzero = 0;
    template <class V> void visit(V&& v) {
        v("shape", shape);
        v("allowzero", allowzero);
    }
};
struct TransposeAttrs {
    std::vector<std::int64_t> perm;  ///< empty: reverse the axes
    template <class V> void visit(V&& v) { v("perm", perm); }
};
struct AxesAttrs {
    std::vector<std::int64_t> axes;  ///< Squeeze: empty removes every 1
    template <class V> void visit(V&& v) { v("axes", axes); }
};

template <class Derived, class Attrs>
class ShapeOp : public OperatorWithAttrs<Derived, Attrs> {
public:
    using OperatorWithAttrs<Derived, Attrs>::OperatorWithAttrs;
    const std::vector<InputSpec>& inputSpecs() const override {
        static const std::vector<InputSpec> specs{{"data", InputCategory::Data}};
        return specs;
    }
};

class FlattenOp : public ShapeOp<FlattenOp, FlattenAttrs> {
public:
    using ShapeOp::ShapeOp;
    std::string type() const override { return "Flatten"; }
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};
class ReshapeOp : public ShapeOp<ReshapeOp, ReshapeAttrs> {
public:
    using ShapeOp::ShapeOp;
    std::string type() const override { return "Reshape"; }
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};
class TransposeOp : public ShapeOp<TransposeOp, TransposeAttrs> {
public:
    using ShapeOp::ShapeOp;
    std::string type() const override { return "Transpose"; }
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
    /// The permutation resolved for a given rank.
    std::vector<std::size_t> permutation(std::size_t rank) const;
};
class SqueezeOp : public ShapeOp<SqueezeOp, AxesAttrs> {
public:
    using ShapeOp::ShapeOp;
    std::string type() const override { return "Squeeze"; }
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};
class UnsqueezeOp : public ShapeOp<UnsqueezeOp, AxesAttrs> {
public:
    using ShapeOp::ShapeOp;
    std::string type() const override { return "Unsqueeze"; }
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};

} // namespace fibnlr
