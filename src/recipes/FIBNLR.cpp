#include "fibnlr/recipes/FIBNLR.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <map>
#include <stdexcept>
#include <unordered_map>

#include "fibnlr/graph/ShapeInference.hpp"
#include "fibnlr/kernels/Counting.hpp"
#include "fibnlr/operator/Activation.hpp"
#include "fibnlr/scheduler/Cancellation.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

namespace fibnlr {

namespace {

constexpr const char* kMeasuringKey = "fibnlr.measuring";

bool selectsType(const FIBNLRParameters& p, const std::string& type) {
    return std::any_of(p.nodeTypes.begin(), p.nodeTypes.end(), [&](const std::string& t) { return sameNodeType(t, type); });
}
bool isSelectedType(const Node& n, const FIBNLRParameters& p) { return selectsType(p, n.type()); }

/// Why nothing is prepared, for a user who may never have called prepare:
/// the activation types the graph holds (with counts) and whether node_types selects them.
std::string nothingPreparedHint(const GraphView& graph, const FIBNLRParameters& p) {
    std::map<std::string, std::size_t> held;
    Activation act;
    for (const NodePtr& n : graph.getNodes())
        if ((activationOf(n->getOperator(), act) && act.kind != ActKind::None) || n->type() == "PReLU") ++held[n->type()];
    if (held.empty()) return "; the graph holds no non-linearity that FIBNLR can measure";
    std::string types, missing;
    for (const auto& [t, count] : held) {
        types += (types.empty() ? "" : ", ") + t + " (" + std::to_string(count) + ")";
        if (!selectsType(p, t)) missing += (missing.empty() ? "'" : ", '") + t + "'";
    }
    std::string hint = "; call fibnlr_prepare first. The graph's non-linearities are " + types;
    if (!missing.empty()) hint += "; add " + missing + " to node_types to measure them";
    return hint;
}

/// The measuring hook: counts the node's input when compute has switched measuring on.
void measure(const Node& node, const Tensor& x) {
    const bool* on = node.annotations().tryGet<bool>(kMeasuringKey);
    if (!on || !*on) return;
    NPR* npr = tryGet<NPR>(node);
    ActivityTracker* tracker = tryGet<ActivityTracker>(node);
    if (!npr || !tracker || x.dataType() != DataType::Float32) return;
    const Shape& d = x.dims();
    const auto [outer, channels, inner] = countLayout(d);
    std::vector<std::uint8_t> alive(channels, 0);
    SignCounts counts;
    bestCountSigns()(x.data<float>(), outer, channels, inner, alive.data(), counts);
    npr->add(counts.neg, counts.pos);
    npr->nonFinite += counts.nonFinite;
    tracker->add(alive.data(), channels);
}

/// The fused form of `measure` (graph/Hooks.hpp SignStatsHook): when the
/// compiled plan fused this node into the producer of its input, the producer's
/// kernel accumulates the same statistics while it writes the input.
bool measuring(const Node& node) {
    const bool* on = node.annotations().tryGet<bool>(kMeasuringKey);
    return on && *on && tryGet<NPR>(node) && tryGet<ActivityTracker>(node);
}
void measureStats(const Node& node, double neg, double pos, std::uint64_t nonFinite, const std::uint8_t* alive,
                  std::size_t channels) {
    NPR* npr = tryGet<NPR>(node);
    npr->add(neg, pos);
    npr->nonFinite += nonFinite;
    tryGet<ActivityTracker>(node)->add(alive, channels);
}

void installHook(GraphView& graph, const NodePtr& node) {
    graph.hooks().set(kFIBNLRHookKey, node.get(), measure, SignStatsHook{measuring, measureStats});
}

/// Every node's output shapes at the compiled input dims, from the
/// operators' shape rules (independent of how a scheduler fuses or stores
/// its buffers, and of whether the graph changed since it was compiled).
/// Lenient: an unconnected input only matters if its node's rule needs it.
NodeShapes compiledShapes(const GraphView& graph, const Scheduler& sched) {
    ShapeInferenceOptions options;
    options.context = "fibnlr_prepare: cannot infer the shapes";
    options.requireConnected = false;
    return inferShapes(graph, sched.options().dims, options);
}

/// The group id ImageSize gives a node: the product of its input's spatial dims (1 for a 2-D input).
std::int64_t imageSizeGroup(const Shape& dims) {
    std::int64_t hw = 1;
    for (std::size_t i = 2; i < dims.size(); ++i) hw *= static_cast<std::int64_t>(dims[i]);
    return hw;
}

struct Snapshot {
    NodePtr node;
    NPR npr;
    ActivityTracker tracker;
    NNPR nnpr;
};

/// Installs the hooks and switches measuring on for the prepared nodes; on
/// scope exit switches it off and removes the hooks, so inference after
/// compute runs without them (a fast scheduler can fuse the activations again).
class MeasuringGuard {
public:
    MeasuringGuard(GraphView& graph, const std::vector<NodePtr>& nodes) : mGraph(graph), mNodes(nodes) {
        for (const NodePtr& n : mNodes) {
            installHook(mGraph, n);  // also covers a cloned graph: clone copies attributes, not hooks
            n->annotations().set<bool>(kMeasuringKey, true);
        }
    }
    ~MeasuringGuard() {
        for (const NodePtr& n : mNodes) n->annotations().set<bool>(kMeasuringKey, false);
        mGraph.hooks().removeAll(kFIBNLRHookKey);
    }
    MeasuringGuard(const MeasuringGuard&) = delete;
    MeasuringGuard& operator=(const MeasuringGuard&) = delete;

private:
    GraphView& mGraph;
    std::vector<NodePtr> mNodes;
};

} // namespace

std::vector<NodePtr> fibnlrPreparedNodes(const GraphView& graph) {
    GraphLock lock(graph.mutex());
    std::vector<NodePtr> out;
    for (const NodePtr& n : graph.getNodes())
        if (has<NPR>(*n)) out.push_back(n);
    return out;
}

std::set<NodePtr> fibnlrPrepare(GraphView& graph, const FIBNLRParameters& params) {
    GraphLock lock(graph.mutex());
    params.validate();
    const std::vector<NodePtr> order = graph.getNodes();
    std::vector<NodePtr> selected;
    for (const NodePtr& n : order)
        if (isSelectedType(*n, params)) selected.push_back(n);

    // Groups, computed (and checked) before anything changes.
    std::unordered_map<const Node*, std::int64_t> groups;
    if (params.group == GroupMethod::Manual) {
        for (const auto& kv : params.groupAssignments) {
            NodePtr n = graph.getNode(kv.first);
            if (!n)
                throw std::invalid_argument("fibnlr_prepare: group_assignments names node '" + kv.first +
                                            "', which is not in graph '" + graph.name() + "'");
            if (!isSelectedType(*n, params))
                throw std::invalid_argument("fibnlr_prepare: group_assignments names " + describe(*n) +
                                            ", which is not prepared (its type is not in node_types)");
        }
    }
    NodeShapes shapes;
    if (params.group == GroupMethod::ImageSize && !selected.empty()) {
        const auto* sched = dynamic_cast<const Scheduler*>(graph.executor().get());
        if (!sched)
            throw std::invalid_argument("fibnlr_prepare: group IMAGE_SIZE needs the input shapes: compile graph '" +
                                        graph.name() + "' first");
        shapes = compiledShapes(graph, *sched);
    }
    for (const NodePtr& n : selected) {
        std::int64_t g = 0;
        switch (params.group) {
        case GroupMethod::None: g = 0; break;
        case GroupMethod::ImageSize: g = imageSizeGroup(inputShape(shapes, *n, 0)); break;
        case GroupMethod::Manual: {
            auto it = params.groupAssignments.find(n->name());
            if (it != params.groupAssignments.end()) g = it->second;
            else if (const Group* old = tryGet<Group>(*n)) g = old->id;
            break;
        }
        }
        groups[n.get()] = g;
    }

    // Apply: drop the attributes and hooks of every previously prepared node,
    // then attach fresh ones to the selected nodes.
    graph.hooks().removeAll(kFIBNLRHookKey);
    for (const NodePtr& n : order) {
        n->annotations().erase(NPR::key);
        n->annotations().erase(NNPR::key);
        n->annotations().erase(ActivityTracker::key);
        n->annotations().erase(kMeasuringKey);
    }
    std::set<NodePtr> result;
    for (const NodePtr& n : selected) {
        add<NPR>(*n);
        add<NNPR>(*n);
        add<ActivityTracker>(*n);
        set<Group>(*n, Group{groups.at(n.get())});
        n->annotations().set<bool>(kMeasuringKey, false);
        installHook(graph, n);
        result.insert(n);
    }
    return result;
}

std::vector<double> fibnlrCompute(GraphView& graph, const BatchSource& source, const FIBNLRParameters& params) {
    GraphLock lock(graph.mutex());
    params.validate();
    if (!dynamic_cast<const Scheduler*>(graph.executor().get()))
        throw std::invalid_argument("fibnlr_compute: graph '" + graph.name() + "' is not compiled; call compile first");
    const std::vector<NodePtr> nodes = fibnlrPreparedNodes(graph);
    if (nodes.empty())
        throw std::invalid_argument("fibnlr_compute: no node of graph '" + graph.name() + "' is prepared" +
                                    nothingPreparedHint(graph, params));
    std::vector<Snapshot> saved;
    for (const NodePtr& n : nodes) {
        if (!has<ActivityTracker>(*n)) add<ActivityTracker>(*n);
        if (!has<NNPR>(*n)) add<NNPR>(*n);
        saved.push_back({n, get<NPR>(*n), get<ActivityTracker>(*n), get<NNPR>(*n)});
    }
    const std::size_t nbInputs = graph.inputs().size();
    std::vector<double> convergence;
    try {
        MeasuringGuard measuring(graph, nodes);
        std::vector<double> prevValue(nodes.size()), prevPos(nodes.size());
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            prevValue[i] = get<NPR>(*nodes[i]).value();
            prevPos[i] = get<NPR>(*nodes[i]).pos;
        }
        std::vector<Tensor> batch;
        while (params.maxIteration == 0 || convergence.size() < static_cast<std::size_t>(params.maxIteration)) {
            checkStop();  // e.g. Ctrl-C from Python: the catch below restores the attributes
            batch.clear();
            if (!source(batch)) break;
            const std::size_t k = convergence.size();
            if (batch.size() < nbInputs)
                throw std::invalid_argument("fibnlr_compute: batch " + std::to_string(k) + " has " +
                                            std::to_string(batch.size()) + " modalities, graph '" + graph.name() +
                                            "' takes " + std::to_string(nbInputs) + " inputs");
            batch.resize(nbInputs);
            try {
                forward(graph, batch);
            } catch (const std::invalid_argument& e) {
                throw std::invalid_argument("fibnlr_compute: batch " + std::to_string(k) + ": " + e.what());
            }
            double sum = 0.0;
            for (std::size_t i = 0; i < nodes.size(); ++i) {
                const NPR& npr = get<NPR>(*nodes[i]);
                const double v = npr.value();
                // Fix: a node dead so far (pos 0) would add ~1e23 and block convergence.
                if (k > 0 && npr.pos > 0.0 && prevPos[i] > 0.0) sum += (v - prevValue[i]) * (v - prevValue[i]);
                prevValue[i] = v;
                prevPos[i] = npr.pos;
            }
            convergence.push_back(k == 0 ? 0.0 : sum);
            if (k > 0 && sum < params.convergenceThreshold) break;
        }
        if (convergence.empty())
            throw std::invalid_argument("fibnlr_compute: the data yielded no batch (empty provider or iterable)");
        fibnlrComputeNNPR(graph, params);
    } catch (...) {
        for (const Snapshot& s : saved) {
            set<NPR>(*s.node, s.npr);
            set<ActivityTracker>(*s.node, s.tracker);
            set<NNPR>(*s.node, s.nnpr);
        }
        throw;
    }
    return convergence;
}

