#include "fibnlr/operator/PReLU.hpp"

#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

const std::vector<InputSpec>& PReLUOp::inputSpecs() const {
    static const std::vector<InputSpec> specs{{"X", InputCategory::Data}, {"slope", InputCategory::Param}};
    return specs;
}

std::vector<Shape> PReLUOp::inferShapes(const std::vector<Shape>& in) const {
    const Shape& x = in.at(0);
    const Shape& slope = in.at(1);
    // Unidirectional: the slope broadcasts to x, never x to the slope.
    bool fits = slope.size() <= x.size();
    for (std::size_t j = 0; fits && j < slope.size(); ++j) {
        const std::size_t d = x[x.size() - slope.size() + j];  // right-aligned
        fits = slope[j] == 1 || slope[j] == d;
    }
    require(fits,
            "slope " + fibnlr::toString(slope) + " does not broadcast to the input " + fibnlr::toString(x));
    return {x};
}

} // namespace fibnlr
