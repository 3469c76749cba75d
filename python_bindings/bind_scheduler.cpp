#include "Convert.hpp"
#include "GraphLock.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

namespace {

/// The dims argument of compile, kept as the Python object so a bad value
/// gets compile's own error (not pybind11's overload dump); its caster
/// only gives it a readable type in signatures and stubs.
struct DimsArg {
    py::object value;
};

} // namespace
} // namespace fibnlr::bindings

namespace pybind11::detail {
template <> struct type_caster<fibnlr::bindings::DimsArg> {
    PYBIND11_TYPE_CASTER(fibnlr::bindings::DimsArg,
                         const_name("collections.abc.Sequence[collections.abc.Sequence[int]] | None"));
    bool load(handle src, bool) {
        value.value = reinterpret_borrow<object>(src);
        return true;
    }
    static handle cast(const fibnlr::bindings::DimsArg& v, return_value_policy, handle) { return v.value.inc_ref(); }
};
} // namespace pybind11::detail

namespace fibnlr::bindings {

namespace {

/// Annotation the ONNX importer puts on each Input node: the declared shape, 0 for an unknown dim.
constexpr const char* kDeclaredShape = "onnx.input_shape";

std::vector<Shape> declaredDims(const GraphView& g) {
    std::vector<Shape> out;
    for (const NodePtr& in : g.inputs()) {
        const Annotations::Entry* e = in->annotations().entry(kDeclaredShape);
        py::object declared = e ? py_convert::annotationToPython(*e) : py::none();
        Shape shape;
        bool known = py::isinstance<py::list>(declared) && py::len(declared) > 0;
        if (known)
            for (auto d : declared) {
                const auto v = d.cast<std::int64_t>();
                known = known && v > 0;
                shape.push_back(static_cast<std::size_t>(v));
            }
        if (!known)
            throw py::value_error("compile: the shape of input '" + in->name() + "' is not known (" +
                                  (e ? "the model declares " + std::string(py::str(declared)) : std::string("not declared")) +
                                  "); pass dims, one shape per input, e.g. graph.compile(dims=[[1, 3, 32, 32]])");
        out.push_back(std::move(shape));
    }
    return out;
}

std::vector<Shape> dimsFrom(const GraphView& g, const py::object& dims) {
    if (dims.is_none()) return declaredDims(g);
    try {
        return dims.cast<std::vector<Shape>>();
    } catch (const py::cast_error&) {
        throw py::type_error("compile: dims " + std::string(py::repr(dims)) +
                             " is not valid; expected a list of shapes (lists of non-negative ints), one per graph "
                             "input, e.g. [[1, 3, 32, 32]]");
    }
}

void compileGraph(GraphView& g, const std::string& backend, DataType datatype, const py::object& dims) {
    std::vector<Shape> shapes = dimsFrom(g, dims);
    PyGraphLock lock(g);
    py::gil_scoped_release release;
    compile(g, CompileOptions{backend, datatype, std::move(shapes)});
}

} // namespace

void bindScheduler(py::module_& m) {
    auto graph = py::reinterpret_borrow<py::class_<GraphView, GraphViewPtr>>(m.attr("GraphView"));
    // Two overloads, tried in this order: the upstream string-first form
    // compile("cpu", datatype, dims) (the README shows it), then the clean
    // form compile(dims, backend="cpu", datatype=float32). dims is taken as a
    // Python object and converted here so a bad value gets a clear error.
    const char* compileDoc =
        "Sets the input shapes, infers every shape and allocates the memory plan.\n\n"
        "Args:\n"
        "    dims: one shape (list of ints) per graph input, e.g. [[64, 3, 32, 32]]; it overrides the model "
        "file's shapes. None: the shapes the model file declares (load_onnx), which must be fully known.\n"
        "    backend: 'cpu' (fast kernels, fused epilogues) or 'ref' (reference kernels, one step per node).\n"
        "    datatype: the element type, DataType.float32 (the only one compute runs in).\n\n"
        "Raises:\n"
        "    ValueError: dims missing while an input's declared shape is unknown, the wrong number of shapes, "
        "a zero dim, an unknown backend, or a tensor above memory_limit() (the node is named).\n"
        "    TypeError: dims that is not a list of lists of ints.";
    graph.def(
        "compile",
        [](GraphView& g, const std::string& backend, DataType datatype, const DimsArg& dims) {
            compileGraph(g, backend, datatype, dims.value);
        },
        py::arg("backend"), py::arg("datatype") = DataType::Float32, py::arg("dims").none(true) = py::none(),
        "The upstream argument order compile(backend, datatype, dims), as compile(dims, backend, datatype) below.");
    graph.def(
        "compile",
        [](GraphView& g, const DimsArg& dims, const std::string& backend, DataType datatype) {
            compileGraph(g, backend, datatype, dims.value);
        },
        py::arg("dims").none(true) = py::none(), py::arg("backend") = "cpu", py::arg("datatype") = DataType::Float32,
        compileDoc);
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
        py::arg("node"), py::arg("index") = 0,
        "The shape (list of ints) of output `index` of `node` in the compiled graph. Raises ValueError when the "
        "graph is not compiled.");
}

} // namespace fibnlr::bindings
