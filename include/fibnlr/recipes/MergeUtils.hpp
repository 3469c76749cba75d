#pragma once
// Small graph queries shared by the depth-merging recipes (fold_batchnorm,
// remove_identity, merge_convolutions, fold_residual, simplify).
#include <map>
#include <string>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"

namespace fibnlr {

/// The Producers feeding `node` that feed nothing else in `graph`.
std::vector<NodePtr> privateProducers(const GraphView& graph, const NodePtr& node);

/// The single consumer (node, input index) of output 0 of `node`, or a null
/// node when it has none, several, or is a graph output.
Port soleConsumer(const GraphView& graph, const NodePtr& node);
/// Number of consumers of output 0 of `node` in `graph`, counting a graph output as one.
std::size_t nbUses(const GraphView& graph, const NodePtr& node);

/// `base` when no node outside `leaving` uses it, else graph.uniqueName(base).
std::string freeName(const GraphView& graph, const std::string& base, const std::vector<NodePtr>& leaving);

/// Copies the ONNX output names (export keeps the value names) from `from` to `to`.
void inheritOutputNames(const NodePtr& to, const Node& from);

/// Output shapes of every node for the given input dims (one per graph
/// input), by running each operator's shape rule; empty map when the dims do
/// not fit the graph (then `error`, when given, says why).
std::map<const Node*, std::vector<Shape>> inferGraphShapes(const GraphView& graph, const std::vector<Shape>& inputDims,
                                                           std::string* error = nullptr);

/// inferGraphShapes for dims given by the user: throws std::invalid_argument when they do not fit.
std::map<const Node*, std::vector<Shape>> requireGraphShapes(const GraphView& graph, const std::vector<Shape>& inputDims);

} // namespace fibnlr
