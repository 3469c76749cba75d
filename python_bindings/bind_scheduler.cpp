#include "Convert.hpp"
#include "GraphLock.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

void bindScheduler(py::module_& m) {
    auto graph = py::reinterpret_borrow<py::class_<GraphView, GraphViewPtr>>(m.attr("GraphView"));
    graph.def(
        "compile",
        [](GraphView& g, const std::string& backend, DataType datatype, std::vector<Shape> dims) {
            PyGraphLock lock(g);
            py::gil_scoped_release release;
            compile(g, CompileOptions{backend, datatype, std::move(dims)});
        },
        py::arg("backend") = "cpu", py::arg("datatype") = DataType::Float32, py::arg("dims"),
        "Sets the input shapes (overriding the model file's), infers every shape and allocates");
    graph.def(
        "forward",
        [](GraphView& g, py::args args) {
            std::vector<Tensor> inputs;
            py::sequence items = args;
            if (args.size() == 1 && (py::isinstance<py::list>(args[0]) || py::isinstance<py::tuple>(args[0])))
                items = args[0].cast<py::sequence>();
            const auto& gin = g.inputs();
            for (std::size_t i = 0; i < items.size(); ++i)
                inputs.push_back(py_convert::toTensor(
                    items[i], "forward input '" + (i < gin.size() ? gin[i]->name() : std::to_string(i)) + "'"));
            std::vector<Tensor> outs;
            {
                // Calls on one graph run one at a time (its lock); other graphs run in parallel.
                PyGraphLock lock(g);
                py::gil_scoped_release release;
                outs = forward(g, inputs);
            }
            py::list result;
            for (const Tensor& t : outs) result.append(py_convert::toNumpy(t));
            return result;
        },
        "Runs the compiled graph: one numpy float32 array per graph input; returns a list of arrays. Thread-safe: "
        "calls on one graph from several threads run one at a time (the graph's lock), different graphs in "
        "parallel. On any error (MemoryError, KeyboardInterrupt, ValueError) the graph is left as before.");
    graph.def(
        "output_shape",
        [](const GraphView& g, const Node& node, std::size_t index) {
            PyGraphLock lock(g);
            auto s = std::dynamic_pointer_cast<Scheduler>(g.executor());
            if (!s) throw std::invalid_argument("graph '" + g.name() + "' is not compiled");
            return s->outputShape(node, index);
        },
        py::arg("node"), py::arg("index") = 0);
}

} // namespace fibnlr::bindings
