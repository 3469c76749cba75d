#pragma once
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// An element-wise activation applied in a producer's epilogue.
enum class ActKind { None, ReLU, LeakyReLU, Clip, HardSigmoid, HardSwish, Sigmoid, Tanh, GELU, GELUTanh };
struct Activation {
    ActKind kind = ActKind::None;
    float a = 0.f, b = 0.f;  ///< LeakyReLU: a = alpha; Clip: [a, b]; HardSigmoid: alpha a, beta b
};
/// The activation `op` computes; false when `op` is not one that can be fused.
/// Identity and Dropout give ActKind::None (true).
bool activationOf(const Operator& op, Activation& act);
std::string toString(const Activation& act);
/// The reference (scalar, double where the ref kernels use double) value of act(x).
float applyActivationRef(const Activation& act, float x);

/// A producer (Conv, Gemm, BatchNormalization, Add, ...) followed by the
/// activation that consumed its output, run as one step of a compiled plan.
/// It never appears in a user's graph: the scheduler builds it (with a Conv's
/// weights already BatchNorm-folded) so the activation costs no extra pass.
/// type() is "Fused" + the base type; inputs, outputs and shapes are the base's.
class FusedOp : public Operator {
public:
    FusedOp(OperatorPtr base, Activation act) : mBase(std::move(base)), mAct(act) {}
    std::string type() const override { return "Fused" + mBase->type(); }
    const std::vector<InputSpec>& inputSpecs() const override { return mBase->inputSpecs(); }
    std::size_t nbOutputs() const override { return mBase->nbOutputs(); }
    AttrList attributes() const override;
    void setAttribute(const std::string& name, const AttrValue&) override {
        throw std::invalid_argument(type() + " is internal to compiled plans; cannot set '" + name + "'");
    }
    std::vector<Shape> inferShapes(const std::vector<Shape>& inputs) const override { return mBase->inferShapes(inputs); }
    std::shared_ptr<Operator> clone() const override { return std::make_shared<FusedOp>(mBase->clone(), mAct); }

    const Operator& base() const { return *mBase; }
    const Activation& activation() const { return mAct; }

private:
    OperatorPtr mBase;
    Activation mAct;
};

/// The operator a kernel computes and the activation to apply to its output:
/// (base, its activation) for a FusedOp, (op, None) otherwise.
inline const Operator& unfuse(const Operator& op, Activation& act) {
    if (const auto* f = dynamic_cast<const FusedOp*>(&op)) {
        act = f->activation();
        return f->base();
    }
    act = Activation{};
    return op;
}

} // namespace fibnlr
