#pragma once
// planDepth: choose which non-linearities to remove by what their removal buys
// (the objective's cost after simplify) and what it costs (the divergence of
// the model's outputs on held-out images), within a damage budget.
//
// 1. FIBNLR measures every prepared non-linearity (prepare + compute on the
//    calibration images not held out): NPR and NNPR rank the candidates, and
//    maxCandidates keeps only the most linear ones.
// 2. Candidate units (planUnits): the non-linearities of a conv chain whose
//    joint removal lets simplify merge it, or single nodes for nonlinear_ops.
// 3. gain(u) = cost(∅) − cost(u) for the objective; damage(u) = divergence of
//    the model with u linearised.
// 4. Lazy greedy by marginal gain per marginal damage: the best unit by its
//    last known score is re-measured jointly with the units already picked;
//    it is picked when it still beats every other score, its joint divergence
//    stays within maxDivergence and it still saves something; picking stops
//    when the target is reached. Deterministic for a fixed seed except latency timings.
//
// The Python fibnlr.depth_plan (plan_depth, apply_plan) is a thin layer over this.
#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "fibnlr/data/Tensor.hpp"
#include "fibnlr/graph/GraphView.hpp"
#include "fibnlr/recipes/FIBNLRParameters.hpp"
#include "fibnlr/recipes/MergeLatency.hpp"
#include "fibnlr/recipes/Simplify.hpp"

