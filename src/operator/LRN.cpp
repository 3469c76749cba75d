#include "fibnlr/operator/LRN.hpp"

#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

namespace {
const std::vector<InputSpec>& oneData() {
    static const std::vector<InputSpec> specs{{"X", InputCategory::Data}};
    return specs;
}
} // namespace

const std::vector<InputSpec>& LRNOp::inputSpecs() const { return oneData(); }
void LRNOp::validate() const { require(attrs.size >= 1, "size " + std::to_string(attrs.size) + " must be >= 1"); }
std::vector<Shape> LRNOp::inferShapes(const std::vector<Shape>& in) const {
    validate();
    require(in.at(0).size() >= 2, "input X must have rank >= 2, got " + fibnlr::toString(in[0]));
    return {in[0]};
}

const std::vector<InputSpec>& SoftmaxOp::inputSpecs() const { return oneData(); }
std::vector<Shape> SoftmaxOp::inferShapes(const std::vector<Shape>& in) const {
    normalizeAxis(attrs.axis, in.at(0).size(), "Softmax");
    return {in[0]};
}

} // namespace fibnlr
