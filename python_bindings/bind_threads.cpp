// Threads and failures: graph.lock(), Ctrl-C inside long runs, all-or-nothing
// recipes, and the private fault-injection switch used by the tests.
#include "Convert.hpp"
#include "GraphLock.hpp"
#include "fibnlr/data/Allocation.hpp"
#include "fibnlr/graph/GraphSnapshot.hpp"
#include "fibnlr/scheduler/Cancellation.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

namespace {

/// The object `with graph.lock():` enters. Recursive, like the C++ lock.
struct GraphLockContext {
    GraphViewPtr graph;
    std::size_t depth = 0;
};

/// The graph a recipe is called on: its first positional argument or `graph=`.
GraphViewPtr graphArgument(const py::args& args, const py::kwargs& kwargs) {
    py::object g;
    if (args.size() > 0) g = args[0];
    else if (kwargs.contains("graph")) g = kwargs["graph"];
    if (!g || !py::isinstance<GraphView>(g)) return nullptr;
    return g.cast<GraphViewPtr>();
}

/// Replaces recipes.<name> by a function that holds the graph's lock (waiting
/// without the GIL) and puts the graph back as it was when the recipe throws.
void guardRecipe(py::module_& recipes, const char* name) {
    py::object inner = recipes.attr(name);
    py::options options;
    options.disable_function_signatures();  // the inner docstring already starts with the signature
    recipes.attr(name) = py::cpp_function(
        [inner](py::args args, py::kwargs kwargs) -> py::object {
            GraphViewPtr graph = graphArgument(args, kwargs);
            if (!graph) return inner(*args, **kwargs);  // the inner function raises TypeError
            PyGraphLock lock(*graph);
            GraphSnapshot snapshot(*graph);
            try {
                return inner(*args, **kwargs);
            } catch (...) {
                snapshot.restore();
                throw;
            }
        },
        py::name(name), py::doc(py::str(inner.attr("__doc__")).cast<std::string>().c_str()));
}

} // namespace

void bindThreads(py::module_& m) {
    py::class_<GraphLockContext>(m, "GraphLock", "Context manager holding a graph's lock (graph.lock())")
        .def("__enter__",
             [](GraphLockContext& c) {
                 std::recursive_mutex& mutex = c.graph->mutex();
                 if (!mutex.try_lock()) {
                     py::gil_scoped_release release;
                     mutex.lock();
                 }
                 ++c.depth;
                 return c.graph;
             })
        .def("__exit__", [](GraphLockContext& c, const py::args&) {
            if (c.depth == 0) throw py::value_error("GraphLock.__exit__ without __enter__");
            --c.depth;
            c.graph->mutex().unlock();
            return false;
        });
    auto graph = py::reinterpret_borrow<py::class_<GraphView, GraphViewPtr>>(m.attr("GraphView"));
    graph.def(
        "lock", [](const GraphViewPtr& g) { return GraphLockContext{g}; },
        "`with graph.lock():` holds the graph's lock: forward, compile and the recipes of other threads wait "
        "until the block ends. Use it around edits of the graph's nodes (parameters, annotations, links) while "
        "other threads may run it. Recursive: the holder may call forward and the recipes itself.");

    // Ctrl-C: long runs call the stop check between batches and steps; it
    // takes the GIL (at most every 50 ms) and raises what a signal handler set.
    setStopCheck([] {
        if (!Py_IsInitialized()) return;
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) throw py::error_already_set();
    });
    py::module_::import("atexit").attr("register")(py::cpp_function([] { setStopCheck({}); }));

    py::module_ recipes = m.attr("recipes").cast<py::module_>();
    for (const char* name : {"fibnlr_prepare", "fibnlr_compute", "fibnlr_compute_NNPR", "fibnlr_prune", "fibnlr",
                             "fibnlr_find_groups", "fibnlr_find_node_by_group", "fibnlr_prepared_nodes",
                             "fold_batchnorm", "remove_identity", "merge_convolutions", "fold_residual", "simplify",
                             "layer_costs", "_plan_depth", "_apply_plan", "_linearise"})
        if (py::hasattr(recipes, name)) guardRecipe(recipes, name);
    // The clean names (prepare, compute, ...) are given by the Python package
    // fibnlr.recipes, so this compiled module holds each function once.

    py::module_ testing = m.def_submodule("_testing", "Test hooks (private)");
    testing.def("fail_allocation", [](std::size_t n) { fibnlr::testing::failAllocation(n); }, py::arg("n"),
                "The n-th next tensor or plan buffer allocation raises MemoryError (once); 0 switches it off");
    testing.def("allocation_count", [] { return fibnlr::testing::allocationCount(); },
                "The number of tensor and plan buffer allocations so far");
}

} // namespace fibnlr::bindings
