#include <pybind11/typing.h>

#include "AnnotationGc.hpp"
#include "Convert.hpp"
#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/graph/GraphView.hpp"
#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Producer.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

AttrList toAttrList(const py::dict& attrs, const std::string& what);

namespace {
std::size_t paramIndex(const Node& n, const py::handle& key) {
    if (py::isinstance<py::int_>(key)) {
        const auto i = key.cast<std::size_t>();
        if (i >= n.nbInputs())
            throw std::invalid_argument(describe(n) + " has no input " + std::to_string(i) + " (it has " +
                                        std::to_string(n.nbInputs()) + ")");
        return i;
    }
    try {
        return n.getOperator().inputIndex(key.cast<std::string>());
    } catch (const std::invalid_argument& e) {
        throw std::invalid_argument(describe(n) + ": " + e.what());
    }
}

ProducerOp& producerAt(const Node& n, std::size_t i) {
    NodePtr p = n.producer(i);
    if (!p)
        throw std::invalid_argument(describe(n) + " input " + std::to_string(i) + " (" +
                                    n.getOperator().inputSpecs()[i].name + ") is not fed by a Producer");
    return static_cast<ProducerOp&>(p->getOperator());
}

std::vector<NodePtr> toNodeList(const py::iterable& nodes) {
    std::vector<NodePtr> out;
    for (auto n : nodes) out.push_back(n.cast<NodePtr>());
    return out;
}

/// (node, index) of a port; the typing names make the stubs say tuple[Node, int].
using PortTuple = py::typing::Tuple<Node, int>;
using PortList = py::typing::List<PortTuple>;

py::typing::Optional<PortTuple> portToPython(const Port& p) {
    if (!p.node) return py::none();
    return py::make_tuple(p.node, p.index);
}
} // namespace

