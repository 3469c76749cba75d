#include "fibnlr/operator/Resize.hpp"

#include <algorithm>
#include <cmath>

#include "fibnlr/data/CheckedMath.hpp"
#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

namespace {
bool oneOf(const std::string& v, std::initializer_list<const char*> options) {
    return std::any_of(options.begin(), options.end(), [&](const char* o) { return v == o; });
}
std::string list(std::initializer_list<const char*> options) {
    std::string s;
    for (const char* o : options) s += (s.empty() ? "'" : ", '") + std::string(o) + "'";
    return s;
}
} // namespace

const std::vector<InputSpec>& ResizeOp::inputSpecs() const {
    static const std::vector<InputSpec> specs{{"X", InputCategory::Data}};
    return specs;
}

void ResizeOp::validate() const {
    static const auto modes = {"nearest", "linear"};
    static const auto transforms = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric"};
    static const auto roundings = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
    require(oneOf(attrs.mode, modes), "mode '" + attrs.mode + "' is not supported, expected one of " + list(modes));
    require(oneOf(attrs.coordinateTransformationMode, transforms),
            "coordinate_transformation_mode '" + attrs.coordinateTransformationMode +
                "' is not supported, expected one of " + list(transforms));
    require(oneOf(attrs.nearestMode, roundings),
            "nearest_mode '" + attrs.nearestMode + "' is not supported, expected one of " + list(roundings));
    require(attrs.scales.empty() || attrs.sizes.empty(), "scales and sizes are both given, expected one of them");
    for (float s : attrs.scales) require(std::isfinite(s) && s > 0.f, "scale " + std::to_string(s) + " must be finite and > 0");
    for (std::int64_t s : attrs.sizes) require(s > 0, "size " + std::to_string(s) + " must be > 0");
}

std::vector<Shape> ResizeOp::inferShapes(const std::vector<Shape>& in) const {
    validate();
    const Shape& x = in.at(0);
    require(!attrs.scales.empty() || !attrs.sizes.empty(), "has neither scales nor sizes, expected one of them");
    const std::size_t n = attrs.scales.empty() ? attrs.sizes.size() : attrs.scales.size();
    require(n == x.size(), "has " + std::to_string(n) + (attrs.scales.empty() ? " sizes" : " scales") +
                               " for an input of rank " + std::to_string(x.size()));
    Shape out(x.size());
    for (std::size_t a = 0; a < x.size(); ++a) {
        // ONNX: floor(input_dim · scale).
        const double d = attrs.scales.empty() ? static_cast<double>(attrs.sizes[a])
                                              : std::floor(static_cast<double>(x[a]) * attrs.scales[a]);
        require(d >= 1.0 && d <= static_cast<double>(kMaxTensorElements),
                "axis " + std::to_string(a) + " of size " + std::to_string(x[a]) + " resizes to " + std::to_string(d) +
                    ", expected between 1 and " + std::to_string(kMaxTensorElements));
        out[a] = static_cast<std::size_t>(d);
    }
    return {out};
}

std::vector<ResizeTap> ResizeOp::taps(const Shape& x, std::size_t axis) const {
    const std::size_t in = x.at(axis), out = inferShapes({x})[0][axis];
    const double scale = attrs.scales.empty() ? static_cast<double>(out) / static_cast<double>(in) : attrs.scales[axis];
    const std::string& t = attrs.coordinateTransformationMode;
    std::vector<ResizeTap> taps(out);
    for (std::size_t i = 0; i < out; ++i) {
        const double xr = static_cast<double>(i);
        // The output coordinate in input coordinates (ONNX Resize).
        double xo;
        if (t == "asymmetric") xo = xr / scale;
        else if (t == "align_corners") xo = out == 1 ? 0.0 : xr * static_cast<double>(in - 1) / static_cast<double>(out - 1);
        else if (t == "pytorch_half_pixel" && out == 1) xo = 0.0;
        else xo = (xr + 0.5) / scale - 0.5;  // half_pixel, pytorch_half_pixel
        const double last = static_cast<double>(in - 1);
        if (attrs.mode == "nearest") {
            double r;
            const double frac = xo - std::floor(xo);
            if (attrs.nearestMode == "floor") r = std::floor(xo);
            else if (attrs.nearestMode == "ceil") r = std::ceil(xo);
            else if (frac == 0.5) r = attrs.nearestMode == "round_prefer_floor" ? std::floor(xo) : std::ceil(xo);
            else r = std::round(xo);
            const auto k = static_cast<std::size_t>(std::min(std::max(r, 0.0), last));
            taps[i] = {k, k, 0.0};
        } else {
            // Linear: clamped into the input, as onnxruntime does, then the two neighbours.
            const double c = std::min(std::max(xo, 0.0), last);
            const auto k0 = static_cast<std::size_t>(std::floor(c));
            const std::size_t k1 = std::min(k0 + 1, in - 1);
            taps[i] = {k0, k1, c - static_cast<double>(k0)};
        }
    }
    return taps;
}

} // namespace fibnlr
