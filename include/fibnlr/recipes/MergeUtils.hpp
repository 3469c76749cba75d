#pragma once
// Small graph queries shared by the depth-merging recipes (fold_batchnorm,
// remove_identity, merge_convolutions, fold_residual, simplify).
#include <string>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"
#include "fibnlr/graph/ShapeInference.hpp"

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

/// The shapes the merge recipes count MACs and time candidates with
/// (graph/ShapeInference.hpp, unconnected inputs allowed): at `inputDims` when
/// given, and then std::invalid_argument "input dims do not fit graph '<name>':
/// <why>" when they do not; else at the dims the graph was compiled with, when
/// it is compiled and they still fit it (a recipe may have changed it since);
/// else empty: shapes unknown.
NodeShapes knownShapes(const GraphView& graph, const std::vector<Shape>& inputDims);

/// The dims `graph` was compiled with, when it is compiled and they still fit
/// it; else empty.
std::vector<Shape> compiledDims(const GraphView& graph);

} // namespace fibnlr
