#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// Binary element-wise arithmetic with numpy broadcasting. Either operand may
/// be a constant (a Producer on a data input).
template <class Derived>
class BinaryOp : public OperatorWithAttrs<Derived, NoAttrs> {
public:
    const std::vector<InputSpec>& inputSpecs() const override {
        static const std::vector<InputSpec> specs{{"A", InputCategory::Data}, {"B", InputCategory::Data}};
        return specs;
    }
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;
};

class AddOp : public BinaryOp<AddOp> {
public:
    std::string type() const override { return "Add"; }
};
class SubOp : public BinaryOp<SubOp> {
public:
    std::string type() const override { return "Sub"; }
};
class MulOp : public BinaryOp<MulOp> {
public:
    std::string type() const override { return "Mul"; }
};
class DivOp : public BinaryOp<DivOp> {
public:
    std::string type() const override { return "Div"; }
};

/// n-ary Sum with broadcasting (ONNX Sum); variadic, 1 input or more.
class SumOp : public OperatorWithAttrs<SumOp, NoAttrs> {
public:
    explicit SumOp(std::size_t nbInputs = 2) { setNbInputs(nbInputs); }
    std::string type() const override { return "Sum"; }
    const std::vector<InputSpec>& inputSpecs() const override { return mSpecs; }
    bool isVariadic() const override { return true; }
    void setNbInputs(std::size_t n) override;
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override;

private:
    std::vector<InputSpec> mSpecs;
};

/// Input specs "<prefix>0", "<prefix>1", ... all Data.
std::vector<InputSpec> numberedDataInputs(const std::string& prefix, std::size_t n);

} // namespace fibnlr
