#pragma once
#include <limits>
#include <string>

#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

// ---------------------------------------------------------------------------
// The activations: the one place where an element-wise activation is listed.
//
// Adding one takes a row in FIBNLR_ACT_KINDS (its formula's kind) and in
// FIBNLR_ACTIVATIONS (its graph operator), its attributes struct below, its
// validate() and activation() in src/operator/Activation.cpp with its
// reference formula in applyActivationRef, its fast formula in act1
// (src/kernels/cpu/MicroImpl.inl), and its ONNX and PyTorch spellings in
// python/fibnlr/activations.py. Everything else comes from these lists: the
// operator registry, the ref and cpu kernel-list rows, fusion into the
// producing step's epilogue, in-place eligibility, fused FIBNLR counting and
// the kernel test cases. Every switch over ActKind is exhaustive without a
// default (-Werror=switch), so a kind left out anywhere is a compile error.
// ---------------------------------------------------------------------------

/// The formulas an epilogue can apply, X(Kind). Parameters a, b per kind are
/// documented on Activation.
#define FIBNLR_ACT_KINDS(X) \
    X(None)                 \
    X(ReLU)                 \
    X(LeakyReLU)            \
    X(Clip)                 \
    X(HardSigmoid)          \
    X(HardSwish)            \
    X(Sigmoid)              \
    X(Tanh)                 \
    X(GELU)                 \
    X(GELUTanh)             \
    X(ELU)                  \
    X(SELU)                 \
    X(CELU)                 \
    X(Softplus)             \
    X(Mish)                 \
    X(SiLU)

enum class ActKind {
#define FIBNLR_X(K) K,
    FIBNLR_ACT_KINDS(FIBNLR_X)
#undef FIBNLR_X
};

/// An element-wise activation as a kind and at most two parameters:
/// LeakyReLU: a = alpha; Clip: [a, b]; HardSigmoid: alpha a, beta b;
/// ELU, CELU: a = alpha; SELU: alpha a, gamma b. The others take none.
struct Activation {
    ActKind kind = ActKind::None;
    float a = 0.f, b = 0.f;
    /// Per-channel a, or null: a PReLU fused into a conv is LeakyReLU with
    /// channel c's slope perChannelA[c] (the live slope tensor, set by the kernel).
    const float* perChannelA = nullptr;
    /// The activation channel c applies.
    Activation forChannel(std::size_t c) const { return perChannelA ? Activation{kind, perChannelA[c], b} : *this; }
};
/// The reference value of act(x), computed in double where that matters; the
/// ref kernels use it and tests use it as the oracle for the fast kernels.
/// NaN goes through every kind as ONNX says (max(0, NaN) is NaN).
float applyActivationRef(const Activation& act, float x);
std::string toString(const Activation& act);
std::string toString(ActKind kind);

/// The graph operators that are element-wise activations, X(Class, "Type", Attrs).
/// Identity and inference Dropout are listed: they are the activation None.
#define FIBNLR_ACTIVATIONS(X)                       \
    X(ReLUOp, "ReLU", NoAttrs)                      \
    X(LeakyReLUOp, "LeakyReLU", LeakyReLUAttrs)     \
    X(ReLU6Op, "ReLU6", NoAttrs)                    \
    X(GELUOp, "GELU", GELUAttrs)                    \
    X(ClipOp, "Clip", ClipAttrs)                    \
    X(SigmoidOp, "Sigmoid", NoAttrs)                \
    X(HardSigmoidOp, "HardSigmoid", HardSigmoidAttrs) \
    X(HardSwishOp, "HardSwish", NoAttrs)            \
    X(TanhOp, "Tanh", NoAttrs)                      \
    X(ELUOp, "ELU", AlphaAttrs)                     \
    X(SELUOp, "SELU", SELUAttrs)                    \
    X(CELUOp, "CELU", AlphaAttrs)                   \
    X(SoftplusOp, "Softplus", NoAttrs)              \
    X(MishOp, "Mish", NoAttrs)                      \
    X(SiLUOp, "SiLU", NoAttrs)                      \
    X(IdentityOp, "Identity", NoAttrs)              \
    X(DropoutOp, "Dropout", DropoutAttrs)

/// Element-wise operators with one data input and an output of the same shape.
template <class Derived, class Attrs>
class UnaryOp : public OperatorWithAttrs<Derived, Attrs> {
public:
    using OperatorWithAttrs<Derived, Attrs>::OperatorWithAttrs;
    const std::vector<InputSpec>& inputSpecs() const override {
        static const std::vector<InputSpec> specs{{"X", InputCategory::Data}};
        return specs;
    }
    std::vector<Shape> inferShapes(const std::vector<Shape>& in) const override {
        this->validate();
        return {in.at(0)};
    }
};

/// What every operator of FIBNLR_ACTIVATIONS provides besides Operator.
class ActivationOperator {
public:
    virtual ~ActivationOperator() = default;
    /// The formula this operator computes with its current attributes.
    virtual Activation activation() const = 0;
};

/// The activation `op` computes; false when `op` is not in FIBNLR_ACTIVATIONS.
bool activationOf(const Operator& op, Activation& act);
/// The graph types of FIBNLR_ACTIVATIONS, in list order.
const std::vector<std::string>& activationTypes();

struct LeakyReLUAttrs {
    float alpha = 0.01f;
    template <class V> void visit(V&& v) { v("alpha", alpha); }
};
/// ELU and CELU (ONNX defaults).
struct AlphaAttrs {
    float alpha = 1.f;
    template <class V> void visit(V&& v) { v("alpha", alpha); }
};
/// ONNX defaults: the self-normalising constants of Klambauer et al.
struct SELUAttrs {
    float alpha = 1.67326319217681884765625f, gamma = 1.05070102214813232421875f;
    template <class V> void visit(V&& v) {
        v("alpha", alpha);
        v("gamma", gamma);
    }
};
/// approximate: "none" (x·Φ(x), erf form) or "tanh".
struct GELUAttrs {
    std::string approximate = "none";
    template <class V> void visit(V&& v) { v("approximate", approximate); }
};
/// ONNX Clip with constant bounds (a Clip to [0, 6] imports as ReLU6).
struct ClipAttrs {
    float min = -std::numeric_limits<float>::infinity();
    float max = std::numeric_limits<float>::infinity();
    template <class V> void visit(V&& v) {
        v("min", min);
        v("max", max);
    }
};
struct HardSigmoidAttrs {
    float alpha = 0.2f, beta = 0.5f;
    template <class V> void visit(V&& v) {
        v("alpha", alpha);
        v("beta", beta);
    }
};
/// Inference-time Dropout: the identity; `ratio` kept for export.
struct DropoutAttrs {
    float ratio = 0.5f;
    template <class V> void visit(V&& v) { v("ratio", ratio); }
};

#define FIBNLR_X(Class, Name, AttrType)                                       \
    class Class : public UnaryOp<Class, AttrType>, public ActivationOperator { \
    public:                                                                   \
        using UnaryOp::UnaryOp;                                               \
        std::string type() const override { return Name; }                    \
        void validate() const override;                                       \
        Activation activation() const override;                               \
    };
FIBNLR_ACTIVATIONS(FIBNLR_X)
#undef FIBNLR_X

} // namespace fibnlr
