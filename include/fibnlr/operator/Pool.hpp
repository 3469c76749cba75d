#pragma once
#include "fibnlr/operator/Operator.hpp"
#include "fibnlr/operator/Window.hpp"

namespace fibnlr {

struct MaxPoolAttrs {
    std::vector<std::int64_t> kernelShape, strides, pads, dilations;
    std::string autoPad = "NOTSET";
    std::int64_t ceilMode = 0;
    template <class V> void visit(V&& v) {
        v("kernel_shape", kernelShape);
        v("strides", strides);
        v("pads", pads);
        v("dilations", dilations);
        v("auto_pad", autoPad);
        v("ceil_mode", ceilMode);
    }
};

struct AveragePoolAttrs {
    std::vector<std::int64_t> kernelShape, strides, pads;
    std::string autoPad = "NOTSET";
    std::int64_t ceilMode = 0, countIncludePad = 0;
    template <class V> void visit(V&& v) {
        v("kernel_shape", kernelShape);
        v("strides", strides);
        v("pads", pads);
        v("auto_pad", autoPad);
        v("ceil_mode", ceilMode);
        v("count_include_pad", countIncludePad);
    }
};

class MaxPoolOp : public OperatorWithAttrs<MaxPoolOp, MaxPoolAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "MaxPool"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    void validate() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
    Window window(const Shape& x) const;
};

class AveragePoolOp : public OperatorWithAttrs<AveragePoolOp, AveragePoolAttrs> {
public:
    using OperatorWithAttrs::OperatorWithAttrs;
    std::string type() const override { return "AveragePool"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    void validate() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
    Window window(const Shape& x) const;
};

/// Mean (GlobalAveragePool) or maximum (GlobalMaxPool, NaN when the plane
/// holds one) over all spatial dims: [N, C, *S] -> [N, C, 1, ...].
template <class Derived> class GlobalPoolOp : public OperatorWithAttrs<Derived, NoAttrs> {
public:
    const std::vector<InputSpec>& inputSpecs() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};
class GlobalAveragePoolOp : public GlobalPoolOp<GlobalAveragePoolOp> {
public:
    std::string type() const override { return "GlobalAveragePool"; }
};
class GlobalMaxPoolOp : public GlobalPoolOp<GlobalMaxPoolOp> {
public:
    std::string type() const override { return "GlobalMaxPool"; }
};

} // namespace fibnlr
