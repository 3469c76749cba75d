#include "fibnlr/graph/Builder.hpp"

#include <stdexcept>

#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Producer.hpp"

namespace fibnlr {

NodePtr makeProducer(Tensor value, const std::string& name) {
    return Node::create(std::make_shared<ProducerOp>(std::move(value)), name);
}

NodePtr addInput(GraphView& graph, const std::string& name) {
    NodePtr n = Node::create(std::make_shared<InputOp>(), name);
    graph.add(n);
    auto inputs = graph.inputs();
    inputs.push_back(n);
    graph.setInputs(inputs);
    return n;
}

NodePtr addNode(GraphView& graph, const std::string& type, const std::string& name, const std::vector<Port>& inputs,
                const std::map<std::string, Tensor>& params, const AttrList& attrs) {
    OperatorPtr op = makeOperator(type, attrs, 0);
    if (op->isVariadic()) op->setNbInputs(inputs.size());
    for (const auto& kv : params) op->inputIndex(kv.first);  // throws for an unknown input name
    NodePtr node = Node::create(op, name);
    std::size_t next = 0;
    for (std::size_t i = 0; i < op->nbInputs(); ++i) {
        const InputSpec& spec = op->inputSpecs()[i];
        auto p = params.find(spec.name);
        if (p != params.end()) {
            Node::link(makeProducer(p->second, name + "_" + spec.name), 0, node, i);
        } else if (next < inputs.size()) {
            Node::link(inputs[next].node, inputs[next].index, node, i);
            ++next;
        } else if (spec.category != InputCategory::OptionalParam) {
            throw std::invalid_argument("addNode: " + describe(*node) + " needs input " + spec.name);
        }
    }
    if (next != inputs.size())
        throw std::invalid_argument("addNode: " + describe(*node) + " takes " + std::to_string(next) +
                                    " linked inputs, got " + std::to_string(inputs.size()));
    graph.add(node);
    return node;
}

} // namespace fibnlr