void bindGraph(py::module_& m) {
    installGcCallback();
    py::class_<Node, NodePtr>(m, "Node", "A node: one operator, its links and its annotations",
                              py::custom_type_setup(nodeTypeSetup))
        .def(py::init([](const std::string& type, const std::string& name, const py::dict& attrs, std::size_t nbInputs) {
                 return Node::create(makeOperator(type, toAttrList(attrs, "node '" + name + "'"), nbInputs), name);
             }),
             py::arg("type"), py::arg("name"), py::arg("attrs") = py::dict(), py::arg("nb_inputs") = 0,
             "A new unlinked node.\n\nArgs:\n    type: one of operator_types().\n    name: the node name (unique in "
             "its graph).\n    attrs: attribute name -> value.\n    nb_inputs: inputs of a variadic operator; 0 = "
             "the type's default.\n\nRaises:\n    ValueError: unknown type or invalid attribute (named).")
        .def_static(
            "producer", [](const py::handle& array, const std::string& name) {
                return makeProducer(py_convert::toTensor(array, "producer '" + name + "'"), name);
            },
            py::arg("array"), py::arg("name"), "A constant node holding `array` (shared, not copied)")
        .def("name", &Node::name, "The node name (the ONNX node name after load_onnx)")
        .def("set_name", &Node::setName, py::arg("name"), "Renames the node")
        .def("type", &Node::type, "The operator type, e.g. 'Conv'")
        .def("get_operator", &Node::getOperatorPtr, "The node's Operator (live: set_attr changes the node)")
        .def("nb_inputs", &Node::nbInputs, "Number of inputs (data and parameters)")
        .def("nb_outputs", &Node::nbOutputs, "Number of outputs")
        .def("input", [](const Node& n, std::size_t i) { return portToPython(n.input(i)); }, py::arg("index"),
             "(parent, output index) feeding input `index`, or None")
        .def("get_parent", &Node::getParent, py::arg("index"), "The node feeding input `index`, or None")
        .def("get_parents", &Node::getParents, "The node feeding each input (None where unconnected), in input order")
        .def("get_children", &Node::getChildren, "The nodes consuming any output of this node")
        .def(
            "output_consumers",
            [](const Node& n, std::size_t i) {
                PortList out;
                for (const Port& p : n.outputConsumers(i)) out.append(portToPython(p));
                return out;
            },
            py::arg("index") = 0, "(consumer, input index) per consumer of output `index`")
        .def(
            "add_child",
            [](const NodePtr& self, const NodePtr& child, std::size_t outIdx, std::size_t inIdx) {
                Node::link(self, outIdx, child, inIdx);
            },
            py::arg("child"), py::arg("out_index") = 0, py::arg("in_index") = 0,
            "Links output `out_index` of this node to input `in_index` of `child`")
        .def("unlink_input", &Node::unlinkInput, py::arg("index"), "Disconnects input `index` from its parent")
        .def(
            "get_parameter",
            [](const Node& n, const py::handle& key) {
                return py_convert::toNumpy(producerAt(n, paramIndex(n, key)).value(), false);
            },
            py::arg("key"),
            "The Producer tensor on input `key` (name or index) as a read-only numpy array sharing memory: it "
            "shows later writes; change it with write_parameter or set_parameter")
        .def(
            "write_parameter",
            [](const Node& n, const py::handle& key, const py::handle& array) {
                const std::size_t i = paramIndex(n, key);
                producerAt(n, i).assign(py_convert::toTensor(array, describe(n) + " parameter"),
                                        describe(n) + " parameter " + n.getOperator().inputSpecs()[i].name);
            },
            py::arg("key"), py::arg("array"),
            "Copies `array` into the Producer tensor on input `key` in place (same shape and element type, "
            "else ValueError and nothing written): arrays from get_parameter show the new values and compiled "
            "plans drop what they derived from the old ones")
        .def(
            "set_parameter",
            [](const NodePtr& n, const py::handle& key, const py::handle& array) {
                const std::size_t i = paramIndex(*n, key);
                // A copy: the caller's array must not stay an alias whose writes the graph cannot see.
                Tensor t = py_convert::toTensor(array, describe(*n) + " parameter").clone();
                if (NodePtr p = n->producer(i)) {
                    static_cast<ProducerOp&>(p->getOperator()).setValue(t);
                } else if (!n->input(i).node) {
                    Node::link(makeProducer(t, n->name() + "_" + n->getOperator().inputSpecs()[i].name), 0, n, i);
                } else {
                    throw std::invalid_argument(describe(*n) + " input " + std::to_string(i) +
                                                " is fed by a computed value, not a parameter");
                }
            },
            py::arg("key"), py::arg("array"),
            "Sets the Producer tensor on input `key` to a copy of `array` (any shape); creates the Producer when "
            "the input is unconnected (add the node to its graph again to include the new Producer)")
        .def(
            "parameters",
            [](const Node& n) {
                py::dict d;
                for (std::size_t i = 0; i < n.nbInputs(); ++i)
                    if (NodePtr p = n.producer(i))
                        d[py::str(n.getOperator().inputSpecs()[i].name)] =
                            py_convert::toNumpy(static_cast<ProducerOp&>(p->getOperator()).value(), false);
                return d;
            },
            "Input spec name -> read-only numpy array (shared) for every input fed by a Producer")
        .def(
            "get_annotation",
            [](const Node& n, const std::string& key) {
                const Annotations::Entry* e = n.annotations().entry(key);
                if (!e) throw py::key_error(describe(n) + " has no annotation '" + key + "'");
                return py_convert::annotationToPython(*e);
            },
            py::arg("key"), "The annotation `key` (a live object for NPR, NNPR, ...). Raises KeyError when absent.")
        .def(
            "set_annotation",
            [](Node& n, const std::string& key, const py::handle& value) {
                n.annotations().setEntry(key, py_convert::annotationFromPython(value));
            },
            py::arg("key"), py::arg("value"),
            "Stores `value` (bool, int, float, str, list of them, numpy array, or a recipe object such as NPR) "
            "under `key`, replacing any earlier value. Raises TypeError for other values.")
        .def("has_annotation", [](const Node& n, const std::string& k) { return n.annotations().has(k); },
             py::arg("key"), "True when the node has annotation `key`")
        .def("remove_annotation", [](Node& n, const std::string& k) { return n.annotations().erase(k); },
             py::arg("key"), "Removes annotation `key`; returns whether it was there")
        .def("annotation_keys", [](const Node& n) { return n.annotations().keys(); }, "The annotation keys, sorted")
        // Identity of the C++ node, so sets and dicts of nodes returned by different calls agree.
        .def("__hash__", [](const Node& n) { return std::hash<const Node*>{}(&n); })
        .def("__eq__", [](const Node& a, const py::object& b) { return py::isinstance<Node>(b) && &a == &b.cast<const Node&>(); },
             py::arg("other"))
        .def("__repr__", [](const Node& n) { return "Node(" + n.name() + ": " + n.getOperator().toString() + ")"; });

    py::class_<GraphView, GraphViewPtr>(m, "GraphView", "A set of nodes with ordered inputs and outputs",
                                        py::custom_type_setup(graphTypeSetup))
        .def(py::init<std::string>(), py::arg("name") = "graph", "An empty graph named `name`")
        .def("name", &GraphView::name, "The graph name")
        .def("get_nodes", &GraphView::getNodes, "All nodes in topological order")
        .def("get_node", &GraphView::getNode, py::arg("name"), "The node named `name`, or None")
        .def("get_nodes_by_type", &GraphView::getNodesByType, py::arg("type"),
             "The nodes of operator type `type`, in topological order")
        .def("add", &GraphView::add, py::arg("node"), "Adds a node and the Producers feeding it")
        .def("remove", &GraphView::remove, py::arg("node"), "Removes `node` from the graph (its links stay)")
        .def("replace",
             [](GraphView& g, const py::iterable& oldNodes, const py::iterable& newNodes) {
                 g.replace(toNodeList(oldNodes), toNodeList(newNodes));
             },
             py::arg("old_nodes"), py::arg("new_nodes"),
             "Replaces old_nodes by new_nodes, rewiring inputs and outputs in order (see the C++ doc); "
             "all or nothing")
        .def("inputs",
             [](const GraphView& g) {
                 // (node, 0) pairs, the same kind of thing outputs() returns.
                 PortList out;
                 for (const NodePtr& n : g.inputs()) out.append(py::make_tuple(n, std::size_t{0}));
                 return out;
             },
             "(Input node, 0) per graph input, in order: the same (node, index) pairs as outputs()")
        .def("outputs",
             [](const GraphView& g) {
                 PortList out;
                 for (const Port& p : g.outputs()) out.append(portToPython(p));
                 return out;
             },
             "(node, output index) per graph output, in order")
        .def("add_input", [](GraphView& g, const std::string& name) { return addInput(g, name); }, py::arg("name"),
             "Adds an Input node and appends it to the graph inputs")
        .def("set_inputs",
             [](GraphView& g, const py::iterable& ins) {
                 // Nodes or the (node, 0) pairs inputs() returns.
                 std::vector<NodePtr> nodes;
                 for (auto o : ins)
                     nodes.push_back(py::isinstance<Node>(o) ? o.cast<NodePtr>() : o.cast<py::tuple>()[0].cast<NodePtr>());
                 g.setInputs(nodes);
             },
             py::arg("inputs"), "Sets the graph inputs: Input nodes or (node, 0) pairs as inputs() returns, in order")
        .def("set_outputs",
             [](GraphView& g, const py::iterable& outs) {
                 std::vector<Port> ports;
                 for (auto o : outs) {
                     if (py::isinstance<Node>(o)) ports.push_back({o.cast<NodePtr>(), 0});
                     else {
                         auto t = o.cast<py::tuple>();
                         ports.push_back({t[0].cast<NodePtr>(), t[1].cast<std::size_t>()});
                     }
                 }
                 g.setOutputs(ports);
             },
             py::arg("outputs"), "Nodes or (node, output index) tuples")
        .def("clone", &GraphView::clone, "Deep copy (new nodes, copied parameters and annotations)")
        .def("touch", &GraphView::touch, "Marks the graph changed so the next forward recompiles")
        .def("__len__", &GraphView::size, "Number of nodes")
        .def("__contains__", &GraphView::contains, py::arg("node"))
        .def("__repr__", [](const GraphView& g) {
            return "GraphView('" + g.name() + "', " + std::to_string(g.size()) + " nodes)";
        });
}

} // namespace fibnlr::bindings
