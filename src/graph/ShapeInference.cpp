#include "fibnlr/graph/ShapeInference.hpp"

#include <stdexcept>

namespace fibnlr {

NodeShapes inferShapes(const GraphView& graph, const std::vector<Shape>& inputDims,
                       const ShapeInferenceOptions& options) {
    const std::string prefix = options.context.empty() ? std::string() : options.context + ": ";
    const auto& graphInputs = graph.inputs();
    if (inputDims.size() != graphInputs.size())
        throw std::invalid_argument(prefix + "graph '" + graph.name() + "' has " + std::to_string(graphInputs.size()) +
                                    " inputs but " + std::to_string(inputDims.size()) + " input shapes were given");
    NodeShapes shapes;
    for (std::size_t i = 0; i < inputDims.size(); ++i) shapes[graphInputs[i].get()] = {inputDims[i]};

    for (const NodePtr& node : graph.getNodes()) {
        if (node->type() == "Input") {
            auto it = shapes.find(node.get());
            if (it == shapes.end()) {
                // Nothing will ever feed it: its consumers see an unconnected input.
                if (options.requireConnected)
                    throw std::invalid_argument(prefix + describe(*node) + " is not one of the graph's inputs");
                continue;
            }
            if (options.checkOutputs) options.checkOutputs(*node, it->second);
            continue;
        }
        // Producers need no case of their own: their rule gives their tensor's dims.
        const Operator& op = node->getOperator();
        std::vector<Shape> in;
        in.reserve(node->nbInputs());
        for (std::size_t i = 0; i < node->nbInputs(); ++i) {
            const Port& p = node->input(i);
            // Topological order: a parent in the graph was visited before, so
            // it has shapes unless it is an Input that is not a graph input.
            auto from = p.node && graph.contains(p.node) ? shapes.find(p.node.get()) : shapes.end();
            if (from == shapes.end()) {
                if (options.requireConnected && op.inputSpecs().at(i).category != InputCategory::OptionalParam)
                    throw std::invalid_argument(prefix + "input " + std::to_string(i) + " (" + op.inputSpecs()[i].name +
                                                ") of " + describe(*node) + " is not connected");
                in.emplace_back();
                continue;
            }
            if (p.index >= from->second.size())
                throw std::invalid_argument(prefix + "input " + std::to_string(i) + " of " + describe(*node) +
                                            " reads output " + std::to_string(p.index) + " of " + describe(*p.node) +
                                            ", which has " + std::to_string(from->second.size()) + " outputs");
            if (options.checkInput) options.checkInput(*node, i, p);
            in.push_back(from->second[p.index]);
        }
        std::vector<Shape> out;
        try {
            out = op.inferShapes(in);
        } catch (const std::invalid_argument& e) {
            std::string list;
            for (const Shape& s : in) list += (list.empty() ? "" : ", ") + toString(s);
            throw std::invalid_argument(prefix + describe(*node) + " with input shapes " + list + ": " + e.what());
        }
        if (options.checkOutputs) options.checkOutputs(*node, out);
        shapes[node.get()] = std::move(out);
    }
    return shapes;
}

Shape inputShape(const NodeShapes& shapes, const Node& node, std::size_t i) {
    if (i >= node.nbInputs()) return {};
    const Port& p = node.input(i);
    auto it = p.node ? shapes.find(p.node.get()) : shapes.end();
    return it != shapes.end() && p.index < it->second.size() ? it->second[p.index] : Shape{};
}

} // namespace fibnlr
