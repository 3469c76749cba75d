#include "fibnlr/recipes/MergeUtils.hpp"

#include <algorithm>
#include <stdexcept>

#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

namespace fibnlr {

std::vector<NodePtr> privateProducers(const GraphView& graph, const NodePtr& node) {
    std::vector<NodePtr> out;
    for (std::size_t i = 0; i < node->nbInputs(); ++i) {
        NodePtr p = node->producer(i);
        if (!p || !graph.contains(p) || std::find(out.begin(), out.end(), p) != out.end()) continue;
        bool only = true;
        for (const Port& c : p->outputConsumers(0)) only = only && (!graph.contains(c.node) || c.node == node);
        for (const Port& o : graph.outputs()) only = only && o.node != p;
        if (only) out.push_back(p);
    }
    return out;
}

std::size_t nbUses(const GraphView& graph, const NodePtr& node) {
    std::size_t n = 0;
    for (const Port& c : node->outputConsumers(0)) n += graph.contains(c.node) ? 1 : 0;
    for (const Port& o : graph.outputs()) n += (o.node == node) ? 1 : 0;
    return n;
}

Port soleConsumer(const GraphView& graph, const NodePtr& node) {
    if (node->nbOutputs() != 1 || nbUses(graph, node) != 1) return Port{};
    for (const Port& c : node->outputConsumers(0))
        if (graph.contains(c.node)) return c;
    return Port{};  // the single use is a graph output
}

std::string freeName(const GraphView& graph, const std::string& base, const std::vector<NodePtr>& leaving) {
    NodePtr n = graph.getNode(base);
    if (!n || std::find(leaving.begin(), leaving.end(), n) != leaving.end()) return base;
    return graph.uniqueName(base);
}

void inheritOutputNames(const NodePtr& to, const Node& from) {
    static const std::string key = "onnx.output_names";
    if (const Annotations::Entry* e = from.annotations().entry(key)) to->annotations().setEntry(key, *e);
}

namespace {
/// Shapes at `dims`, lenient about unconnected inputs (MAC counts need only
/// the shapes the rules can give); empty when the dims do not fit, with the
/// reason in `error`. Any exception counts as "do not fit": the shapes are
/// optional for these recipes, a graph their rules cannot size is left alone.
NodeShapes shapesIfTheyFit(const GraphView& graph, const std::vector<Shape>& dims, std::string& error) {
    ShapeInferenceOptions options;
    options.requireConnected = false;
    try {
        return inferShapes(graph, dims, options);
    } catch (const std::exception& e) {
        error = e.what();
        return {};
    }
}
} // namespace

std::vector<Shape> compiledDims(const GraphView& graph) {
    auto s = std::dynamic_pointer_cast<Scheduler>(graph.executor());
    std::string error;
    if (!s || shapesIfTheyFit(graph, s->options().dims, error).empty()) return {};
    return s->options().dims;
}

NodeShapes knownShapes(const GraphView& graph, const std::vector<Shape>& inputDims) {
    std::string error;
    if (!inputDims.empty()) {
        NodeShapes shapes = shapesIfTheyFit(graph, inputDims, error);
        if (shapes.empty()) throw std::invalid_argument("input dims do not fit graph '" + graph.name() + "': " + error);
        return shapes;
    }
    if (auto s = std::dynamic_pointer_cast<Scheduler>(graph.executor()))
        return shapesIfTheyFit(graph, s->options().dims, error);
    return {};
}

} // namespace fibnlr
