#include "Convert.hpp"
#include "fibnlr/operator/Activation.hpp"
#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Producer.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

namespace {
const char* categoryName(InputCategory c) {
    switch (c) {
    case InputCategory::Data: return "data";
    case InputCategory::Param: return "param";
    case InputCategory::OptionalParam: return "optional_param";
    }
    return "?";
}

ProducerOp& producerOf(Operator& op) {
    auto* p = dynamic_cast<ProducerOp*>(&op);
    if (!p) throw std::invalid_argument(op.type() + " holds no value; only a Producer does");
    return *p;
}
} // namespace

AttrList toAttrList(const py::dict& attrs, const std::string& what) {
    AttrList out;
    for (auto kv : attrs) {
        const std::string key = py::str(kv.first);
        out.emplace_back(key, py_convert::toAttr(kv.second, what + " attribute '" + key + "'"));
    }
    return out;
}

void bindOperator(py::module_& m) {
    py::class_<Operator, std::shared_ptr<Operator>>(m, "Operator", "An operator: type, inputs, typed attributes, shape rule")
        .def("type", &Operator::type, "The operator type, e.g. 'Conv' (ONNX spelling, ReLU for Relu)")
        .def("attributes",
             [](const Operator& op) {
                 py::dict d;
                 for (const auto& kv : op.attributes()) d[py::str(kv.first)] = py_convert::fromAttr(kv.second);
                 return d;
             },
             "Every attribute as a dict name -> value (int, float, str, list of them, or numpy array)")
        .def("get_attr", [](const Operator& op, const std::string& name) { return py_convert::fromAttr(op.getAttribute(name)); },
             py::arg("name"), "The value of attribute `name`. Raises ValueError when the operator has no such attribute.")
        .def("set_attr",
             [](Operator& op, const std::string& name, const py::handle& value) {
                 op.setAttribute(name, py_convert::toAttr(value, op.type() + " attribute '" + name + "'"));
             },
             py::arg("name"), py::arg("value"),
             "Sets attribute `name` to `value` (int, float, str, a list of them or a numpy array). Raises "
             "TypeError naming the attribute for any other value.")
        .def("has_attr", &Operator::hasAttribute, py::arg("name"), "True when the operator has attribute `name`")
        .def("input_specs",
             [](const Operator& op) {
                 py::list out;
                 for (const auto& s : op.inputSpecs()) out.append(py::make_tuple(s.name, categoryName(s.category)));
                 return out;
             },
             "(name, category) per input, category 'data', 'param' or 'optional_param'")
        .def(
            "value",
            [](Operator& op) { return py_convert::toNumpy(producerOf(op).value(), false); },
            "A Producer's tensor as a read-only numpy array sharing memory (change it with write_value or "
            "set_value). Raises ValueError for any other operator.")
        .def(
            "write_value",
            [](Operator& op, const py::handle& array) {
                producerOf(op).assign(py_convert::toTensor(array, "Producer value"), "Producer value");
            },
            py::arg("array"),
            "Copies `array` into a Producer's tensor in place (same shape and element type, else ValueError "
            "and nothing written); arrays from value() show the new values.")
        .def(
            "set_value",
            [](Operator& op, const py::handle& array) {
                producerOf(op).setValue(py_convert::toTensor(array, "Producer value").clone());
            },
            py::arg("array"),
            "Replaces a Producer's tensor with a copy of `array` (any shape). Raises ValueError for any other "
            "operator, TypeError for an unsupported element type.")
        .def("nb_inputs", &Operator::nbInputs, "Number of inputs (data and parameters)")
        .def("nb_outputs", &Operator::nbOutputs, "Number of outputs")
        .def("__eq__", [](const Operator& a, const Operator& b) { return a.sameAttributes(b); }, py::arg("other"))
        .def("__repr__", &Operator::toString);

    m.def("operator_types", &operatorTypes, "Every operator type the core knows, as a list of names");
    m.def("activation_types", &activationTypes,
          "The element-wise activation types (ReLU, ReLU6, ...), in list order, as a list of names; FIBNLR can measure each");
    m.def(
        "make_operator",
        [](const std::string& type, const py::dict& attrs, std::size_t nbInputs) {
            return makeOperator(type, toAttrList(attrs, type), nbInputs);
        },
        py::arg("type"), py::arg("attrs") = py::dict(), py::arg("nb_inputs") = 0,
        "A new Operator.\n\nArgs:\n    type: one of operator_types().\n    attrs: attribute name -> value.\n"
        "    nb_inputs: number of inputs for variadic operators (Concat, Sum, ...); 0 = the type's default.\n\n"
        "Raises:\n    ValueError: unknown type or invalid attribute (named).");
}

} // namespace fibnlr::bindings
