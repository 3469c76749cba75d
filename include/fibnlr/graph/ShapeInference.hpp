#pragma once
// Output shapes of every node of a graph from its input dims: the one graph
// walk behind compile (scheduler/), fibnlr_prepare's IMAGE_SIZE groups and
// the merge recipes' MAC counts (recipes/). Only the operators' shape rules
// are used here; what a caller needs beyond shapes (float32 values, memory
// limits) it checks through the hooks of ShapeInferenceOptions.
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"

namespace fibnlr {

/// Output shapes per node (one Shape per output), for graph inputs,
/// Producers and operator nodes alike.
using NodeShapes = std::unordered_map<const Node*, std::vector<Shape>>;

struct ShapeInferenceOptions {
    /// Prefix of every error message ("compile" gives "compile: ..."); empty: none.
    std::string context;
    /// An input is "unconnected" when it has no node, its node is not in the
    /// graph, or its node is an Input that is not one of the graph's inputs
    /// (no value will ever be given for it).
    /// true (compile): an unconnected input is an error, except an optional
    ///   parameter (OptionalParam), which gets the empty shape;
    /// false (recipes that only want shapes where they can be known): every
    ///   unconnected input gets the empty shape and the operator's rule
    ///   decides whether it can do without it.
    bool requireConnected = true;
    /// Called for each connected input `input` of `node` (fed by `from`)
    /// before `node`'s shape rule runs; throws to refuse it.
    std::function<void(const Node& node, std::size_t input, const Port& from)> checkInput;
    /// Called with each node's output shapes as soon as they are known, in
    /// topological order (so before any consumer is visited); throws to refuse them.
    std::function<void(const Node& node, const std::vector<Shape>& outputs)> checkOutputs;
};

/// The output shapes of every node of `graph` when its inputs have
/// `inputDims` (one per graph input, in order): graph inputs get their dims,
/// Producers the dims of their tensor, every other node the result of its
/// operator's shape rule on its input shapes, in topological order.
///
/// Throws std::invalid_argument, prefixed by options.context, when the
/// number of dims differs from the number of graph inputs, for an
/// unconnected input (see ShapeInferenceOptions::requireConnected), when an
/// input reads an output its node does not have, and when a shape rule fails:
/// "<node> with input shapes [..], [..]: <the rule's message>". The graph's
/// own errors (a cycle, from getNodes) propagate unchanged, as do exceptions
/// other than std::invalid_argument from a shape rule.
NodeShapes inferShapes(const GraphView& graph, const std::vector<Shape>& inputDims,
                       const ShapeInferenceOptions& options = {});

/// The shape of input `i` of `node` in `shapes`: the shape of the output it
/// reads, or the empty shape when that is unknown (no input `i`,
/// unconnected, or its node is not in `shapes`).
Shape inputShape(const NodeShapes& shapes, const Node& node, std::size_t i);

} // namespace fibnlr
