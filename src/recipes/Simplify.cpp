#include "fibnlr/recipes/Simplify.hpp"

#include <set>
#include <stdexcept>

#include "fibnlr/operator/Conv.hpp"
#include "fibnlr/operator/Gemm.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/recipes/MergeUtils.hpp"
#include "fibnlr/recipes/RemoveIdentity.hpp"

namespace fibnlr {

std::vector<LayerCost> layerCosts(const GraphView& graph, const std::vector<Shape>& inputDims, bool* macsKnown) {
    const NodeShapes shapes = knownShapes(graph, inputDims);
    if (macsKnown) *macsKnown = !shapes.empty();
    std::vector<LayerCost> out;
    for (const NodePtr& n : graph.getNodes()) {
        if (n->type() == "Producer" || n->type() == "Input") continue;
        LayerCost c{n->name(), n->type(), 0, 0};
        for (std::size_t i = 0; i < n->nbInputs(); ++i)
            if (NodePtr p = n->producer(i)) c.params += static_cast<const ProducerOp&>(p->getOperator()).value().size();
        auto it = shapes.find(n.get());
        if (it != shapes.end()) {
            const Shape& o = it->second.at(0);
            const double batch = o.empty() ? 1.0 : static_cast<double>(o[0]);
            if (n->type() == "Conv" && n->producer(1)) {
                const Shape& w = static_cast<const ProducerOp&>(n->producer(1)->getOperator()).value().dims();
                c.macs = static_cast<double>(numElements(o)) / batch * static_cast<double>(numElements(w)) /
                         static_cast<double>(w[0]);
            } else if (n->type() == "Gemm" && n->producer(1)) {
                const auto& a = static_cast<const GemmOp&>(n->getOperator()).attrs;
                const Shape& w = static_cast<const ProducerOp&>(n->producer(1)->getOperator()).value().dims();
                const double rows = static_cast<double>(a.transA ? shapes.at(n->getParent(0).get()).at(n->input(0).index)[1] : o[0]);
                c.macs = rows / batch * static_cast<double>(w[0]) * static_cast<double>(w[1]);
            }
        }
        out.push_back(c);
    }
    return out;
}

SimplifyResult simplify(GraphView& graph, const SimplifyOptions& options) {
    if (!(options.merge.maxMacGrowth > 0))
        throw std::invalid_argument("max_mac_growth must be a number > 0 (inf: no limit)");
    SimplifyResult r;
    MergeOptions mo = options.merge;
    if (mo.inputDims.empty()) mo.inputDims = compiledDims(graph);
    r.before = layerCosts(graph, mo.inputDims, &r.macsKnown);  // throws for dims that do not fit: nothing changed yet
    if (mo.objective == MergeObjective::Latency && mo.inputDims.empty())
        throw std::invalid_argument("objective 'latency' times each candidate at the input dims: give dims or compile "
                                    "graph '" + graph.name() + "' first");
    // Identity first: a pruned activation between a conv and its BatchNorm
    // (conv -> ReLU -> BN) would otherwise keep the BatchNorm unfolded.
    if (options.removeIdentity) r.removedIdentities = removeIdentity(graph);
    if (options.foldBatchNorm) r.batchNormFolds = foldBatchNorm(graph);
    for (std::size_t round = 0; round < options.maxRounds; ++round) {
        MergeResult m = mergeConvolutions(graph, mo);
        r.merged.insert(r.merged.end(), m.merged.begin(), m.merged.end());
        r.skipped = m.skipped;
        std::vector<ResidualFold> f;
        if (options.foldResidual) f = foldResidual(graph);
        r.residualFolds.insert(r.residualFolds.end(), f.begin(), f.end());
        if (m.merged.empty() && f.empty()) break;
    }
    r.after = layerCosts(graph, mo.inputDims);
    std::set<std::string> now;
    for (const LayerCost& c : r.after) now.insert(c.name);
    for (const LayerCost& c : r.before)
        if (!now.count(c.name)) r.layersRemoved.push_back(c.name);
    return r;
}

} // namespace fibnlr
