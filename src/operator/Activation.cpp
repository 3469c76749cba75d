#include "fibnlr/operator/Activation.hpp"

#include <algorithm>
#include <cmath>

#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

namespace {
std::string num(float v) { return std::to_string(v); }
void requireFinite(float v, const char* name) { require(std::isfinite(v), std::string(name) + " " + num(v) + " must be finite"); }
} // namespace

// Attribute checks and the formula each operator computes.

void ReLUOp::validate() const {}
Activation ReLUOp::activation() const { return {ActKind::ReLU}; }

void LeakyReLUOp::validate() const { requireFinite(attrs.alpha, "alpha"); }
Activation LeakyReLUOp::activation() const { return {ActKind::LeakyReLU, attrs.alpha}; }

void ReLU6Op::validate() const {}
Activation ReLU6Op::activation() const { return {ActKind::Clip, 0.f, 6.f}; }

void GELUOp::validate() const {
    require(attrs.approximate == "none" || attrs.approximate == "tanh",
            "approximate '" + attrs.approximate + "' must be 'none' or 'tanh'");
}
Activation GELUOp::activation() const { return {attrs.approximate == "tanh" ? ActKind::GELUTanh : ActKind::GELU}; }

void ClipOp::validate() const {
    require(!(attrs.min > attrs.max), "min " + num(attrs.min) + " must be <= max " + num(attrs.max));
}
Activation ClipOp::activation() const { return {ActKind::Clip, attrs.min, attrs.max}; }

void SigmoidOp::validate() const {}
Activation SigmoidOp::activation() const { return {ActKind::Sigmoid}; }

void HardSigmoidOp::validate() const {
    require(std::isfinite(attrs.alpha) && std::isfinite(attrs.beta), "alpha and beta must be finite");
}
Activation HardSigmoidOp::activation() const { return {ActKind::HardSigmoid, attrs.alpha, attrs.beta}; }

void HardSwishOp::validate() const {}
Activation HardSwishOp::activation() const { return {ActKind::HardSwish}; }

void TanhOp::validate() const {}
Activation TanhOp::activation() const { return {ActKind::Tanh}; }

void ELUOp::validate() const { requireFinite(attrs.alpha, "alpha"); }
Activation ELUOp::activation() const { return {ActKind::ELU, attrs.alpha}; }

void SELUOp::validate() const {
    requireFinite(attrs.alpha, "alpha");
    requireFinite(attrs.gamma, "gamma");
}
Activation SELUOp::activation() const { return {ActKind::SELU, attrs.alpha, attrs.gamma}; }

void CELUOp::validate() const {
    // CELU divides by alpha (x / alpha in the exponent).
    require(std::isfinite(attrs.alpha) && attrs.alpha != 0.f, "alpha " + num(attrs.alpha) + " must be finite and non-zero");
}
Activation CELUOp::activation() const { return {ActKind::CELU, attrs.alpha}; }

void SoftplusOp::validate() const {}
Activation SoftplusOp::activation() const { return {ActKind::Softplus}; }

void MishOp::validate() const {}
Activation MishOp::activation() const { return {ActKind::Mish}; }

void SiLUOp::validate() const {}
Activation SiLUOp::activation() const { return {ActKind::SiLU}; }

void IdentityOp::validate() const {}
Activation IdentityOp::activation() const { return {ActKind::None}; }

void DropoutOp::validate() const {
    require(attrs.ratio >= 0.f && attrs.ratio < 1.f, "ratio " + num(attrs.ratio) + " must be in [0, 1)");
}
Activation DropoutOp::activation() const { return {ActKind::None}; }

bool activationOf(const Operator& op, Activation& act) {
    const auto* a = dynamic_cast<const ActivationOperator*>(&op);
    act = a ? a->activation() : Activation{};
    return a != nullptr;
}

const std::vector<std::string>& activationTypes() {
    static const std::vector<std::string> types{
#define FIBNLR_X(Class, Name, AttrType) Name,
        FIBNLR_ACTIVATIONS(FIBNLR_X)
#undef FIBNLR_X
    };
    return types;
}

namespace {
// softplus(x) = log(1 + eˣ) without overflow: max(x, 0) + log1p(e^−|x|).
double softplus(double x) { return std::isnan(x) ? x : std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x))); }
double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
} // namespace

// The reference formulas, in double. Comparisons are written so that NaN
// fails them and falls to the branch that returns a NaN.
float applyActivationRef(const Activation& act, float xf) {
    const double x = xf, a = act.a, b = act.b;
    double y = x;
    switch (act.kind) {
    case ActKind::None: return xf;
    case ActKind::ReLU: return xf < 0.f ? 0.f : xf;
    case ActKind::LeakyReLU: return xf >= 0.f ? xf : act.a * xf;
    case ActKind::Clip: return xf < act.a ? act.a : (xf > act.b ? act.b : xf);
    case ActKind::HardSigmoid: {
        const float t = act.a * xf + act.b;
        return t < 0.f ? 0.f : (t > 1.f ? 1.f : t);
    }
    case ActKind::HardSwish: {  // x · HardSigmoid(x) with alpha 1/6, beta 1/2, in float as ONNX writes it
        const float t = xf * (1.f / 6.f) + 0.5f;
        return xf * (t < 0.f ? 0.f : (t > 1.f ? 1.f : t));
    }
    case ActKind::Sigmoid: y = sigmoid(x); break;
    case ActKind::Tanh: y = std::tanh(x); break;
    case ActKind::GELU: y = 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0))); break;
    case ActKind::GELUTanh: {
        const double c = std::sqrt(2.0 / 3.14159265358979323846);
        y = 0.5 * x * (1.0 + std::tanh(c * (x + 0.044715 * x * x * x)));
        break;
    }
    case ActKind::ELU: y = x > 0.0 ? x : a * std::expm1(x); break;        // alpha (eˣ − 1) below 0
    case ActKind::SELU: y = b * (x > 0.0 ? x : a * std::expm1(x)); break;  // gamma · ELU_alpha
    // max(0, x) + min(0, alpha (e^(x/alpha) − 1)), which is this for every alpha ≠ 0.
    case ActKind::CELU: y = x > 0.0 ? x : a * std::expm1(x / a); break;
    case ActKind::Softplus: y = softplus(x); break;
    case ActKind::Mish: y = x * std::tanh(softplus(x)); break;
    case ActKind::SiLU: y = x * sigmoid(x); break;
    }
    return static_cast<float>(y);
}

std::string toString(ActKind kind) {
    switch (kind) {
#define FIBNLR_X(K) \
    case ActKind::K: return #K;
        FIBNLR_ACT_KINDS(FIBNLR_X)
#undef FIBNLR_X
    }
    return "?";
}

std::string toString(const Activation& act) {
    switch (act.kind) {
    case ActKind::LeakyReLU:
    case ActKind::ELU:
    case ActKind::CELU: return toString(act.kind) + "(" + num(act.a) + ")";
    case ActKind::Clip:
    case ActKind::HardSigmoid:
    case ActKind::SELU: return toString(act.kind) + "(" + num(act.a) + ", " + num(act.b) + ")";
    case ActKind::GELUTanh: return "GELU(tanh)";
    default: return toString(act.kind);
    }
}

} // namespace fibnlr
