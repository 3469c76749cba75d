#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// A constant: weights, biases, BN statistics. No inputs, one output.
class ProducerOp : public OperatorWithAttrs<ProducerOp, NoAttrs> {
public:
    ProducerOp() = default;
    explicit ProducerOp(Tensor value) : mValue(std::move(value)) {}
    std::string type() const override { return "Producer"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>&) const override { return {mValue.dims()}; }
    std::shared_ptr<Operator> deepClone() const override { return std::make_shared<ProducerOp>(mValue.clone()); }

    /// Writing through value() changes data in place (a non-const data access
    /// counts as a write: see Tensor); setValue() replaces the tensor itself.
    Tensor& value() { return mValue; }
    const Tensor& value() const { return mValue; }
    void setValue(Tensor value) {
        mValue = std::move(value);
        bumpRevision();
    }
    /// Copies `values` into the current tensor in place, so every view of it
    /// sees them; counts as a write. Throws std::invalid_argument, prefixed by
    /// `what`, when the element type or shape differs (nothing is written then).
    void assign(const Tensor& values, const std::string& what);

private:
    Tensor mValue;
};

/// A graph input placeholder; its shape is set when the graph is compiled.
class InputOp : public OperatorWithAttrs<InputOp, NoAttrs> {
public:
    std::string type() const override { return "Input"; }
    const std::vector<InputSpec>& inputSpecs() const override;
    std::vector<Shape> inferShapes(const std::vector<Shape>&) const override;
};

} // namespace fibnlr
