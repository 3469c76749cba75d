#include "fibnlr/operator/Producer.hpp"

namespace fibnlr {

const std::vector<InputSpec>& ProducerOp::inputSpecs() const {
    static const std::vector<InputSpec> specs;
    return specs;
}

const std::vector<InputSpec>& InputOp::inputSpecs() const {
    static const std::vector<InputSpec> specs;
    return specs;
}

std::vector<Shape> InputOp::inferShapes(const std::vector<Shape>&) const {
    throw std::invalid_argument("an Input's shape comes from compile(dims), not from inference");
}

} // namespace fibnlr
