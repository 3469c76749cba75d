#include "fibnlr/operator/Elementwise.hpp"

#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

template <class Derived>
std::vector<Shape> BinaryOp<Derived>::inferShapes(const std::vector<Shape>& in) const {
    return {broadcastShapes(in.at(0), in.at(1))};
}
template class BinaryOp<AddOp>;
template class BinaryOp<SubOp>;
template class BinaryOp<MulOp>;
template class BinaryOp<DivOp>;

std::vector<InputSpec> numberedDataInputs(const std::string& prefix, std::size_t n) {
    std::vector<InputSpec> specs;
    for (std::size_t i = 0; i < n; ++i) specs.push_back({prefix + std::to_string(i), InputCategory::Data});
    return specs;
}

void SumOp::setNbInputs(std::size_t n) {
    require(n >= 1, "Sum needs at least one input");
    mSpecs = numberedDataInputs("data_", n);
}

std::vector<Shape> SumOp::inferShapes(const std::vector<Shape>& in) const {
    Shape out = in.at(0);
    for (std::size_t i = 1; i < in.size(); ++i) out = broadcastShapes(out, in[i]);
    return {out};
}

} // namespace fibnlr
