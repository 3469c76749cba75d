#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// Mean over `axes` (all axes when empty), keeping them as size 1 when keepdims.
struct ReduceMeanAttrs {
    std::vector<std::int64_t> axes;
    std::int64_t keepdims = 1;
    template <class V> void visit(V&& v) {
        v("axes", axes);
        v("keepdims", keepdims);
    }
};

class ReduceMeanOp : public OperatorWithAttrs<ReduceMeanOp, ReduceMeanAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "ReduceMean"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
    /// Which axes of a rank-`rank` input are reduced.
    std::vector<bool> reducedAxes(std::size_t rank) const;
};

} // namespace fibnlr
