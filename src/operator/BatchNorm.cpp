#include "fibnlr/operator/BatchNorm.hpp"

#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

const std::vector<InputSpec>& BatchNormOp::inputSpecs() const {
    static const std::vector<InputSpec> specs{{"X", InputCategory::Data},
                                              {"scale", InputCategory::Param},
                                              {"B", InputCategory::Param},
                                              {"input_mean", InputCategory::Param},
                                              {"input_var", InputCategory::Param}};
    return specs;
}

void BatchNormOp::validate() const {
    require(attrs.epsilon >= 0.f, "epsilon " + std::to_string(attrs.epsilon) + " must be >= 0");
}

std::vector<Shape> BatchNormOp::inferShapes(const std::vector<Shape>& in) const {
    validate();
    const Shape& x = in.at(0);
    require(x.size() >= 2, "input X must have rank >= 2, got " + fibnlr::toString(x));
    for (std::size_t i = 1; i < 5; ++i)
        require(in.at(i) == Shape{x[1]}, "parameter " + inputSpecs()[i].name + " " + fibnlr::toString(in[i]) + " must be [" +
                                             std::to_string(x[1]) + "] for X " + fibnlr::toString(x));
    return {x};
}

} // namespace fibnlr
