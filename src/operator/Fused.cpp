#include "fibnlr/operator/Fused.hpp"

#include "fibnlr/kernels/ref/Activation.hpp"
#include "fibnlr/operator/Activation.hpp"

namespace fibnlr {

AttrList FusedOp::attributes() const {
    AttrList a = mBase->attributes();
    a.emplace_back("activation", AttrValue(fibnlr::toString(mAct)));
    return a;
}

bool activationOf(const Operator& op, Activation& act) {
    const std::string t = op.type();
    act = Activation{};
    if (t == "ReLU") act.kind = ActKind::ReLU;
    else if (t == "LeakyReLU") act = {ActKind::LeakyReLU, static_cast<const LeakyReLUOp&>(op).attrs.alpha, 0.f};
    else if (t == "Clip") {
        const auto& a = static_cast<const ClipOp&>(op).attrs;
        act = {ActKind::Clip, a.min, a.max};
    } else if (t == "HardSigmoid") {
        const auto& a = static_cast<const HardSigmoidOp&>(op).attrs;
        act = {ActKind::HardSigmoid, a.alpha, a.beta};
    } else if (t == "HardSwish") act.kind = ActKind::HardSwish;
    else if (t == "Sigmoid") act.kind = ActKind::Sigmoid;
    else if (t == "Tanh") act.kind = ActKind::Tanh;
    else if (t == "GELU")
        act.kind = static_cast<const GELUOp&>(op).attrs.approximate == "tanh" ? ActKind::GELUTanh : ActKind::GELU;
    else if (t != "Identity" && t != "Dropout") return false;
    return true;
}

float applyActivationRef(const Activation& act, float x) {
    switch (act.kind) {
    case ActKind::None: return x;
    case ActKind::ReLU: return reluRef(x);
    case ActKind::LeakyReLU: return leakyReluRef(x, act.a);
    case ActKind::Clip: return clipRef(x, act.a, act.b);
    case ActKind::HardSigmoid: return hardSigmoidRef(x, act.a, act.b);
    case ActKind::HardSwish: return hardSwishRef(x);
    case ActKind::Sigmoid: return sigmoidRef(x);
    case ActKind::Tanh: return std::tanh(x);
    case ActKind::GELU: return geluRef(x);
    case ActKind::GELUTanh: return geluTanhRef(x);
    }
    return x;
}

std::string toString(const Activation& act) {
    switch (act.kind) {
    case ActKind::None: return "None";
    case ActKind::ReLU: return "ReLU";
    case ActKind::LeakyReLU: return "LeakyReLU(" + std::to_string(act.a) + ")";
    case ActKind::Clip: return "Clip(" + std::to_string(act.a) + ", " + std::to_string(act.b) + ")";
    case ActKind::HardSigmoid: return "HardSigmoid(" + std::to_string(act.a) + ", " + std::to_string(act.b) + ")";
    case ActKind::HardSwish: return "HardSwish";
    case ActKind::Sigmoid: return "Sigmoid";
    case ActKind::Tanh: return "Tanh";
    case ActKind::GELU: return "GELU";
    case ActKind::GELUTanh: return "GELU(tanh)";
    }
    return "?";
}

} // namespace fibnlr
