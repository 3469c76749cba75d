#include "fibnlr/operator/Pool.hpp"

#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

namespace {
const std::vector<InputSpec>& oneData() {
    static const std::vector<InputSpec> specs{{"X", InputCategory::Data}};
    return specs;
}
Shape spatial(const Shape& x) {
    require(x.size() >= 3, "input X must have rank >= 3 (N, C, spatial...), got " + toString(x));
    return Shape(x.begin() + 2, x.end());
}
Shape withSpatial(const Shape& x, const Shape& s) {
    Shape out{x[0], x[1]};
    out.insert(out.end(), s.begin(), s.end());
    return out;
}
void requireFlag(std::int64_t v, const std::string& name) {
    require(v == 0 || v == 1, name + " " + std::to_string(v) + " must be 0 or 1");
}
} // namespace

const std::vector<InputSpec>& MaxPoolOp::inputSpecs() const { return oneData(); }
void MaxPoolOp::validate() const {
    validateWindowAttrs(attrs.kernelShape.size(), attrs.kernelShape, attrs.strides, attrs.pads, attrs.dilations,
                        attrs.autoPad);
    requireFlag(attrs.ceilMode, "ceil_mode");
}
Window MaxPoolOp::window(const Shape& x) const {
    return resolveWindow(spatial(x), attrs.kernelShape, attrs.strides, attrs.pads, attrs.dilations, attrs.autoPad,
                         attrs.ceilMode != 0);
}
std::vector<Shape> MaxPoolOp::inferShapes(const std::vector<Shape>& in) const {
    validate();
    return {withSpatial(in.at(0), window(in.at(0)).outDims)};
}

const std::vector<InputSpec>& AveragePoolOp::inputSpecs() const { return oneData(); }
void AveragePoolOp::validate() const {
    validateWindowAttrs(attrs.kernelShape.size(), attrs.kernelShape, attrs.strides, attrs.pads, {}, attrs.autoPad);
    requireFlag(attrs.ceilMode, "ceil_mode");
    requireFlag(attrs.countIncludePad, "count_include_pad");
}
Window AveragePoolOp::window(const Shape& x) const {
    return resolveWindow(spatial(x), attrs.kernelShape, attrs.strides, attrs.pads, {}, attrs.autoPad,
                         attrs.ceilMode != 0);
}
std::vector<Shape> AveragePoolOp::inferShapes(const std::vector<Shape>& in) const {
    validate();
    return {withSpatial(in.at(0), window(in.at(0)).outDims)};
}

template <class Derived> const std::vector<InputSpec>& GlobalPoolOp<Derived>::inputSpecs() const { return oneData(); }
template <class Derived> std::vector<Shape> GlobalPoolOp<Derived>::inferShapes(const std::vector<Shape>& in) const {
    Shape s = spatial(in.at(0));
    return {withSpatial(in[0], Shape(s.size(), 1))};
}
template class GlobalPoolOp<GlobalAveragePoolOp>;
template class GlobalPoolOp<GlobalMaxPoolOp>;

} // namespace fibnlr
