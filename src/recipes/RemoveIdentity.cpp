#include "fibnlr/recipes/RemoveIdentity.hpp"

#include <algorithm>

namespace fibnlr {

std::vector<std::string> removeIdentity(GraphView& graph, const std::vector<std::string>& types) {
    std::vector<std::string> removed;
    for (const NodePtr& n : graph.getNodes()) {
        if (std::find(types.begin(), types.end(), n->type()) == types.end()) continue;
        if (n->nbInputs() < 1 || !n->input(0).node || n->producer(0) || n->nbOutputs() != 1) continue;
        graph.replace({n}, {});  // one source, at most one used output: always valid here
        removed.push_back(n->name());
    }
    return removed;
}

} // namespace fibnlr