std::vector<double> fibnlrCompute(GraphView& graph, DataProvider& provider, const FIBNLRParameters& params) {
    GraphLock lock(graph.mutex());
    provider.resetEpoch();
    return fibnlrCompute(
        graph,
        [&provider](std::vector<Tensor>& batch) {
            if (provider.done()) return false;
            batch = provider.readBatch();
            return !batch.empty();
        },
        params);
}

std::map<NodePtr, double> fibnlrComputeNNPR(GraphView& graph, const FIBNLRParameters& params) {
    GraphLock lock(graph.mutex());
    params.validate();
    std::map<std::int64_t, std::vector<NodePtr>> groups;
    for (const NodePtr& n : fibnlrPreparedNodes(graph)) {
        const Group* g = tryGet<Group>(*n);
        groups[g ? g->id : 0].push_back(n);
    }
    const double eps = DBL_EPSILON;
    std::map<NodePtr, double> result;
    for (const auto& kv : groups) {
        const std::vector<NodePtr>& members = kv.second;
        std::vector<double> v;
        for (const NodePtr& n : members) v.push_back(get<NPR>(*n).value());
        std::vector<double> out(v.size());
        const auto norm = params.normalization;
        if (norm == NormalizationMethod::None) {
            out = v;
        } else if (members.size() == 1) {
            if (params.method == Method::Strict || norm == NormalizationMethod::MinMax) out[0] = 1.0;
            else out[0] = (v[0] + eps) / (1.0 + eps);
        } else {
            double sum = 0.0, lo = v[0], hi = v[0];
            for (double x : v) {
                sum += x;
                lo = std::min(lo, x);
                hi = std::max(hi, x);
            }
            for (std::size_t i = 0; i < v.size(); ++i) {
                switch (norm) {
                case NormalizationMethod::Sum: out[i] = (v[i] + eps) / (sum + eps); break;
                case NormalizationMethod::Average: out[i] = (v[i] + eps) / (sum / v.size() + eps); break;
                case NormalizationMethod::MinMax: out[i] = hi == lo ? 1.0 : (v[i] - lo) / (hi - lo); break;
                case NormalizationMethod::None: break;
                }
            }
        }
        for (std::size_t i = 0; i < members.size(); ++i) {
            set<NNPR>(*members[i], NNPR{out[i]});
            result[members[i]] = out[i];
        }
    }
    return result;
}

