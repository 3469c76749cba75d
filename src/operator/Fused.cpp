#include "fibnlr/operator/Fused.hpp"

#include <algorithm>
#include <cmath>


namespace fibnlr {

FusedOp::FusedOp(OperatorPtr base, Activation act, bool batchNorm, float epsilon, bool channelSlopes)
    : mBase(std::move(base)), mAct(act), mBatchNorm(batchNorm), mEpsilon(epsilon), mChannelSlopes(channelSlopes),
      mSpecs(mBase->inputSpecs()) {
    if (mBatchNorm)
        for (const char* n : {"bn_scale", "bn_B", "bn_mean", "bn_var"}) mSpecs.push_back({n, InputCategory::Param});
    if (mChannelSlopes) mSpecs.push_back({"prelu_slope", InputCategory::Param});
}

Activation epilogueActivation(const Operator& op, const std::vector<const Tensor*>& in) {
    Activation act;
    unfuse(op, act);
    const auto* f = dynamic_cast<const FusedOp*>(&op);
    if (!f || !f->hasChannelSlopes()) return act;
    const Tensor& slope = *in[f->slopeInput()];
    if (slope.size() == 1) act.a = slope.data<float>()[0];
    else act.perChannelA = slope.data<float>();
    return act;
}

AttrList FusedOp::attributes() const {
    AttrList a = mBase->attributes();
    a.emplace_back("activation", AttrValue(mChannelSlopes ? std::string("PReLU") : fibnlr::toString(mAct)));
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

} // namespace fibnlr
