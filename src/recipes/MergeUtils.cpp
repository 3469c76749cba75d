#include "fibnlr/recipes/MergeUtils.hpp"

#include <algorithm>

#include "fibnlr/operator/Producer.hpp"

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

std::map<const Node*, std::vector<Shape>> inferGraphShapes(const GraphView& graph, const std::vector<Shape>& inputDims,
                                                           std::string* error) {
    std::map<const Node*, std::vector<Shape>> shapes;
    if (inputDims.size() != graph.inputs().size()) {
        if (error)
            *error = std::to_string(inputDims.size()) + " input shapes given, graph '" + graph.name() + "' has " +
                     std::to_string(graph.inputs().size()) + " inputs";
        return {};
    }
    NodePtr current;  // the node whose shape rule failed
    try {
        for (std::size_t i = 0; i < inputDims.size(); ++i) shapes[graph.inputs()[i].get()] = {inputDims[i]};
        for (const NodePtr& n : graph.getNodes()) {
            current = n;
            if (n->type() == "Input") {
                if (!shapes.count(n.get())) return {};
                continue;
            }
            if (n->type() == "Producer") {
                shapes[n.get()] = {static_cast<const ProducerOp&>(n->getOperator()).value().dims()};
                continue;
            }
            std::vector<Shape> in;
            for (std::size_t i = 0; i < n->nbInputs(); ++i) {
                const Port& p = n->input(i);
                auto it = p.node ? shapes.find(p.node.get()) : shapes.end();
                in.push_back(it == shapes.end() ? Shape{} : it->second.at(p.index));
            }
            shapes[n.get()] = n->getOperator().inferShapes(in);
        }
    } catch (const std::exception& e) {
        if (error) *error = (current ? describe(*current) + ": " : std::string()) + e.what();
        return {};
    }
    return shapes;
}

std::map<const Node*, std::vector<Shape>> requireGraphShapes(const GraphView& graph, const std::vector<Shape>& inputDims) {
    std::string error;
    auto shapes = inferGraphShapes(graph, inputDims, &error);
    if (shapes.empty() && !inputDims.empty())
        throw std::invalid_argument("input dims do not fit graph '" + graph.name() + "': " + error);
    return shapes;
}

} // namespace fibnlr
