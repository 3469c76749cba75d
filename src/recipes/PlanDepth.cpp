// planDepth (checks, held-out split, FIBNLR measure, lazy greedy) and applyPlan.
#include "fibnlr/recipes/PlanDepth.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <stdexcept>
#include <tuple>

#include "PlanDepthModels.hpp"
#include "fibnlr/graph/GraphSnapshot.hpp"
#include "fibnlr/recipes/FIBNLR.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

namespace fibnlr {

using plandepth::NameSet;

namespace {

/// Damage floor in the gain/damage score, so a harmless unit ranks by its gain.
constexpr double kEps = 1e-6;

/// printf-style formatting of one number ("%g", "%.4g", "%.3f"), as the messages show it.
std::string fmt(const char* spec, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, spec, v);
    return buf;
}

std::string joined(const std::vector<std::string>& xs) {
    std::string out;
    for (std::size_t i = 0; i < xs.size(); ++i) out += (i ? ", " : "") + xs[i];
    return out;
}

/// A finite number within bounds, or std::invalid_argument naming it and the bounds.
void checkNumber(const std::string& name, double value, double low, bool lowInclusive, std::optional<double> high = {}) {
    const bool ok = std::isfinite(value) && (lowInclusive ? value >= low : value > low) && (!high || value <= *high);
    if (!ok)
        throw std::invalid_argument(name + " must be a finite number " + (lowInclusive ? ">= " : "> ") +
                                    fmt("%g", low) + (high ? " and <= " + fmt("%g", *high) : "") + ", got " +
                                    fmt("%g", value));
}

/// std::invalid_argument, `prefix` first, for an objective not in planObjectives().
void checkObjective(const std::string& objective, const std::string& prefix) {
    const auto& objectives = planObjectives();
    if (std::find(objectives.begin(), objectives.end(), objective) == objectives.end())
        throw std::invalid_argument(prefix + "objective '" + objective + "' is not one of " + joined(objectives));
}

void checkOptions(const GraphView& graph, const PlanDepthOptions& o) {
    checkObjective(o.objective, "");
    if (o.mode != "exact" && o.mode != "approximate")
        throw std::invalid_argument("mode '" + o.mode + "' is not one of exact, approximate");
    if (o.latencyRuntime != "fibnlr" && !o.timer)
        throw std::invalid_argument("latency_runtime '" + o.latencyRuntime +
                                    "' needs a timer; only 'fibnlr' is timed without one");
    checkNumber("max_divergence", o.maxDivergence, 0.0, true);
    if (o.target) {
        if (o.objective == "nonlinear_ops")
            checkNumber("target (fraction of non-linear evaluations left)", *o.target, 0.0, false, 1.0);
        else
            checkNumber("target (speed-up)", *o.target, 0.0, false);
    }
    if (o.maxCandidates && *o.maxCandidates == 0)
        throw std::invalid_argument("max_candidates must be unset or an integer >= 1, got 0");
    if (o.batchSize == 0) throw std::invalid_argument("batch_size must be >= 1, got 0");
    if (!(o.maxMacGrowth > 0))
        throw std::invalid_argument("max_mac_growth must be a number > 0 (inf: no limit), got " + fmt("%g", o.maxMacGrowth));
    o.params.validate();
    if (graph.inputs().size() != 1 || graph.outputs().size() != 1)
        throw std::invalid_argument("plan_depth needs a graph with one input and one output; '" + graph.name() +
                                    "' has " + std::to_string(graph.inputs().size()) + " inputs and " +
                                    std::to_string(graph.outputs().size()) + " outputs");
}

void checkImages(const Tensor& t, const std::string& what) {
    if (t.nbDims() < 2 || t.dims()[0] == 0)
        throw std::invalid_argument(what + " must be images [N, ...] with N >= 1 (batch first); got " +
                                    std::to_string(t.nbDims()) + " dims" +
                                    (t.nbDims() ? ", N = " + std::to_string(t.dims()[0]) : std::string()));
    if (t.dataType() != DataType::Float32) throw std::invalid_argument(what + " must be float32");
}

/// An unbiased draw in [0, bound) from the 64-bit engine (std::uniform_int_distribution
/// differs between standard libraries; this keeps the split the same everywhere).
std::uint64_t below(std::mt19937_64& rng, std::uint64_t bound) {
    const std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() - std::numeric_limits<std::uint64_t>::max() % bound;
    std::uint64_t x;
    do x = rng(); while (x >= limit);
    return x % bound;
}

/// (measure images, held-out images): the holdout as given, else a random
/// quarter (at least kPlanMinSplit) of the calibration images, each part in its original order.
std::pair<Tensor, Tensor> split(const Tensor& calibration, const std::optional<Tensor>& holdout, std::uint64_t seed) {
    if (holdout) return {calibration, *holdout};
    const std::size_t n = calibration.dims()[0];
    if (n < 2 * kPlanMinSplit)
        throw std::invalid_argument("calibration has " + std::to_string(n) + " images; plan_depth needs at least " +
                                    std::to_string(2 * kPlanMinSplit) + " to hold out " + std::to_string(kPlanMinSplit) +
                                    " for measuring damage (or pass holdout images)");
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::mt19937_64 rng(seed);
    for (std::size_t i = n - 1; i > 0; --i) std::swap(order[i], order[below(rng, i + 1)]);  // Fisher–Yates
    const std::size_t cut = n - std::max(kPlanMinSplit, n / 4);
    std::vector<std::size_t> measure(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(cut));
    std::vector<std::size_t> held(order.begin() + static_cast<std::ptrdiff_t>(cut), order.end());
    std::sort(measure.begin(), measure.end());
    std::sort(held.begin(), held.end());
    return {plandepth::gather(calibration, measure), plandepth::gather(calibration, held)};
}

/// name -> (NPR, NNPR) of the nodes FIBNLR prepares, measured on a clone; graph order in `order`.
std::map<std::string, std::pair<double, double>> measure(const GraphView& graph, const Tensor& images,
                                                         const FIBNLRParameters& params, std::size_t batchSize,
                                                         std::vector<std::string>& order) {
    std::shared_ptr<GraphView> g = graph.clone();
    const std::size_t n = images.dims()[0];
    Shape dims = images.dims();
    dims[0] = std::min(batchSize, n);
    compile(*g, CompileOptions{"cpu", DataType::Float32, {dims}});
    std::map<std::string, std::pair<double, double>> measured;
    if (fibnlrPrepare(*g, params).empty()) return measured;
    std::size_t next = 0;
    fibnlrCompute(*g, [&](std::vector<Tensor>& batch) {
        if (next >= n) return false;
        batch.assign(1, plandepth::rows(images, next, std::min(next + batchSize, n)));
        next += batchSize;
        return true;
    }, params);
    for (const NodePtr& node : fibnlrPreparedNodes(*g)) {
        measured[node->name()] = {get<NPR>(*node).value(), get<NNPR>(*node).value};
        order.push_back(node->name());
    }
    return measured;
}

/// Latency gains under this share of the original's time are taken as timing noise (best-of timings of
/// different layer structures of one model moved by up to 4 % between runs here), so that a unit is not
/// picked on one lucky timing.
constexpr double kLatencyNoise = 0.02;

bool savesNothing(double gain, double costBefore, const std::string& objective) {
    if (objective == "latency") return gain <= kLatencyNoise * costBefore;
    return gain <= 1e-12 * std::max(std::abs(costBefore), 1.0);
}

} // namespace

