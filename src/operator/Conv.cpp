#include "fibnlr/operator/Conv.hpp"

#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

namespace {
/// "16x16" for spatial dims {16, 16}.
std::string spatialText(const Shape& s) {
    std::string t;
    for (std::size_t i = 0; i < s.size(); ++i) t += (i ? "x" : "") + std::to_string(s[i]);
    return t;
}
} // namespace

const std::vector<InputSpec>& ConvOp::inputSpecs() const {
    static const std::vector<InputSpec> specs{
        {"X", InputCategory::Data}, {"W", InputCategory::Param}, {"B", InputCategory::OptionalParam}};
    return specs;
}

void ConvOp::validate() const {
    require(attrs.group >= 1, "group " + std::to_string(attrs.group) + " must be >= 1");
    validateWindowAttrs(attrs.kernelShape.size(), attrs.kernelShape, attrs.strides, attrs.pads, attrs.dilations,
                        attrs.autoPad);
}

Window ConvOp::window(const Shape& x, const Shape& w) const {
    std::vector<std::int64_t> kernel = attrs.kernelShape;
    if (kernel.empty())
        for (std::size_t i = 2; i < w.size(); ++i) kernel.push_back(static_cast<std::int64_t>(w[i]));
    return resolveWindow(Shape(x.begin() + 2, x.end()), kernel, attrs.strides, attrs.pads, attrs.dilations,
                         attrs.autoPad);
}

std::vector<Shape> ConvOp::inferShapes(const std::vector<Shape>& in) const {
    validate();
    const Shape& x = in.at(0);
    const Shape& w = in.at(1);
    require(x.size() >= 3, "input X must have rank >= 3 (N, C, spatial...), got " + fibnlr::toString(x));
    require(w.size() == x.size(), "weight W " + fibnlr::toString(w) + " must have the rank of X " + fibnlr::toString(x));
    const auto g = static_cast<std::size_t>(attrs.group);
    require(x[1] % g == 0 && w[0] % g == 0, "group " + std::to_string(g) + " must divide input channels " +
                                                std::to_string(x[1]) + " and output channels " + std::to_string(w[0]));
    // Compared as w[1] == x[1] / g (g divides x[1]): w[1] * g could wrap around to x[1].
    require(w[1] == x[1] / g, "weight W " + fibnlr::toString(w) + " expects " + std::to_string(w[1]) + " * " +
                                  std::to_string(g) +
                                  " input channels, X " + fibnlr::toString(x) + " has " + std::to_string(x[1]));
    if (!attrs.kernelShape.empty()) {
        bool same = attrs.kernelShape.size() == w.size() - 2;
        for (std::size_t i = 2; same && i < w.size(); ++i)
            same = static_cast<std::int64_t>(w[i]) == attrs.kernelShape[i - 2];
        require(same, "kernel_shape does not match weight W " + fibnlr::toString(w));
    }
    Window win = window(x, w);
    Shape out{x[0], w[0]};
    out.insert(out.end(), win.outDims.begin(), win.outDims.end());
    if (in.size() > 2 && !in[2].empty()) {
        const Shape& b = in[2];
        const Shape map(out.begin() + 1, out.end());  // [M, *output spatial]
        if (b.size() > 1 && b[0] == w[0] && b.size() == map.size() && b != map)
            // A merged chain's f(0) holds only at the input size it was computed at.
            require(false, "bias map B " + fibnlr::toString(b) + " was merged for output size " +
                               spatialText(Shape(b.begin() + 1, b.end())) + ", but input X " + fibnlr::toString(x) +
                               " gives output size " + spatialText(win.outDims) +
                               "; compile at the size it was merged for, or merge again at this size");
        require(b == Shape{w[0]} || b == map, "bias B " + fibnlr::toString(b) + " must be [" + std::to_string(w[0]) +
                                                  "] (per channel) or the bias map " + fibnlr::toString(map));
    }
    return {out};
}

} // namespace fibnlr
