#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

struct ConcatAttrs {
    std::int64_t axis = 1;
    template <class V> void visit(V&& v) { v("axis", axis); }
};

/// Concatenation along `axis`; variadic.
class ConcatOp : public OperatorWithAttrs<ConcatOp, ConcatAttrs> {
public:
    explicit ConcatOp(std::size_t nbInputs = 2) { setNbInputs(nbInputs); }
    std::string type() const override { return "Concat"; }
    const std::vector<InputSpec>& inputSpecs() const override { return mSpecs; }
    bool isVariadic() const override { return true; }
    void setNbInputs(std::size_t n) override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;

private:
    std::vector<InputSpec> mSpecs;
};

/// Split along `axis` into `num_outputs` parts of sizes `split` (or equal
/// parts, the last one smaller when the size does not divide, as ONNX 18).
struct SplitAttrs {
    std::int64_t axis = 0, numOutputs = 2;
    std::vector<std::int64_t> split;
    template <class V> void visit(V&& v) {
        v("axis", axis);
        v("num_outputs", numOutputs);
        v("split", split);
    }
};

class SplitOp : public OperatorWithAttrs<SplitOp, SplitAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "Split"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    std::size_t nbOutputs() const override { return static_cast<std::size_t>(attrs.numOutputs); }
    void validate() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
    /// Part sizes along the axis for an input of size `dim` there.
    std::vector<std::size_t> parts(std::size_t dim) const;
};

} // namespace fibnlr