DepthPlan planDepth(const GraphView& graph, const Tensor& calibration, const PlanDepthOptions& options) {
    checkOptions(graph, options);
    checkImages(calibration, "calibration");
    if (options.holdout) checkImages(*options.holdout, "holdout");
    // Our own copy of the graph, taken under its lock: everything after works on clones of it.
    std::shared_ptr<GraphView> base;
    {
        GraphLock lock(graph.mutex());
        base = graph.clone();
    }
    auto [measureX, holdoutX] = split(calibration, options.holdout, options.seed);
    Shape one = measureX.dims();
    one[0] = 1;

    DepthPlan plan;
    plan.objective = options.objective;
    plan.maxDivergence = options.maxDivergence;
    plan.target = options.target;
    plan.mode = options.mode;
    plan.maxMacGrowth = options.maxMacGrowth;
    plan.latencyRuntime = options.latencyRuntime;
    plan.dims = {one};

    std::vector<std::string> prepared;
    const auto measured = measure(*base, measureX, options.params, options.batchSize, prepared);
    plandepth::PlanDamageModel damage(*base, holdoutX, options.batchSize);
    plandepth::PlanCostModel costs(*base, options, plan.dims, prepared);
    plan.costBefore = plan.costAfter = costs.cost({});
    if (measured.empty()) {
        plan.message = "no non-linearity of params.node_types in the graph: nothing to plan";
        return plan;
    }

    std::vector<PlanCandidate>& candidates = plan.candidates;
    for (std::vector<std::string>& unit : planUnits(*base, prepared, options.objective)) {
        PlanCandidate c;
        for (const std::string& n : unit) {
            c.npr = std::max(c.npr, measured.at(n).first);
            c.nnpr = std::max(c.nnpr, measured.at(n).second);
        }
        c.nodes = std::move(unit);
        candidates.push_back(std::move(c));
    }
    // Most linear first (NNPR), ties by unit order.
    std::vector<std::size_t> ranked(candidates.size());
    for (std::size_t i = 0; i < ranked.size(); ++i) ranked[i] = i;
    std::stable_sort(ranked.begin(), ranked.end(),
                     [&](std::size_t a, std::size_t b) { return candidates[a].nnpr < candidates[b].nnpr; });
    const std::size_t limit = std::min(ranked.size(), options.maxCandidates.value_or(ranked.size()));
    for (std::size_t r = limit; r < ranked.size(); ++r)
        candidates[ranked[r]].why =
            "not measured: NNPR rank beyond max_candidates=" + std::to_string(*options.maxCandidates);

    // Min-heap of (−score, nnpr, index, stamp): the best score first; stamp = picks when scored.
    using Entry = std::tuple<double, double, std::size_t, std::size_t>;
    std::vector<Entry> heap;
    auto push = [&heap](Entry e) {
        heap.push_back(e);
        std::push_heap(heap.begin(), heap.end(), std::greater<Entry>());
    };
    auto pop = [&heap] {
        std::pop_heap(heap.begin(), heap.end(), std::greater<Entry>());
        Entry e = heap.back();
        heap.pop_back();
        return e;
    };
    for (std::size_t r = 0; r < limit; ++r) {
        PlanCandidate& c = candidates[ranked[r]];
        const NameSet unit(c.nodes.begin(), c.nodes.end());
        c.gain = plan.costBefore - costs.cost(unit);
        std::tie(c.damage, c.agreement) = damage.damage(unit);
        if (savesNothing(c.gain, plan.costBefore, options.objective)) c.why = "removing it alone saves nothing for " + options.objective;
        push({-c.gain / std::max(c.damage, kEps), c.nnpr, ranked[r], 0});
        if (options.progress) options.progress(r + 1, limit);
    }

    NameSet picked;
    double current = 0.0;
    std::size_t picks = 0;
    while (!heap.empty()) {
        const auto [negScore, nnpr, i, stamp] = pop();
        (void)negScore;
        PlanCandidate& c = candidates[i];
        if (costs.reached(picked, plan.target)) {
            if (c.why.empty()) c.why = "target reached before this unit";
            continue;
        }
        NameSet with = picked;
        std::size_t added = 0;
        for (const std::string& n : c.nodes) added += with.insert(n).second;
        if (added == 0) {
            c.why = "already removed with the units picked before";
            continue;
        }
        const double gain = costs.cost(picked) - costs.cost(with);
        if (savesNothing(gain, plan.costBefore, options.objective)) {
            if (c.why.empty()) c.why = "saves nothing for " + options.objective + " with the units picked before";
            continue;
        }
        const auto [joint, agreement] = damage.damage(with);
        if (joint > options.maxDivergence) {
            c.why = "joint divergence " + fmt("%.4g", joint) + " would exceed max_divergence " +
                    fmt("%g", options.maxDivergence);
            continue;
        }
        const double score = gain / std::max(joint - current, kEps);
        if (stamp != picks && !heap.empty() && score < -std::get<0>(heap.front())) {
            push({-score, nnpr, i, picks});  // stale score: re-rank with the fresh one
            continue;
        }
        picked = std::move(with);
        current = joint;
        ++picks;
        c.picked = true;
        c.why = "picked #" + std::to_string(picks) + ": saves " + fmt("%.4g", gain) + " more, joint divergence " +
                fmt("%.4g", joint) + ", top-1 agreement " + fmt("%.3f", agreement);
    }

    for (const NodePtr& n : base->getNodes())
        if (picked.count(n->name())) {
            plan.picked.push_back(n->name());
            plan.pickedTypes.emplace_back(n->name(), n->type());
        }
    plan.costAfter = costs.cost(picked);
    plan.ratio = costs.ratio(picked);
    std::tie(plan.divergence, plan.agreement) = damage.damage(picked);
    if (plan.target) {
        plan.targetReached = costs.reached(picked, plan.target);
        if (!*plan.targetReached)
            plan.message = "target " + fmt("%g", *plan.target) + " not reached within max_divergence " +
                           fmt("%g", plan.maxDivergence) + ": the best found gives " + fmt("%.3f", plan.ratio);
    }
    return plan;
}

