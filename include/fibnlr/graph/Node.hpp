#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "fibnlr/graph/Annotations.hpp"
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

class Node;
using NodePtr = std::shared_ptr<Node>;

/// One end of a link: a node and one of its output (or input) indices.
struct Port {
    NodePtr node;
    std::size_t index = 0;
    bool operator==(const Port& o) const { return node == o.node && index == o.index; }
    bool operator!=(const Port& o) const { return !(*this == o); }
};

/// A node holds one operator and its links. Parents are held strongly and
/// children weakly, so a graph owns its nodes and nodes never form an
/// ownership cycle.
class Node : public std::enable_shared_from_this<Node> {
public:
    static NodePtr create(OperatorPtr op, std::string name);
    /// Releases the parents iteratively: each node holds its parents, so dropping the
    /// last reference to the end of a long chain would otherwise recurse once per node
    /// and overflow the stack.
    ~Node();

    const std::string& name() const { return mName; }
    void setName(std::string name);
    /// Number of setName calls on any node so far: graphs index their nodes by
    /// name and rebuild that index when this changed.
    static std::size_t renameCount();
    std::string type() const { return mOperator->type(); }
    Operator& getOperator() const { return *mOperator; }
    const OperatorPtr& getOperatorPtr() const { return mOperator; }
    /// Swaps in another operator with the same number of inputs and outputs.
    void setOperator(OperatorPtr op);

    std::size_t nbInputs() const { return mParents.size(); }
    std::size_t nbOutputs() const { return mChildren.size(); }

    /// What feeds input `i`; node is null when unconnected.
    const Port& input(std::size_t i) const { return mParents.at(i); }
    NodePtr getParent(std::size_t i) const { return mParents.at(i).node; }
    /// Parents in input order (null for unconnected inputs).
    std::vector<NodePtr> getParents() const;
    /// The consumers of output `i` as (child, input index).
    std::vector<Port> outputConsumers(std::size_t i) const;
    /// Distinct children over all outputs, in link order.
    std::vector<NodePtr> getChildren() const;

    /// The Producer feeding input `i` (a parameter, or a constant operand of
    /// an element-wise op), or null.
    NodePtr producer(std::size_t i) const;

    Annotations& annotations() { return mAnnotations; }
    const Annotations& annotations() const { return mAnnotations; }

    /// Links output `outIdx` of `parent` to input `inIdx` of `child`,
    /// replacing whatever fed that input before.
    static void link(const NodePtr& parent, std::size_t outIdx, const NodePtr& child, std::size_t inIdx);
    /// Disconnects input `i` (no-op when unconnected).
    void unlinkInput(std::size_t i);

private:
    friend class GraphSnapshot;
    Node(OperatorPtr op, std::string name);
    void pruneExpiredChildren();

    std::string mName;
    OperatorPtr mOperator;
    std::vector<Port> mParents;
    std::vector<std::vector<std::pair<std::weak_ptr<Node>, std::size_t>>> mChildren;
    Annotations mAnnotations;
};

/// "node 'name' (Type)" for error messages.
std::string describe(const Node& node);

} // namespace fibnlr
