#include "fibnlr/operator/Fused.hpp"

#include <algorithm>
#include <cmath>

#include "fibnlr/kernels/ref/Activation.hpp"
#include "fibnlr/operator/Activation.hpp"

namespace fibnlr {

FusedOp::FusedOp(OperatorPtr base, Activation act, bool batchNorm, float epsilon)
    : mBase(std::move(base)), mAct(act), mBatchNorm(batchNorm), mEpsilon(epsilon), mSpecs(mBase->inputSpecs()) {
    if (mBatchNorm)
        for (const char* n : {"bn_scale", "bn_B", "bn_mean", "bn_var"}) mSpecs.push_back({n, InputCategory::Param});
}

AttrList FusedOp::attributes() const {
    AttrList a = mBase->attributes();
    a.emplace_back("activation", AttrValue(fibnlr::toString(mAct)));
    a.emplace_back("batch_norm", AttrValue(static_cast<std::int64_t>(mBatchNorm)));
    return a;
}

std::vector<Shape> FusedOp::inferShapes(const std::vector<Shape>& inputs) const {
    const std::size_t n = std::min(inputs.size(), mBase->nbInputs());
    return mBase->inferShapes(std::vector<Shape>(inputs.begin(), inputs.begin() + static_cast<std::ptrdiff_t>(n)));
}

void epilogueAffine(const Operator& op, const std::vector<const Tensor*>& in, std::size_t M, float* buf,
                    const float*& scale, const float*& shift) {
    // A bias map (rank > 1) is not per channel: the kernel adds it before scale/shift (ConvParams::biasMap).
    const Tensor* bias = in.size() > 2 && in[2] && in[2]->nbDims() == 1 ? in[2] : nullptr;
    const auto* f = dynamic_cast<const FusedOp*>(&op);
    scale = nullptr;
    shift = bias ? bias->data<float>() : nullptr;
    if (!f || !f->hasBatchNorm()) return;
    const std::size_t k = f->batchNormInput();
    const float *g = in[k]->data<float>(), *be = in[k + 1]->data<float>(), *mu = in[k + 2]->data<float>(),
                *var = in[k + 3]->data<float>();
    for (std::size_t m = 0; m < M; ++m) {
        const double s = g[m] / std::sqrt(static_cast<double>(var[m]) + f->epsilon());
        buf[m] = static_cast<float>(s);
        buf[M + m] = static_cast<float>(((bias ? bias->data<float>()[m] : 0.0) - mu[m]) * s + be[m]);
    }
    scale = buf;
    shift = buf + M;
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
