#pragma once
// All-or-nothing rewrites: a snapshot of a graph taken before a rewrite and
// put back if the rewrite throws, so a failed recipe leaves the graph as it was.
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"
#include "fibnlr/operator/Attribute.hpp"

namespace fibnlr {

/// What restore() puts back, for the graph and for each node it held when
/// the snapshot was taken: the node list, inputs, outputs, hooks and
/// compiled executor; each node's name, operator object, links (both ways),
/// annotation entries (the same value objects: values changed in place stay
/// changed) and operator attributes; each Producer's tensor (the tensor
/// object, not data written into it in place). Nodes created by the rewrite
/// are simply dropped. The graph's version moves forward so compiled state
/// is rebuilt at the next forward.
class GraphSnapshot {
public:
    /// Copies the state (may throw std::bad_alloc; nothing is changed then).
    /// Hold the graph's lock from before the snapshot until after restore or the end of the rewrite.
    explicit GraphSnapshot(GraphView& graph);
    /// Puts the state back. Moves only, except operator attributes, which are
    /// set again only on operators whose revision changed.
    void restore() noexcept;

private:
    struct NodeState {
        NodePtr node;
        std::string name;
        OperatorPtr op;
        std::size_t opRevision = 0;
        AttrList attributes;
        bool producer = false;
        Tensor producerValue;
        std::vector<Port> parents;
        std::vector<std::vector<std::pair<std::weak_ptr<Node>, std::size_t>>> children;
        std::vector<std::pair<std::string, Annotations::Entry>> annotations;
    };
    GraphView& mGraph;
    std::vector<NodePtr> mNodes;
    std::unordered_map<const Node*, std::size_t> mIndex;
    std::size_t mNextKey = 0;
    std::vector<NodePtr> mInputs;
    std::vector<Port> mOutputs;
    std::size_t mVersion = 0;
    std::shared_ptr<Executor> mExecutor;
    Hooks mHooks;
    std::vector<NodeState> mStates;
};

} // namespace fibnlr
