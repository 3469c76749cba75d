#pragma once
#include <cstdint>
#include <mutex>

#include "fibnlr/operator/Activation.hpp"

namespace fibnlr {

/// Sign statistics of a fused step's pre-activation output (the activation
/// node's input), accumulated by the kernel while it writes the output; the
/// scheduler hands them to the node's SignStatsHooks (graph/Hooks.hpp).
/// Same meaning as SignCounts (kernels/Counting.hpp) plus per-channel flags.
struct EpilogueStats {
    double neg = 0.0, pos = 0.0;
    std::uint64_t nonFinite = 0;
    std::vector<std::uint8_t> alive;  ///< per channel (dim 1): 1 once some value > 0
    std::mutex mutex;

    void reset(std::size_t channels) {
        neg = pos = 0.0;
        nonFinite = 0;
        alive.assign(channels, 0);
    }
    /// Adds one work item's partial results; `aliveLocal[i]` is channel c0 + i.
    void merge(double n, double p, std::uint64_t nf, const std::uint8_t* aliveLocal, std::size_t c0, std::size_t count) {
        std::lock_guard<std::mutex> lk(mutex);
        neg += n, pos += p, nonFinite += nf;
        for (std::size_t i = 0; i < count; ++i) alive[c0 + i] |= aliveLocal[i];
    }
};

/// A producer (Conv, Gemm, BatchNormalization, Add, ...) followed by the
/// activation that consumed its output, run as one step of a compiled plan.
/// It never appears in a user's graph: the scheduler builds it so that the
/// activation costs no extra pass. A Conv may also carry the inference
/// BatchNormalization that followed it (`batchNorm`): its four parameters
/// (scale γ, bias β, mean μ, var σ²) are appended to the Conv's inputs and the
/// kernel applies, per output channel m, y = act(conv·s + t) with
/// s = γ/√(σ² + ε), t = (b − μ)·s + β, computed from the live parameter
/// tensors at every run, so parameters edited in place are always seen.
/// type() is "Fused" + the base type; shapes are the base's.
class FusedOp : public Operator {
public:
    /// channelSlopes: the activation is a PReLU (act LeakyReLU) whose slope,
    /// one per output channel (or one for all), is the last input.
    FusedOp(OperatorPtr base, Activation act, bool batchNorm = false, float epsilon = 1e-5f, bool channelSlopes = false);
    std::string type() const override { return "Fused" + mBase->type(); }
    const std::vector<InputSpec>& inputSpecs() const override { return mSpecs; }
    std::size_t nbOutputs() const override { return mBase->nbOutputs(); }
    AttrList attributes() const override;
    void setAttribute(const std::string& name, const AttrValue&) override {
        throw std::invalid_argument(type() + " is internal to compiled plans; cannot set '" + name + "'");
    }
    std::vector<Shape> inferShapes(const std::vector<Shape>& inputs) const override;
    std::shared_ptr<Operator> clone() const override {
        return std::make_shared<FusedOp>(mBase->clone(), mAct, mBatchNorm, mEpsilon, mChannelSlopes);
    }
    /// The same step, also accumulating sign statistics of its pre-activation output into `stats`.
    std::shared_ptr<FusedOp> withStats(std::shared_ptr<EpilogueStats> stats) const {
        auto f = std::make_shared<FusedOp>(mBase, mAct, mBatchNorm, mEpsilon, mChannelSlopes);
        f->mStats = std::move(stats);
        return f;
    }
    /// Null unless built by withStats.
    EpilogueStats* stats() const { return mStats.get(); }

    const Operator& base() const { return *mBase; }
    const Activation& activation() const { return mAct; }
    bool hasBatchNorm() const { return mBatchNorm; }
    float epsilon() const { return mEpsilon; }
    /// Index of the first BatchNorm parameter among the inputs (the base's input count).
    std::size_t batchNormInput() const { return mBase->nbInputs(); }
    bool hasChannelSlopes() const { return mChannelSlopes; }
    /// Index of the PReLU slope input (after the BatchNorm parameters).
    std::size_t slopeInput() const { return mBase->nbInputs() + (mBatchNorm ? 4 : 0); }

private:
    OperatorPtr mBase;
    Activation mAct;
    bool mBatchNorm;
    float mEpsilon;
    bool mChannelSlopes;
    std::vector<InputSpec> mSpecs;
    std::shared_ptr<EpilogueStats> mStats;
};

/// Per-channel epilogue of a FusedOp conv: scale (null when there is no
/// BatchNorm) and shift (the conv bias, or the BatchNorm-folded shift; null
/// when neither). Written into `buf` (2·M floats) from the live tensors. A
/// bias map (B of rank > 1) is left out: the kernel adds it per position first.
void epilogueAffine(const Operator& op, const std::vector<const Tensor*>& in, std::size_t M, float* buf,
                    const float*& scale, const float*& shift);

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
/// The activation a kernel applies for `op`, with a fused PReLU's slopes read
/// from the live input tensor (one slope: a; one per channel: perChannelA).
Activation epilogueActivation(const Operator& op, const std::vector<const Tensor*>& in);

/// The statistics a kernel must accumulate for `op` (null: none).
inline EpilogueStats* epilogueStats(const Operator& op) {
    const auto* f = dynamic_cast<const FusedOp*>(&op);
    return f ? f->stats() : nullptr;
}

} // namespace fibnlr
