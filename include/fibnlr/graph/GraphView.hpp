#pragma once
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "fibnlr/graph/Hooks.hpp"
#include "fibnlr/graph/Node.hpp"

namespace fibnlr {

/// Compiled state that a scheduler attaches to a graph (the graph layer only
/// keeps it alive; scheduler/ defines what it is).
class Executor {
public:
    virtual ~Executor() = default;
    /// Adds to `counts` the owning references (NodePtr) it holds per node, so
    /// a language binding can tell whether a graph is the only owner of its
    /// nodes (garbage-collector support for annotations that refer back to it).
    virtual void countNodeReferences(std::unordered_map<const Node*, std::size_t>& counts) const { (void)counts; }
};

/// A set of nodes with ordered inputs and outputs.
///
/// Graph inputs are nodes of type "Input" (no inputs, one output) so that an
/// input feeding several consumers is still one input. Parameters are
/// "Producer" nodes and belong to the graph like any other node. Node names
/// are unique within a graph.
class GraphView {
public:
    explicit GraphView(std::string name = "graph") : mName(std::move(name)) {}

    const std::string& name() const { return mName; }

    /// Adds `node` and the Producers feeding its parameter inputs. Throws when
    /// another node already has the same name.
    void add(const NodePtr& node);
    /// Removes `node`, unlinks it from parents and children, and removes the
    /// Producers that fed only it. Graph outputs that were its outputs are dropped.
    void remove(const NodePtr& node);
    bool contains(const NodePtr& node) const { return mIndex.count(node.get()) != 0; }
    std::size_t size() const { return mNodes.size(); }

    /// All nodes in a topological order, stable with respect to insertion
    /// order. Throws std::invalid_argument naming the nodes of a cycle.
    std::vector<NodePtr> getNodes() const;
    /// Nodes in insertion order, without sorting (cannot fail).
    const std::vector<NodePtr>& nodesUnordered() const { return mNodes; }
    /// nullptr when no node has that name.
    NodePtr getNode(const std::string& name) const;
    std::vector<NodePtr> getNodesByType(const std::string& type) const;

    const std::vector<NodePtr>& inputs() const { return mInputs; }
    const std::vector<Port>& outputs() const { return mOutputs; }
    void setInputs(std::vector<NodePtr> inputs);
    void setOutputs(std::vector<Port> outputs);

    /// Replaces `oldNodes` by `newNodes`, the one rewiring primitive of recipes.
    ///
    /// The links entering `oldNodes` from outside (data inputs, in topological
    /// order of the old nodes, then input index, each distinct source once) are
    /// connected, in order, to the unconnected data inputs of `newNodes` (in
    /// the given order); a single source may feed all of them. The outputs of
    /// `oldNodes` used outside (by other nodes or as graph outputs) are
    /// replaced, in order, by the outputs of `newNodes` not used inside
    /// `newNodes`. With `newNodes` empty, the old span must have one input
    /// source and one used output, and its consumers are fed by that source.
    /// Producers that fed only old nodes are removed; Producers of new nodes
    /// are added. All checks run before any change: on error the graph is unchanged.
    void replace(const std::vector<NodePtr>& oldNodes, const std::vector<NodePtr>& newNodes);

    /// Deep copy: new nodes, cloned operators and parameter tensors, same names and links.
    std::shared_ptr<GraphView> clone() const;

    /// Incremented by every structural change, so compiled state can tell it is stale.
    std::size_t version() const { return mVersion; }
    void touch() { ++mVersion; }

    const std::shared_ptr<Executor>& executor() const { return mExecutor; }
    void setExecutor(std::shared_ptr<Executor> executor) { mExecutor = std::move(executor); }

    /// Input hooks run by the scheduler (FIBNLR measures through them).
    Hooks& hooks() { return mHooks; }
    const Hooks& hooks() const { return mHooks; }

    /// The graph's lock. forward, compile and the recipes hold it for their
    /// whole call, so calls on one graph from several threads run one after
    /// the other instead of sharing its compiled buffers. Recursive, because a
    /// recipe runs forward. Code that edits nodes (parameters, annotations,
    /// links) while other threads may run the graph holds it too.
    std::recursive_mutex& mutex() const { return mMutex; }

    /// A name not used by any node of the graph, built from `base`.
    std::string uniqueName(const std::string& base) const;

private:
    friend class GraphSnapshot;
    void addOne(const NodePtr& node);
    void removeOne(const NodePtr& node);
    /// Rebuilds mByName when a node was renamed since it was built (O(n), once per rename).
    void refreshNameIndex();
    bool nameIndexFresh() const { return !mByNameStale && mByNameAt == Node::renameCount(); }

    std::string mName;
    std::vector<NodePtr> mNodes;
    std::unordered_map<const Node*, std::size_t> mIndex;  // node -> insertion order key
    std::size_t mNextKey = 0;
    // name -> first node (insertion order) with that name, so adding a node checks
    // its name in O(1) and building a graph is linear. Valid while mByNameAt equals
    // Node::renameCount(); getNode falls back to a scan otherwise (it is const and
    // must not mutate the index). Plain pointers: mNodes owns the nodes, and an
    // owning index would hide from the garbage collector's ownership count
    // (python_bindings/AnnotationGc.cpp) that only the graph holds them.
    std::unordered_map<std::string, Node*> mByName;
    std::size_t mByNameAt = 0;
    bool mByNameStale = false;
    bool mNameClash = false;  // some name is shared (possible only through renames)
    std::vector<NodePtr> mInputs;
    std::vector<Port> mOutputs;
    std::size_t mVersion = 0;
    std::shared_ptr<Executor> mExecutor;
    Hooks mHooks;
    mutable std::recursive_mutex mMutex;
};

/// Holds the lock of a graph for a scope (see GraphView::mutex).
using GraphLock = std::lock_guard<std::recursive_mutex>;

using GraphViewPtr = std::shared_ptr<GraphView>;

} // namespace fibnlr
