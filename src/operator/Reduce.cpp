#include "fibnlr/operator/Reduce.hpp"

#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

template <class Derived> const std::vector<InputSpec>& ReduceOpBase<Derived>::inputSpecs() const {
    static const std::vector<InputSpec> specs{{"data", InputCategory::Data}};
    return specs;
}

template <class Derived> std::vector<bool> ReduceOpBase<Derived>::reducedAxes(std::size_t rank) const {
    std::vector<bool> reduced(rank, this->attrs.axes.empty());
    for (std::int64_t a : this->attrs.axes) reduced[normalizeAxis(a, rank, this->type())] = true;
    return reduced;
}

template <class Derived> std::vector<Shape> ReduceOpBase<Derived>::inferShapes(const std::vector<Shape>& in) const {
    const Shape& x = in.at(0);
    std::vector<bool> reduced = reducedAxes(x.size());
    Shape out;
    for (std::size_t i = 0; i < x.size(); ++i) {
        if (!reduced[i]) out.push_back(x[i]);
        else if (this->attrs.keepdims) out.push_back(1);
    }
    return {out};
}

#define FIBNLR_X(Class, Name, Kind) template class ReduceOpBase<Class>;
FIBNLR_REDUCTIONS(FIBNLR_X)
#undef FIBNLR_X

} // namespace fibnlr