std::set<NodePtr> fibnlrPrune(GraphView& graph, const FIBNLRParameters& params) {
    GraphLock lock(graph.mutex());
    params.validate();
    // Candidates in topological order, grouped.
    std::map<std::int64_t, std::vector<std::pair<double, std::size_t>>> byGroup;
    std::vector<NodePtr> order;
    for (const NodePtr& n : graph.getNodes()) {
        const NNPR* nnpr = tryGet<NNPR>(*n);
        if (!nnpr || !has<NPR>(*n) || !isSelectedType(*n, params)) continue;
        if (!nnpr->computed() && params.ablationCriteria != AblationCriteria::None)
            throw std::invalid_argument("fibnlr_prune: " + describe(*n) +
                                        " has no computed NNPR (NaN); call fibnlr_compute (or fibnlr_compute_NNPR) "
                                        "before fibnlr_prune");
        const Group* g = tryGet<Group>(*n);
        byGroup[g ? g->id : 0].push_back({nnpr->value, order.size()});
        order.push_back(n);
    }
    std::vector<NodePtr> chosen;
    const double t = params.ablationThreshold;
    if (params.ablationCriteria == AblationCriteria::Threshold) {
        for (const auto& kv : byGroup)
            for (const auto& c : kv.second)
                if (c.first < t) chosen.push_back(order[c.second]);
    } else if (params.ablationCriteria == AblationCriteria::XLeastPerGroup) {
        for (auto& kv : byGroup) {
            std::vector<std::pair<double, std::size_t>> below;
            for (const auto& c : kv.second)
                if (c.first < t) below.push_back(c);
            std::stable_sort(below.begin(), below.end());
            const std::size_t x = std::min<std::size_t>(below.size(), static_cast<std::size_t>(params.ablationXLeast));
            for (std::size_t i = 0; i < x; ++i) chosen.push_back(order[below[i].second]);
        }
    }
    std::set<NodePtr> result(chosen.begin(), chosen.end());
    if (params.ablationMethod == AblationMethod::None || chosen.empty()) return result;

    // Check every node before changing anything.
    for (const NodePtr& n : chosen) {
        std::size_t data = 0;
        for (std::size_t i = 0; i < n->nbInputs(); ++i)
            if (n->input(i).node && !n->getOperator().isParamInput(i)) ++data;
        if (data != 1 || n->nbOutputs() != 1)
            throw std::invalid_argument("fibnlr_prune: " + describe(*n) + " has " + std::to_string(data) +
                                        " data inputs and " + std::to_string(n->nbOutputs()) +
                                        " outputs, expected 1 and 1");
    }
    for (const NodePtr& n : chosen) {
        if (params.ablationMethod == AblationMethod::Identity) {
            NodePtr id = Node::create(std::make_shared<IdentityOp>(), n->name());
            id->annotations() = n->annotations();
            id->annotations().erase(kMeasuringKey);
            graph.replace({n}, {id});
        } else {
            graph.replace({n}, {});
        }
    }
    return result;
}

