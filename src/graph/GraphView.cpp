#include "fibnlr/graph/GraphView.hpp"

#include <algorithm>
#include <map>
#include <queue>
#include <stdexcept>
#include <unordered_set>

namespace fibnlr {

namespace {
bool isProducer(const NodePtr& n) { return n && n->type() == "Producer"; }
} // namespace

void GraphView::refreshNameIndex() {
    if (nameIndexFresh()) return;
    mByNameAt = Node::renameCount();
    mByNameStale = false;
    mByName.clear();
    mNameClash = false;
    for (const NodePtr& n : mNodes) mNameClash = !mByName.emplace(n->name(), n.get()).second || mNameClash;
}

void GraphView::addOne(const NodePtr& node) {
    if (contains(node)) return;
    refreshNameIndex();
    NodePtr same = getNode(node->name());
    if (same)
        throw std::invalid_argument("GraphView '" + mName + "': a node named '" + node->name() +
                                    "' already exists (" + same->type() + "); node names must be unique");
    mIndex[node.get()] = mNextKey++;
    mNodes.push_back(node);
    mByName.emplace(node->name(), node.get());
}

void GraphView::add(const NodePtr& node) {
    if (!node) throw std::invalid_argument("GraphView::add: null node");
    refreshNameIndex();
    for (std::size_t i = 0; i < node->nbInputs(); ++i) {
        NodePtr p = node->producer(i);
        if (p && !contains(p) && getNode(p->name()))
            throw std::invalid_argument("GraphView '" + mName + "': parameter producer name '" + p->name() +
                                        "' of " + describe(*node) + " is already used");
    }
    addOne(node);
    for (std::size_t i = 0; i < node->nbInputs(); ++i)
        if (NodePtr p = node->producer(i)) addOne(p);
    ++mVersion;
}

void GraphView::removeOne(const NodePtr& node) {
    for (std::size_t i = 0; i < node->nbInputs(); ++i) node->unlinkInput(i);
    for (std::size_t o = 0; o < node->nbOutputs(); ++o)
        for (const Port& c : node->outputConsumers(o)) c.node->unlinkInput(c.index);
    mHooks.remove(node.get());
    mIndex.erase(node.get());
    if (!nameIndexFresh()) {
        mByName.clear();  // rebuilt before its next use; holds no removed node meanwhile
    } else if (auto it = mByName.find(node->name()); it != mByName.end() && it->second == node.get()) {
        mByName.erase(it);
        mByNameStale = mNameClash;  // another node may carry the same name: rebuild before the next use
    }
    mNodes.erase(std::find(mNodes.begin(), mNodes.end(), node));
    mInputs.erase(std::remove(mInputs.begin(), mInputs.end(), node), mInputs.end());
    mOutputs.erase(std::remove_if(mOutputs.begin(), mOutputs.end(), [&](const Port& p) { return p.node == node; }),
                   mOutputs.end());
}

void GraphView::remove(const NodePtr& node) {
    if (!contains(node)) throw std::invalid_argument("GraphView::remove: " + describe(*node) + " is not in the graph");
    std::vector<NodePtr> producers;
    for (std::size_t i = 0; i < node->nbInputs(); ++i)
        if (NodePtr p = node->producer(i); p && contains(p)) producers.push_back(p);
    removeOne(node);
    for (const NodePtr& p : producers)
        if (contains(p) && p->getChildren().empty()) removeOne(p);
    ++mVersion;
}

std::vector<NodePtr> GraphView::getNodes() const {
    // Kahn's algorithm; ties broken by insertion key so the order is stable.
    std::unordered_map<const Node*, std::size_t> pending;
    using Item = std::pair<std::size_t, Node*>;
    std::priority_queue<Item, std::vector<Item>, std::greater<Item>> ready;
    std::unordered_map<const Node*, NodePtr> byPtr;
    for (const NodePtr& n : mNodes) {
        byPtr[n.get()] = n;
        std::size_t count = 0;
        for (const NodePtr& p : n->getParents())
            if (p && contains(p)) ++count;
        pending[n.get()] = count;
        if (count == 0) ready.push({mIndex.at(n.get()), n.get()});
    }
    std::vector<NodePtr> order;
    order.reserve(mNodes.size());
    while (!ready.empty()) {
        Node* n = ready.top().second;
        ready.pop();
        order.push_back(byPtr[n]);
        for (std::size_t o = 0; o < n->nbOutputs(); ++o)
            for (const Port& c : n->outputConsumers(o))
                if (contains(c.node) && --pending[c.node.get()] == 0)
                    ready.push({mIndex.at(c.node.get()), c.node.get()});
    }
    if (order.size() != mNodes.size()) {
        std::string names;
        for (const NodePtr& n : mNodes)
            if (pending[n.get()] > 0) names += (names.empty() ? "'" : ", '") + n->name() + "'";
        throw std::invalid_argument("GraphView '" + mName + "' has a cycle through the nodes " + names);
    }
    return order;
}

NodePtr GraphView::getNode(const std::string& name) const {
    if (nameIndexFresh()) {
        auto it = mByName.find(name);
        return it == mByName.end() ? nullptr : it->second->shared_from_this();
    }
    for (const NodePtr& n : mNodes)
        if (n->name() == name) return n;
    return nullptr;
}

std::vector<NodePtr> GraphView::getNodesByType(const std::string& type) const {
    std::vector<NodePtr> out;
    for (const NodePtr& n : getNodes())
        if (n->type() == type) out.push_back(n);
    return out;
}

void GraphView::setInputs(std::vector<NodePtr> inputs) {
    for (const NodePtr& n : inputs)
        if (!n || n->type() != "Input" || !contains(n))
            throw std::invalid_argument("GraphView::setInputs: every input must be an Input node of the graph, got " +
                                        (n ? describe(*n) : std::string("null")));
    mInputs = std::move(inputs);
    ++mVersion;
}

void GraphView::setOutputs(std::vector<Port> outputs) {
    for (const Port& p : outputs)
        if (!p.node || !contains(p.node) || p.index >= p.node->nbOutputs())
            throw std::invalid_argument("GraphView::setOutputs: output " +
                                        (p.node ? describe(*p.node) : std::string("null")) + " index " +
                                        std::to_string(p.index) + " is not an output of a node of the graph");
    mOutputs = std::move(outputs);
    ++mVersion;
}

void GraphView::replace(const std::vector<NodePtr>& oldNodes, const std::vector<NodePtr>& newNodes) {
    std::unordered_set<const Node*> oldSet, newSet;
    for (const NodePtr& n : oldNodes) {
        if (!n || !contains(n))
            throw std::invalid_argument("replace: " + (n ? describe(*n) : std::string("null node")) +
                                        " is not in graph '" + mName + "'");
        if (n->type() == "Input") throw std::invalid_argument("replace: cannot replace graph input " + describe(*n));
        oldSet.insert(n.get());
    }
    for (const NodePtr& n : newNodes) {
        if (!n) throw std::invalid_argument("replace: null new node");
        if (contains(n) && !oldSet.count(n.get()))
            throw std::invalid_argument("replace: new " + describe(*n) + " is already in graph '" + mName + "'");
        newSet.insert(n.get());
    }
    auto isOld = [&](const NodePtr& n) { return n && oldSet.count(n.get()); };
    auto isNew = [&](const NodePtr& n) { return n && newSet.count(n.get()); };

    // Order the old nodes topologically (the graph order restricted to them).
    std::vector<NodePtr> oldOrdered;
    for (const NodePtr& n : getNodes())
        if (isOld(n)) oldOrdered.push_back(n);

    std::vector<Port> sources;  // distinct external sources of old data inputs
    for (const NodePtr& n : oldOrdered)
        for (std::size_t i = 0; i < n->nbInputs(); ++i) {
            const Port& p = n->input(i);
            if (!p.node || isOld(p.node) || isProducer(p.node)) continue;
            if (std::find(sources.begin(), sources.end(), p) == sources.end()) sources.push_back(p);
        }
    std::vector<Port> oldOutputs;  // old outputs used outside the old span
    for (const NodePtr& n : oldOrdered)
        for (std::size_t o = 0; o < n->nbOutputs(); ++o) {
            bool used = std::any_of(mOutputs.begin(), mOutputs.end(),
                                    [&](const Port& p) { return p.node == n && p.index == o; });
            for (const Port& c : n->outputConsumers(o)) used = used || (contains(c.node) && !isOld(c.node));
            if (used) oldOutputs.push_back({n, o});
        }

    std::vector<Port> freeInputs, newOutputs;
    for (const NodePtr& n : newNodes) {
        for (std::size_t i = 0; i < n->nbInputs(); ++i)
            if (!n->getOperator().isParamInput(i) && !n->input(i).node) freeInputs.push_back({n, i});
        for (std::size_t o = 0; o < n->nbOutputs(); ++o) {
            auto consumers = n->outputConsumers(o);
            if (std::none_of(consumers.begin(), consumers.end(), [&](const Port& c) { return isNew(c.node); }))
                newOutputs.push_back({n, o});
        }
    }

    const std::string span = oldNodes.empty() ? std::string("(nothing)") : describe(*oldNodes.front());
    if (newNodes.empty()) {
        if (sources.size() != 1 || oldOutputs.size() > 1)
            throw std::invalid_argument("replace: removing the span starting at " + span +
                                        " needs exactly one input source and one used output, got " +
                                        std::to_string(sources.size()) + " and " + std::to_string(oldOutputs.size()));
    } else {
        if (freeInputs.size() != sources.size() && !(sources.size() == 1 && !freeInputs.empty()))
            throw std::invalid_argument("replace: the span starting at " + span + " has " +
                                        std::to_string(sources.size()) + " input sources but the new nodes have " +
                                        std::to_string(freeInputs.size()) + " unconnected data inputs");
        if (newOutputs.size() != oldOutputs.size())
            throw std::invalid_argument("replace: the span starting at " + span + " has " +
                                        std::to_string(oldOutputs.size()) + " used outputs but the new nodes have " +
                                        std::to_string(newOutputs.size()));
    }
    // Names: new nodes (and their producers) must not clash with survivors.
    {
        std::unordered_set<std::string> taken;
        for (const NodePtr& n : mNodes)
            if (!isOld(n)) taken.insert(n->name());
        for (const NodePtr& n : newNodes) {
            std::vector<NodePtr> toAdd{n};
            for (std::size_t i = 0; i < n->nbInputs(); ++i)
                if (NodePtr p = n->producer(i); p && !contains(p)) toAdd.push_back(p);
            for (const NodePtr& m : toAdd)
                if (!taken.insert(m->name()).second && !contains(m))
                    throw std::invalid_argument("replace: new node name '" + m->name() + "' is already used in graph '" +
                                                mName + "'");
        }
    }

    // All checks passed: rewire.
    std::vector<std::vector<Port>> outsideConsumers;
    for (const Port& o : oldOutputs) {
        std::vector<Port> cs;
        for (const Port& c : o.node->outputConsumers(o.index))
            if (contains(c.node) && !isOld(c.node)) cs.push_back(c);
        outsideConsumers.push_back(cs);
    }
    for (std::size_t k = 0; k < oldOutputs.size(); ++k) {
        Port target = newNodes.empty() ? sources.front() : newOutputs[k];
        for (const Port& c : outsideConsumers[k]) Node::link(target.node, target.index, c.node, c.index);
        for (Port& g : mOutputs)
            if (g == oldOutputs[k]) g = target;
    }
    for (std::size_t k = 0; k < freeInputs.size(); ++k) {
        const Port& s = sources.size() == 1 ? sources.front() : sources[k];
        Node::link(s.node, s.index, freeInputs[k].node, freeInputs[k].index);
    }
    std::vector<NodePtr> producers;
    for (const NodePtr& n : oldOrdered)
        for (std::size_t i = 0; i < n->nbInputs(); ++i)
            if (NodePtr p = n->producer(i); p && contains(p) && !isOld(p)) producers.push_back(p);
    for (const NodePtr& n : oldOrdered)
        if (!isNew(n)) removeOne(n);
    for (const NodePtr& p : producers)
        if (contains(p) && p->getChildren().empty()) removeOne(p);
    for (const NodePtr& n : newNodes) {
        addOne(n);
        for (std::size_t i = 0; i < n->nbInputs(); ++i)
            if (NodePtr p = n->producer(i)) addOne(p);
    }
    ++mVersion;
}

std::shared_ptr<GraphView> GraphView::clone() const {
    auto g = std::make_shared<GraphView>(mName);
    std::unordered_map<const Node*, NodePtr> copy;
    for (const NodePtr& n : mNodes) copy[n.get()] = Node::create(n->getOperator().deepClone(), n->name());
    for (const NodePtr& n : mNodes) {
        copy[n.get()]->annotations() = n->annotations();
        for (std::size_t i = 0; i < n->nbInputs(); ++i) {
            const Port& p = n->input(i);
            if (p.node && contains(p.node)) Node::link(copy[p.node.get()], p.index, copy[n.get()], i);
        }
    }
    for (const NodePtr& n : mNodes) g->addOne(copy[n.get()]);
    for (const NodePtr& n : mInputs) g->mInputs.push_back(copy[n.get()]);
    for (const Port& p : mOutputs) g->mOutputs.push_back({copy[p.node.get()], p.index});
    return g;
}

std::string GraphView::uniqueName(const std::string& base) const {
    if (!getNode(base)) return base;
    for (std::size_t k = 1;; ++k) {
        std::string candidate = base + "_" + std::to_string(k);
        if (!getNode(candidate)) return candidate;
    }
}

} // namespace fibnlr