namespace fibnlr {

/// The objectives planDepth can optimise; each prices a set S of removed
/// non-linearities (cost(S), lower is better), cost(∅) taken after simplify:
/// - "macs": multiply-accumulates per image of simplify(prune(S)) (merge plan
///   by MACs); target is the speed-up cost(∅) / cost(S), e.g. 1.3.
/// - "latency": seconds per batch-1 forward of simplify(prune(S)) (merge plan
///   by timed segments), timed whole on fibnlr's backend or by
///   PlanDepthOptions::timer; target is the speed-up. A unit must save at
///   least 2 % of the original's time to count (timing noise).
/// - "nonlinear_ops": non-linear element evaluations per image (output
///   elements of every prepared non-linearity left); target is the fraction
///   left, e.g. 0.5.
inline const std::vector<std::string>& planObjectives() {
    static const std::vector<std::string> objectives{"latency", "macs", "nonlinear_ops"};
    return objectives;
}

/// What simplify's merge plan minimises for a plan with this objective:
/// "latency" for latency, else "macs".
inline std::string planMergeObjective(const std::string& objective) {
    return objective == "latency" ? "latency" : "macs";
}

/// Held-out images needed for a stable KL when the held-out set is split from
/// the calibration images; the measuring part needs as many.
constexpr std::size_t kPlanMinSplit = 32;
/// Longest run of a chain offered as one unit: a block's non-linearities, not several blocks'.
constexpr std::size_t kPlanMaxRun = 3;

struct PlanDepthOptions {
    std::string objective = "latency";  ///< one of planObjectives()
    /// Budget for the mean KL (nats) between the original's and the planned
    /// model's softmax outputs on the held-out images; >= 0.
    double maxDivergence = 0.05;
    /// Stop once reached: a speed-up > 0 (latency, macs) or the fraction of
    /// non-linear evaluations left in (0, 1] (nonlinear_ops). Unset: no target.
    std::optional<double> target;
    /// Images for measuring damage [N, ...]; unset: a quarter of the
    /// calibration images (at least kPlanMinSplit) chosen by `seed`.
    std::optional<Tensor> holdout;
    FIBNLRParameters params;  ///< the FIBNLR measure (nodeTypes chooses the candidates)
    std::string mode = "exact";  ///< simplify's mode: "exact" or "approximate"
    double maxMacGrowth = 1.0;   ///< simplify's max_mac_growth, > 0
    /// Names the latency timer. "fibnlr" with a null timer: timeOnBackend.
    /// Any other name needs `timer` (the Python binding passes onnxruntime's).
    std::string latencyRuntime = "fibnlr";
    LatencyTimer timer;
    /// Measure only this many units, the most linear by NNPR; unset: all. >= 1.
    std::optional<std::size_t> maxCandidates;
    std::size_t batchSize = 64;  ///< images per forward, >= 1
    std::uint64_t seed = 0;      ///< the held-out split
    /// Called after each unit is measured alone: (done, total). May throw to stop.
    std::function<void(std::size_t, std::size_t)> progress;
};

/// One unit of non-linearities planDepth considered.
struct PlanCandidate {
    std::vector<std::string> nodes;  ///< graph order
    /// FIBNLR's measure, the largest over the unit's nodes (the least linear member decides).
    double npr = 0.0, nnpr = 0.0;
    /// What removing the unit alone saves in the objective's unit (MACs,
    /// seconds or evaluations per image); NaN when not measured.
    double gain = std::numeric_limits<double>::quiet_NaN();
    /// Divergence (mean KL, nats) with the unit alone linearised, and its
    /// top-1 agreement; NaN when not measured.
    double damage = std::numeric_limits<double>::quiet_NaN();
    double agreement = std::numeric_limits<double>::quiet_NaN();
    bool picked = false;
    std::string why;  ///< why it was or was not picked
};

/// The non-linearities to remove (picked, graph order) and how the plan got there.
struct DepthPlan {
    std::string objective;
    double maxDivergence = 0.0;
    std::optional<double> target;
    std::string mode = "exact";
    double maxMacGrowth = 1.0;
    std::string latencyRuntime = "fibnlr";
    std::vector<Shape> dims;  ///< batch-1 input dims the costs were priced at
    std::vector<PlanCandidate> candidates;
    std::vector<std::string> picked;  ///< graph order
    /// (name, type) of each picked node when planned, graph order: applyPlan refuses a changed node.
    std::vector<std::pair<std::string, std::string>> pickedTypes;
    double costBefore = 0.0, costAfter = 0.0;  ///< the objective's cost of the simplified model without / with picked removed
    double ratio = 1.0;  ///< speed-up (latency, macs) or fraction of evaluations left (nonlinear_ops)
    double divergence = 0.0, agreement = 1.0;  ///< measured damage of the picked set
    std::optional<bool> targetReached;  ///< unset without a target
    std::string message;
    /// What simplify's merge plan minimises for this plan (planMergeObjective).
    std::string mergeObjective() const { return planMergeObjective(objective); }
};

/// Chooses which non-linearities of `graph` to remove (see the file comment).
/// `graph` is not modified: one input, one output of class scores [N, classes].
/// `calibration`: images [N, ...] (batch first). Throws std::invalid_argument,
/// naming the value, for an unknown objective, mode or latency runtime without
/// a timer, a negative or non-finite maxDivergence, a target out of range,
/// maxCandidates 0, batchSize 0, maxMacGrowth <= 0, a graph without one input
/// and one output or whose output is not [N, classes], and calibration too
/// small to split (fewer than 2 · kPlanMinSplit images without a holdout).
DepthPlan planDepth(const GraphView& graph, const Tensor& calibration, const PlanDepthOptions& options = {});

/// Replaces plan.picked by Identity in `graph` and runs simplify as the plan
/// priced it (mode, maxMacGrowth, dims, merge objective; `timer` for a
/// latency plan whose latencyRuntime is not "fibnlr"). Returns simplify's
/// result. Throws std::invalid_argument naming the node when a picked node is
/// missing, not a one-input one-output node, or of another type than when
/// planned; on any failure `graph` is left as it was.
SimplifyResult applyPlan(GraphView& graph, const DepthPlan& plan, const LatencyTimer& timer = nullptr);

// Building blocks (used by planDepth and applyPlan, exposed for tests and bindings).

/// Maximal chains of the `prepared` non-linearities (names, graph order): runs
/// linked by single-consumer linear layers (Conv, BatchNormalization,
/// Identity, Dropout). A residual Add, a pooling or a fork ends a chain.
std::vector<std::vector<std::string>> planChains(const GraphView& graph, const std::vector<std::string>& prepared);
/// Candidate units: every contiguous run of a chain up to kPlanMaxRun long,
/// longest first; single nodes for "nonlinear_ops".
std::vector<std::vector<std::string>> planUnits(const GraphView& graph, const std::vector<std::string>& prepared,
                                                const std::string& objective);

/// Replaces each node of `names` in `graph` (in place) by an Identity of the
/// same name. Checks every name first (std::invalid_argument naming it, graph
/// unchanged): it must be a node with one data input and one output. `what`
/// prefixes the messages.
void linearise(GraphView& graph, const std::vector<std::string>& names, const std::string& what = "plan");

/// (mean over rows of KL(softmax(reference) ‖ softmax(logits)) in nats, clamped
/// at 0; fraction of rows whose argmax agrees) for two [N, classes] tensors,
/// computed in double. Throws std::invalid_argument for other shapes.
std::pair<double, double> planDivergence(const Tensor& reference, const Tensor& logits);

} // namespace fibnlr
