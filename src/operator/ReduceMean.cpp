#include "fibnlr/operator/ReduceMean.hpp"

#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

const std::vector<InputSpec>& ReduceMeanOp::inputSpecs() const {
    static const std::vector<InputSpec> specs{{"data", InputCategory::Data}};
    return specs;
}

std::vector<bool> ReduceMeanOp::reducedAxes(std::size_t rank) const {
    std::vector<bool> reduced(rank, attrs.axes.empty());
    for (std::int64_t a : attrs.axes) reduced[normalizeAxis(a, rank, "ReduceMean")] = true;
    return reduced;
}

std::vector<Shape> ReduceMeanOp::inferShapes(const std::vector<Shape>& in) const {
    const Shape& x = in.at(0);
    std::vector<bool> reduced = reducedAxes(x.size());
    Shape out;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!reduced[i]) out.push_back(x[i]);
        else if (attrs.keepdims) out.push_back(1);
    }
    return {out};
}

} // namespace fibnlr
