#pragma once
// FIBNLR: measure, select and prune the non-linearities of a CNN
// (the upstream recipe's semantics, defects fixed). prepare() attaches attributes and measuring hooks,
// compute() runs calibration batches and accumulates NPR, computeNNPR()
// normalises within groups, prune() replaces or removes the selected nodes.
#include <functional>
#include <map>
#include <set>
#include <vector>

#include "fibnlr/data/DataProvider.hpp"
#include "fibnlr/graph/GraphView.hpp"
#include "fibnlr/recipes/ConvHelpers.hpp"
#include "fibnlr/recipes/FIBNLRAttributes.hpp"
#include "fibnlr/recipes/FIBNLRParameters.hpp"

namespace fibnlr {

/// The key of the measuring hooks in GraphView::hooks().
constexpr const char* kFIBNLRHookKey = "fibnlr.measure";

/// Supplies calibration batches: fills `batch` (one tensor per modality, the
/// first is the model input) and returns true, or returns false when the data
/// is exhausted.
using BatchSource = std::function<bool(std::vector<Tensor>& batch)>;

/// Every function here holds the graph's lock (GraphView::mutex) for its
/// whole call. compute checks the stop check (scheduler/Cancellation.hpp)
/// between batches; when it throws, compute restores the attributes.
///
/// Selects the nodes whose type is in params.nodeTypes, attaches NPR{0,0},
/// NNPR{NaN} (not computed yet), ActivityTracker{} and Group, and installs one measuring hook per
/// node, inactive until compute runs (keyed: calling prepare again resets the attributes and does not add
/// hooks; nodes no longer selected lose their attributes and hook, keep their
/// Group). Groups: None → 0; ImageSize → H·W of the node's input (1 for a
/// 2-D input; needs the graph compiled); Manual → params.groupAssignments,
/// unlisted nodes keep their Group or get 0. Throws std::invalid_argument for
/// invalid parameters, a Manual name that is not a node of the graph or not a
/// selected node, or ImageSize on a graph never compiled; the graph is then unchanged.
std::set<NodePtr> fibnlrPrepare(GraphView& graph, const FIBNLRParameters& params = {});

/// Runs one batch per iteration through the compiled graph, the hooks
/// accumulating NPR (finite values only; non-finite ones are counted in
/// NPR::nonFinite) and ActivityTracker on every prepared node. After each
/// batch the convergence value Σ (value_k − value_{k−1})² over prepared
/// nodes is appended (the first is 0.0; a node whose pos was 0 before or
/// after the batch, i.e. dead so far, is left out). Stops when a value after
/// the first is < convergenceThreshold, after maxIteration batches (0 = no
/// limit) or when the data runs out. Hooks measure only during compute:
/// compute (re)installs them and removes them when it returns.
/// A second call continues accumulating. At the end NNPR is computed
/// (computeNNPR with params). Returns the convergence values.
/// Throws std::invalid_argument (graph left as it was: attributes restored)
/// for invalid parameters, a graph never compiled, no prepared node
/// ("compute before prepare"), a source that yields no batch, or a batch
/// the compiled graph rejects (its shape).
std::vector<double> fibnlrCompute(GraphView& graph, const BatchSource& source, const FIBNLRParameters& params = {});
/// The same over a DataProvider: starts a new epoch of it (a provider never
/// iterated before is fine) and reads it until one of the stop conditions.
std::vector<double> fibnlrCompute(GraphView& graph, DataProvider& provider, const FIBNLRParameters& params = {});

/// NNPR per prepared node, by group, v = NPR.value(): None → v; Sum →
/// (v+ε)/(Σv+ε); Average → (v+ε)/(mean+ε); MinMax → (v−min)/(max−min),
/// 1.0 for all when every value is equal. A group of one node (other than
/// None): Strict → 1.0; Loose → (v+ε)/(1+ε) for Sum and Average, 1.0 for
/// MinMax. Stores NNPR on each node. Empty when nothing is prepared.
std::map<NodePtr, double> fibnlrComputeNNPR(GraphView& graph, const FIBNLRParameters& params = {});

/// Prunes by the stored NNPR the prepared nodes of the graph whose type is in
/// params.nodeTypes. Threshold: NNPR < threshold; XLeastPerGroup: in each
/// group the X lowest that are below the threshold; None: nothing. Throws
/// std::invalid_argument naming the node, graph unchanged, when a candidate's
/// NNPR is NaN (not computed: prune before compute) and the criteria is not None. Identity: replaced by an Identity node of the same name
/// (keeping the attributes); Remove: deleted and its consumers fed by its
/// input; None: graph unchanged. Returns the selected nodes (the original
/// node objects, which keep their attributes).
std::set<NodePtr> fibnlrPrune(GraphView& graph, const FIBNLRParameters& params = {});

/// prepare + compute + prune (upstream `fibnlr`; Python `fibnlr` and `run`).
/// Returns the pruned nodes. On failure every node's attributes and hooks are
/// put back as they were.
std::set<NodePtr> fibnlrRun(GraphView& graph, DataProvider& provider, const FIBNLRParameters& params = {});
std::set<NodePtr> fibnlrRun(GraphView& graph, const BatchSource& source, const FIBNLRParameters& params = {});

/// The Group ids present on nodes of the graph.
std::set<std::int64_t> fibnlrFindGroups(const GraphView& graph);
/// The nodes of the graph whose Group id is `group`.
std::set<NodePtr> fibnlrFindNodeByGroup(const GraphView& graph, std::int64_t group);

/// Nodes of the graph carrying FIBNLR attributes, in topological order.
std::vector<NodePtr> fibnlrPreparedNodes(const GraphView& graph);

} // namespace fibnlr