SimplifyResult applyPlan(GraphView& graph, const DepthPlan& plan, const LatencyTimer& timer) {
    GraphLock lock(graph.mutex());
    // Every check before the first change.
    checkObjective(plan.objective, "apply_plan: ");
    if (plan.objective == "latency" && plan.latencyRuntime != "fibnlr" && !timer)
        throw std::invalid_argument("apply_plan: the plan's latency_runtime '" + plan.latencyRuntime +
                                    "' needs a timer; only 'fibnlr' is timed without one");
    for (const auto& [name, planned] : plan.pickedTypes) {
        NodePtr node = graph.getNode(name);
        if (!node) throw std::invalid_argument("apply_plan: node '" + name + "' is not in graph '" + graph.name() + "'");
        if (node->type() != planned)
            throw std::invalid_argument("apply_plan: node '" + name + "' is a " + node->type() +
                                        "; the plan was made when it was a " + planned);
    }
    const SimplifyOptions o =
        plandepth::planSimplifyOptions(plan.mode, plan.maxMacGrowth, plan.dims, plan.objective, timer, plan.latencyRuntime);
    // linearise checks every picked name before changing anything; simplify
    // checks its options first; the snapshot covers whatever fails later.
    GraphSnapshot snapshot(graph);
    try {
        linearise(graph, plan.picked, "apply_plan");
        return simplify(graph, o);
    } catch (...) {
        snapshot.restore();
        throw;
    }
}

} // namespace fibnlr
