#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// ONNX Slice with constant starts/ends/axes/steps (clamped as ONNX specifies).
struct SliceAttrs {
    std::vector<std::int64_t> starts, ends, axes, steps;
    template <class V> void visit(V&& v) {
        v("starts", starts);
        v("ends", ends);
        v("axes", axes);
        v("steps", steps);
    }
};

/// Per-axis resolved slice: element i of the output axis reads input index start + i·step.
struct SliceRange {
    std::vector<std::int64_t> start, step;
    Shape outDims;
};

class SliceOp : public OperatorWithAttrs<SliceOp, SliceAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "Slice"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
    SliceRange resolve(const Shape& x) const;
};

/// ONNX Pad with constant pads [begin..., end...] (negative crops); mode
/// constant, reflect or edge.
struct PadAttrs {
    std::vector<std::int64_t> pads;
    std::string mode = "constant";
    float value = 0.f;
    template <class V> void visit(V&& v) {
        v("pads", pads);
        v("mode", mode);
        v("value", value);
    }
};

class PadOp : public OperatorWithAttrs<PadOp, PadAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "Pad"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    void validate() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};

} // namespace fibnlr
