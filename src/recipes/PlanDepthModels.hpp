#pragma once
// planDepth's two measures of a set of removed non-linearities, each cached by
// set: what it buys (PlanCostModel: the objective's cost after simplify) and
// what it costs (PlanDamageModel: divergence on the held-out images).
// Private to src/recipes/PlanDepth*.cpp.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "fibnlr/recipes/PlanDepth.hpp"

namespace fibnlr::plandepth {

using NameSet = std::set<std::string>;

/// simplify's options for a plan: the cost model prices a set with them and
/// applyPlan applies the picked set with them, so both simplify alike.
SimplifyOptions planSimplifyOptions(const std::string& mode, double maxMacGrowth, const std::vector<Shape>& dims,
                                    const std::string& objective, const LatencyTimer& timer,
                                    const std::string& timerName);

/// Rows [begin, end) of `t` (batch first) as a new tensor.
Tensor rows(const Tensor& t, std::size_t begin, std::size_t end);
/// Rows `index` of `t`, in that order, as a new tensor.
Tensor gather(const Tensor& t, const std::vector<std::size_t>& index);
/// The single output of a clone of `graph` run on `images` in batches of
/// `batchSize`, concatenated along dim 0.
Tensor forwardAll(const GraphView& graph, const Tensor& images, std::size_t batchSize);

/// Prices sets of removed non-linearities of `graph` (a private clone) for one objective.
class PlanCostModel {
public:
    /// `prepared`: the candidate nodes (nonlinear_ops counts their output elements).
    PlanCostModel(const GraphView& graph, const PlanDepthOptions& options, std::vector<Shape> dims,
                  const std::vector<std::string>& prepared);
    double cost(const NameSet& removed);
    /// How far `removed` goes towards the target: the speed-up, or for nonlinear_ops the fraction left.
    double ratio(const NameSet& removed);
    bool reached(const NameSet& removed, const std::optional<double>& target);
private:
    /// A clone with `removed` linearised, then simplified as apply would.
    std::pair<std::shared_ptr<GraphView>, SimplifyResult> simplified(const NameSet& removed) const;
    double price(const NameSet& removed);
    /// Seconds per forward of `g` at the plan's dims, on the timer or fibnlr's backend.
    double timed(GraphView& g) const;

    std::shared_ptr<GraphView> mGraph;
    const PlanDepthOptions& mOptions;
    std::vector<Shape> mDims;
    std::map<std::string, double> mElements;  // nonlinear_ops: output elements per image of each prepared node
    std::map<NameSet, double> mCache;
    std::set<std::string> mCandidates;                // the prepared non-linearities
    std::map<std::string, double> mLatencyByLayers;  // latency: per layer structure (the layers left but candidates)
};

/// Divergence of `graph` (a private clone) with a set of nodes linearised, on the held-out images.
class PlanDamageModel {
public:
    /// Runs the original once; throws std::invalid_argument when its output is not [N, classes].
    PlanDamageModel(const GraphView& graph, Tensor holdout, std::size_t batchSize);
    /// (divergence, agreement) with `removed` linearised.
    std::pair<double, double> damage(const NameSet& removed);
private:
    std::shared_ptr<GraphView> mGraph;
    Tensor mHoldout;
    std::size_t mBatchSize;
    Tensor mReference;
    std::map<NameSet, std::pair<double, double>> mCache;
};

} // namespace fibnlr::plandepth
