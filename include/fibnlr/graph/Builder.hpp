#pragma once
#include <map>
#include <string>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"

namespace fibnlr {

/// A new Producer node holding `value`.
NodePtr makeProducer(Tensor value, const std::string& name);

/// Adds a graph input placeholder named `name` and appends it to the graph's inputs.
NodePtr addInput(GraphView& graph, const std::string& name);

/// Creates a node of `type` (from the operator list) named `name` with
/// `attrs`, adds it to `graph` and wires it: every input named in `params`
/// (by its input spec name, e.g. "W", "B") gets a Producer named
/// "<name>_<spec>"; the remaining required inputs take `inputs` in order.
/// Variadic operators get as many inputs as `inputs` has.
NodePtr addNode(GraphView& graph, const std::string& type, const std::string& name, const std::vector<Port>& inputs,
                const std::map<std::string, Tensor>& params = {}, const AttrList& attrs = {});

/// Output 0 of `node`, for chaining addNode calls.
inline Port out(const NodePtr& node, std::size_t index = 0) { return Port{node, index}; }

} // namespace fibnlr
