#include "fibnlr/graph/Node.hpp"

#include <algorithm>
#include <atomic>
#include <stdexcept>

namespace fibnlr {

namespace {
std::atomic<std::size_t> gRenames{0};
} // namespace

void Node::setName(std::string name) {
    mName = std::move(name);
    gRenames.fetch_add(1, std::memory_order_relaxed);
}

std::size_t Node::renameCount() { return gRenames.load(std::memory_order_relaxed); }

Node::Node(OperatorPtr op, std::string name)
    : mName(std::move(name)), mOperator(std::move(op)), mParents(mOperator->nbInputs()),
      mChildren(mOperator->nbOutputs()) {}

Node::~Node() {
    std::vector<NodePtr> pending;
    for (Port& p : mParents)
        if (p.node) pending.push_back(std::move(p.node));
    while (!pending.empty()) {
        NodePtr n = std::move(pending.back());
        pending.pop_back();
        // Sole owner: n dies at the end of this iteration, so take its parents first
        // (its own destructor then finds none and does not recurse).
        if (n.use_count() == 1)
            for (Port& p : n->mParents)
                if (p.node) pending.push_back(std::move(p.node));
    }
}

NodePtr Node::create(OperatorPtr op, std::string name) {
    if (!op) throw std::invalid_argument("Node::create: node '" + name + "' has no operator");
    return NodePtr(new Node(std::move(op), std::move(name)));
}

void Node::setOperator(OperatorPtr op) {
    if (!op || op->nbInputs() != nbInputs() || op->nbOutputs() != nbOutputs())
        throw std::invalid_argument("setOperator: " + describe(*this) + " expects an operator with " +
                                    std::to_string(nbInputs()) + " inputs and " + std::to_string(nbOutputs()) +
                                    " outputs");
    mOperator = std::move(op);
}

std::vector<NodePtr> Node::getParents() const {
    std::vector<NodePtr> out;
    for (const auto& p : mParents) out.push_back(p.node);
    return out;
}

std::vector<Port> Node::outputConsumers(std::size_t i) const {
    std::vector<Port> out;
    for (const auto& c : mChildren.at(i))
        if (auto n = c.first.lock()) out.push_back({n, c.second});
    return out;
}

std::vector<NodePtr> Node::getChildren() const {
    std::vector<NodePtr> out;
    for (std::size_t i = 0; i < mChildren.size(); ++i)
        for (const auto& c : outputConsumers(i))
            if (std::find(out.begin(), out.end(), c.node) == out.end()) out.push_back(c.node);
    return out;
}

NodePtr Node::producer(std::size_t i) const {
    const NodePtr& p = mParents.at(i).node;
    return p && p->type() == "Producer" ? p : nullptr;
}

void Node::link(const NodePtr& parent, std::size_t outIdx, const NodePtr& child, std::size_t inIdx) {
    if (!parent || !child) throw std::invalid_argument("Node::link: null node");
    if (outIdx >= parent->nbOutputs())
        throw std::invalid_argument("Node::link: " + describe(*parent) + " has no output " + std::to_string(outIdx));
    if (inIdx >= child->nbInputs())
        throw std::invalid_argument("Node::link: " + describe(*child) + " has no input " + std::to_string(inIdx));
    child->unlinkInput(inIdx);
    child->mParents[inIdx] = {parent, outIdx};
    parent->mChildren[outIdx].emplace_back(child, inIdx);
}

void Node::unlinkInput(std::size_t i) {
    Port& p = mParents.at(i);
    if (!p.node) return;
    auto& kids = p.node->mChildren[p.index];
    Node* self = this;
    kids.erase(std::remove_if(kids.begin(), kids.end(),
                              [&](const auto& c) {
                                  auto n = c.first.lock();
                                  return !n || (n.get() == self && c.second == i);
                              }),
               kids.end());
    p = Port{};
}

std::string describe(const Node& node) { return "node '" + node.name() + "' (" + node.type() + ")"; }

} // namespace fibnlr
