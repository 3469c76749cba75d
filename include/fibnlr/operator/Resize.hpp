#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// ONNX Resize with constant scales or sizes (one entry per axis), modes
/// "nearest" and "linear" (multi-linear over every resized axis), the
/// coordinate transformations "half_pixel", "pytorch_half_pixel",
/// "align_corners" and "asymmetric", and the four nearest_mode roundings:
/// what PyTorch's Upsample and interpolate export.
struct ResizeAttrs {
    std::string mode = "nearest";
    std::string coordinateTransformationMode = "half_pixel";
    std::string nearestMode = "round_prefer_floor";
    std::vector<float> scales;         ///< empty when sizes are given
    std::vector<std::int64_t> sizes;   ///< empty when scales are given
    template <class V> void visit(V&& v) {
        v("mode", mode);
        v("coordinate_transformation_mode", coordinateTransformationMode);
        v("nearest_mode", nearestMode);
        v("scales", scales);
        v("sizes", sizes);
    }
};

/// Where output index i of one axis reads: the input indices i0 ≤ i1 and the
/// weight of i1 (0 for nearest, which reads i0 only).
struct ResizeTap {
    std::size_t i0, i1;
    double w1;
};

class ResizeOp : public OperatorWithAttrs<ResizeOp, ResizeAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "Resize"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    void validate() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
    /// The taps of every output index of axis `axis` for input dims `x`.
    std::vector<ResizeTap> taps(const Shape& x, std::size_t axis) const;
};

} // namespace fibnlr