namespace {
/// prepare + compute + prune; when any step fails, the annotations and hooks
/// of every node are put back as they were before prepare.
template <class Data> std::set<NodePtr> runAll(GraphView& graph, Data& data, const FIBNLRParameters& params) {
    GraphLock lock(graph.mutex());
    params.validate();
    std::vector<std::pair<NodePtr, Annotations>> saved;
    for (const NodePtr& n : graph.nodesUnordered()) saved.emplace_back(n, n->annotations());
    try {
        fibnlrPrepare(graph, params);
        fibnlrCompute(graph, data, params);
        return fibnlrPrune(graph, params);
    } catch (...) {
        graph.hooks().removeAll(kFIBNLRHookKey);
        for (auto& s : saved) {
            s.first->annotations() = s.second;
            if (graph.contains(s.first) && has<NPR>(*s.first)) installHook(graph, s.first);
        }
        throw;
    }
}
} // namespace

std::set<NodePtr> fibnlrRun(GraphView& graph, const BatchSource& source, const FIBNLRParameters& params) {
    return runAll(graph, source, params);
}

std::set<NodePtr> fibnlrRun(GraphView& graph, DataProvider& provider, const FIBNLRParameters& params) {
    return runAll(graph, provider, params);
}

std::set<std::int64_t> fibnlrFindGroups(const GraphView& graph) {
    GraphLock lock(graph.mutex());
    std::set<std::int64_t> ids;
    for (const NodePtr& n : graph.nodesUnordered())
        if (const Group* g = tryGet<Group>(*n)) ids.insert(g->id);
    return ids;
}

std::set<NodePtr> fibnlrFindNodeByGroup(const GraphView& graph, std::int64_t group) {
    GraphLock lock(graph.mutex());
    std::set<NodePtr> out;
    for (const NodePtr& n : graph.nodesUnordered())
        if (const Group* g = tryGet<Group>(*n); g && g->id == group) out.insert(n);
    return out;
}

} // namespace fibnlr
