#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// How a reduction combines the values of its window.
enum class ReduceKind { Mean, Max, Min, Sum };

/// The reductions over axes, X(Class, "Type", ReduceKind). Each reduces over
/// `axes` (all axes when empty), keeping them as size 1 when keepdims. Max
/// and Min give NaN when a NaN is in the window, as ONNX does.
#define FIBNLR_REDUCTIONS(X)                   \
    X(ReduceMeanOp, "ReduceMean", ReduceKind::Mean) \
    X(ReduceMaxOp, "ReduceMax", ReduceKind::Max)    \
    X(ReduceMinOp, "ReduceMin", ReduceKind::Min)    \
    X(ReduceSumOp, "ReduceSum", ReduceKind::Sum)

struct ReduceAttrs {
    std::vector<std::int64_t> axes;
    std::int64_t keepdims = 1;
    template <class V> void visit(V&& v) {
        v("axes", axes);
        v("keepdims", keepdims);
    }
};

/// What every reduction provides besides Operator.
class ReduceOperator {
public:
    virtual ~ReduceOperator() = default;
    virtual ReduceKind reduceKind() const = 0;
    /// Which axes of a rank-`rank` input are reduced.
    virtual std::vector<bool> reducedAxes(std::size_t rank) const = 0;
};

template <class Derived>
class ReduceOpBase : public OperatorWithAttrs<Derived, ReduceAttrs>, public ReduceOperator {
public:
    using OperatorWithAttrs<Derived, ReduceAttrs>::OperatorWithAttrs;
    const std::vector<InputSpec>& inputSpecs() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
    std::vector<bool> reducedAxes(std::size_t rank) const override;
};

#define FIBNLR_X(Class, Name, Kind)                                         \
    class Class : public ReduceOpBase<Class> {                              \
    public:                                                                 \
        using ReduceOpBase::ReduceOpBase;                                   \
        std::string type() const override { return Name; }                 \
        ReduceKind reduceKind() const override { return Kind; }             \
    };
FIBNLR_REDUCTIONS(FIBNLR_X)
#undef FIBNLR_X

} // namespace fibnlr
