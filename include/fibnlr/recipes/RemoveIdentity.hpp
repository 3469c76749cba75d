#pragma once
#include <string>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"

namespace fibnlr {

/// Removes every node of the given types (by default Identity and inference
/// Dropout) and reconnects its consumers, and the graph outputs it fed, to
/// the value that fed it. A node whose data input is unconnected or a
/// constant is left alone. Returns the names of the removed nodes, in topological order.
std::vector<std::string> removeIdentity(GraphView& graph,
                                        const std::vector<std::string>& types = {"Identity", "Dropout"});

} // namespace fibnlr
