#include "fibnlr/graph/GraphSnapshot.hpp"

#include <algorithm>

#include "fibnlr/operator/Producer.hpp"

namespace fibnlr {

GraphSnapshot::GraphSnapshot(GraphView& graph)
    : mGraph(graph), mNodes(graph.mNodes), mIndex(graph.mIndex), mNextKey(graph.mNextKey), mInputs(graph.mInputs),
      mOutputs(graph.mOutputs), mVersion(graph.mVersion), mExecutor(graph.mExecutor), mHooks(graph.mHooks) {
    mStates.reserve(mNodes.size());
    for (const NodePtr& n : mNodes) {
        NodeState s;
        s.node = n;
        s.name = n->mName;
        s.op = n->mOperator;
        s.opRevision = s.op->revision();
        s.attributes = s.op->attributes();
        if (auto* p = dynamic_cast<ProducerOp*>(s.op.get())) {
            s.producer = true;
            s.producerValue = p->value();
        }
        s.parents = n->mParents;
        s.children = n->mChildren;
        for (const std::string& key : n->mAnnotations.keys()) s.annotations.emplace_back(key, *n->mAnnotations.entry(key));
        mStates.push_back(std::move(s));
    }
}

void GraphSnapshot::restore() noexcept {
    for (NodeState& s : mStates) {
        Node& n = *s.node;
        std::swap(n.mName, s.name);
        std::swap(n.mOperator, s.op);
        std::swap(n.mParents, s.parents);
        std::swap(n.mChildren, s.children);
        n.mAnnotations.clear();
        // setEntry inserts into a map (it may allocate); an entry that cannot
        // be put back is lost rather than left half-written.
        for (auto& kv : s.annotations) {
            try {
                n.mAnnotations.setEntry(kv.first, std::move(kv.second));
            } catch (...) {
            }
        }
        Operator& op = *n.mOperator;
        if (s.producer) {
            auto& p = static_cast<ProducerOp&>(op);
            if (!p.value().sharesStorageWith(s.producerValue) || p.value().dims() != s.producerValue.dims())
                p.setValue(std::move(s.producerValue));
        } else if (op.revision() != s.opRevision) {
            try {
                op.setAttributes(s.attributes);
            } catch (...) {
            }
        }
    }
    const std::size_t version = std::max(mVersion, mGraph.mVersion) + 1;
    std::swap(mGraph.mNodes, mNodes);
    std::swap(mGraph.mIndex, mIndex);
    mGraph.mByName.clear();  // names of the restored node set: rebuilt before its next use
    mGraph.mByNameStale = true;
    mGraph.mNextKey = std::max(mGraph.mNextKey, mNextKey);
    std::swap(mGraph.mInputs, mInputs);
    std::swap(mGraph.mOutputs, mOutputs);
    std::swap(mGraph.mExecutor, mExecutor);
    std::swap(mGraph.mHooks, mHooks);
    mGraph.mVersion = version;  // forces compiled state to be rebuilt
}

} // namespace fibnlr
