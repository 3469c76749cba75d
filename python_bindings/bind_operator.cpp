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
        .def("type", &Operator::type)
        .def("attributes",
             [](const Operator& op) {
                 py::dict d;
                 for (const auto& kv : op.attributes()) d[py::str(kv.first)] = py_convert::fromAttr(kv.second);
                 return d;
             })
        .def("get_attr", [](const Operator& op, const std::string& name) { return py_convert::fromAttr(op.getAttribute(name)); })
        .def("set_attr",
             [](Operator& op, const std::string& name, const py::handle& value) {
                 op.setAttribute(name, py_convert::toAttr(value, op.type() + " attribute '" + name + "'"));
             })
        .def("has_attr", &Operator::hasAttribute)
        .def("input_specs",
             [](const Operator& op) {
                 py::list out;
                 for (const auto& s : op.inputSpecs()) out.append(py::make_tuple(s.name, categoryName(s.category)));
                 return out;
             })
        .def(
            "value",
            [](Operator& op) {
                auto* p = dynamic_cast<ProducerOp*>(&op);
                if (!p) throw std::invalid_argument(op.type() + " holds no value; only a Producer does");
                return py_convert::toNumpy(p->value());
            },
            "A Producer's tensor as a numpy array sharing memory")
        .def(
            "set_value",
            [](Operator& op, const py::handle& array) {
                auto* p = dynamic_cast<ProducerOp*>(&op);
                if (!p) throw std::invalid_argument(op.type() + " holds no value; only a Producer does");
                p->setValue(py_convert::toTensor(array, "Producer value"));
            },
            py::arg("array"))
        .def("nb_inputs", &Operator::nbInputs)
        .def("nb_outputs", &Operator::nbOutputs)
        .def("__eq__", [](const Operator& a, const Operator& b) { return a.sameAttributes(b); })
        .def("__repr__", &Operator::toString);

    m.def("operator_types", &operatorTypes, "Every operator type the core knows");
    m.def("activation_types", &activationTypes,
          "The element-wise activation types (operator/Activation.hpp), in list order; FIBNLR can measure each");
    m.def(
        "make_operator",
        [](const std::string& type, const py::dict& attrs, std::size_t nbInputs) {
            return makeOperator(type, toAttrList(attrs, type), nbInputs);
        },
        py::arg("type"), py::arg("attrs") = py::dict(), py::arg("nb_inputs") = 0);
}

} // namespace fibnlr::bindings
