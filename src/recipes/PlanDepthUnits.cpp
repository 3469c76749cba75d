// planDepth's building blocks: candidate units, linearising nodes, the divergence measure.
#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <stdexcept>

#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/recipes/PlanDepth.hpp"

namespace fibnlr {

namespace {

/// Layers a removed non-linearity leaves as one affine chain with its neighbours.
bool isLinearLink(const std::string& type) {
    return type == "Conv" || type == "BatchNormalization" || type == "Identity" || type == "Dropout";
}

/// The prepared node reached from `node` through single-consumer linear layers, or null.
NodePtr nextNonlinearity(const NodePtr& node, const std::set<std::string>& prepared) {
    NodePtr current = node;
    while (true) {
        std::vector<NodePtr> children = current->getChildren();
        if (children.size() != 1) return nullptr;
        const NodePtr& child = children.front();
        if (prepared.count(child->name())) return child;
        if (!isLinearLink(child->type())) return nullptr;
        current = child;
    }
}

} // namespace

std::vector<std::vector<std::string>> planChains(const GraphView& graph, const std::vector<std::string>& preparedNames) {
    const std::set<std::string> prepared(preparedNames.begin(), preparedNames.end());
    std::vector<NodePtr> order;
    for (const NodePtr& n : graph.getNodes())
        if (prepared.count(n->name())) order.push_back(n);
    std::map<std::string, std::string> successor;
    std::set<std::string> hasPredecessor;
    for (const NodePtr& n : order) {
        if (NodePtr next = nextNonlinearity(n, prepared)) {
            successor[n->name()] = next->name();
            hasPredecessor.insert(next->name());
        }
    }
    std::vector<std::vector<std::string>> chains;
    for (const NodePtr& n : order) {
        if (hasPredecessor.count(n->name())) continue;
        std::vector<std::string> chain{n->name()};
        // A chain cannot loop: each link goes forward in topological order.
        for (auto it = successor.find(chain.back()); it != successor.end(); it = successor.find(chain.back()))
            chain.push_back(it->second);
        chains.push_back(std::move(chain));
    }
    return chains;
}

std::vector<std::vector<std::string>> planUnits(const GraphView& graph, const std::vector<std::string>& prepared,
                                                const std::string& objective) {
    std::vector<std::vector<std::string>> units;
    for (const std::vector<std::string>& chain : planChains(graph, prepared)) {
        if (objective == "nonlinear_ops") {
            // Every removed evaluation counts by itself: single nodes.
            for (const std::string& name : chain) units.push_back({name});
            continue;
        }
        // The whole block and each part of it, longest first: the plan measures which one pays.
        for (std::size_t length = std::min(kPlanMaxRun, chain.size()); length >= 1; --length)
            for (std::size_t start = 0; start + length <= chain.size(); ++start)
                units.emplace_back(chain.begin() + static_cast<std::ptrdiff_t>(start),
                                   chain.begin() + static_cast<std::ptrdiff_t>(start + length));
    }
    return units;
}

void linearise(GraphView& graph, const std::vector<std::string>& names, const std::string& what) {
    GraphLock lock(graph.mutex());
    // Every check before the first change, so a bad name leaves the graph as it was.
    std::vector<NodePtr> nodes;
    for (const std::string& name : names) {
        NodePtr node = graph.getNode(name);
        if (!node) throw std::invalid_argument(what + ": node '" + name + "' is not in graph '" + graph.name() + "'");
        std::size_t dataInputs = 0;
        for (const NodePtr& p : node->getParents())
            if (p && p->type() != "Producer") ++dataInputs;
        if (dataInputs != 1 || node->nbOutputs() != 1)
            throw std::invalid_argument(what + ": node '" + name + "' (" + node->type() + ") has " +
                                        std::to_string(dataInputs) + " data inputs and " +
                                        std::to_string(node->nbOutputs()) +
                                        " outputs; expected a non-linearity with 1 and 1");
        nodes.push_back(std::move(node));
    }
    for (std::size_t i = 0; i < nodes.size(); ++i)
        graph.replace({nodes[i]}, {Node::create(makeOperator("Identity"), names[i])});
}

std::pair<double, double> planDivergence(const Tensor& reference, const Tensor& logits) {
    if (reference.nbDims() != 2 || reference.dims() != logits.dims() || reference.dims()[0] == 0)
        throw std::invalid_argument("planDivergence: needs two tensors of the same shape [N, classes] with N >= 1");
    const std::size_t n = reference.dims()[0], k = reference.dims()[1];
    const float* p = reference.data<float>();
    const float* q = logits.data<float>();
    // log_softmax(z)_j = z_j − max z − log Σ exp(z − max z), in double.
    auto logSoftmax = [k](const float* z, std::vector<double>& out) {
        double top = -INFINITY;
        for (std::size_t j = 0; j < k; ++j) top = std::max(top, static_cast<double>(z[j]));
        double sum = 0.0;
        for (std::size_t j = 0; j < k; ++j) sum += std::exp(static_cast<double>(z[j]) - top);
        const double logSum = std::log(sum);
        for (std::size_t j = 0; j < k; ++j) out[j] = static_cast<double>(z[j]) - top - logSum;
    };
    std::vector<double> lp(k), lq(k);
    double kl = 0.0;
    std::size_t agree = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const float* zp = p + i * k;
        const float* zq = q + i * k;
        logSoftmax(zp, lp);
        logSoftmax(zq, lq);
        double row = 0.0;  // KL(p ‖ q) = Σ_j p_j (log p_j − log q_j)
        for (std::size_t j = 0; j < k; ++j) row += std::exp(lp[j]) * (lp[j] - lq[j]);
        kl += row;
        // Top-1 as numpy's argmax: the first largest.
        if (std::max_element(zp, zp + k) - zp == std::max_element(zq, zq + k) - zq) ++agree;
    }
    return {std::max(kl / static_cast<double>(n), 0.0), static_cast<double>(agree) / static_cast<double>(n)};
}

} // namespace fibnlr
