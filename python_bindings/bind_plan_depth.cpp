// fibnlr._core.recipes: _plan_depth / _apply_plan and their result types. Converts, nothing else:
// the algorithm is src/recipes/PlanDepth*.cpp. The names start with '_': the public
// ones are fibnlr.depth_plan's (its dataclasses wrap these), re-exported by fibnlr.recipes.
#include "Convert.hpp"
#include "PythonTimer.hpp"
#include "fibnlr/recipes/PlanDepth.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

namespace {

/// A float32 C-contiguous copy (or view) of an array of images, as a Tensor.
Tensor images(const py::handle& x, const std::string& what) {
    py::array a = py::array_t<float, py::array::c_style | py::array::forcecast>::ensure(x);
    if (!a) throw py::type_error(what + " must be an array of images [N, ...], got " + std::string(py::str(py::type::of(x))));
    return py_convert::toTensor(a, what);
}

} // namespace

void bindPlanDepth(py::module_& m) {
    py::module_ r = m.attr("recipes").cast<py::module_>();
    r.attr("_plan_objectives") = planObjectives();
    r.def("_plan_merge_objective", &planMergeObjective, py::arg("objective"),
          "What simplify's merge plan minimises for a plan objective: latency for latency, else macs.");

    py::class_<PlanCandidate>(r, "_PlanCandidate", "One unit of non-linearities plan_depth considered (C++ PlanCandidate)")
        .def(py::init<>())
        .def_readwrite("nodes", &PlanCandidate::nodes)
        .def_readwrite("npr", &PlanCandidate::npr)
        .def_readwrite("nnpr", &PlanCandidate::nnpr)
        .def_readwrite("gain", &PlanCandidate::gain)
        .def_readwrite("damage", &PlanCandidate::damage)
        .def_readwrite("agreement", &PlanCandidate::agreement)
        .def_readwrite("picked", &PlanCandidate::picked)
        .def_readwrite("why", &PlanCandidate::why);

    py::class_<DepthPlan>(r, "_DepthPlan", "What plan_depth found (C++ DepthPlan); fibnlr.depth_plan.DepthPlan wraps it")
        .def(py::init<>())
        .def_readwrite("objective", &DepthPlan::objective)
        .def_readwrite("max_divergence", &DepthPlan::maxDivergence)
        .def_readwrite("target", &DepthPlan::target)
        .def_readwrite("mode", &DepthPlan::mode)
        .def_readwrite("max_mac_growth", &DepthPlan::maxMacGrowth)
        .def_readwrite("latency_runtime", &DepthPlan::latencyRuntime)
        .def_readwrite("dims", &DepthPlan::dims)
        .def_readwrite("candidates", &DepthPlan::candidates)
        .def_readwrite("picked", &DepthPlan::picked)
        .def_readwrite("picked_types", &DepthPlan::pickedTypes)
        .def_readwrite("cost_before", &DepthPlan::costBefore)
        .def_readwrite("cost_after", &DepthPlan::costAfter)
        .def_readwrite("ratio", &DepthPlan::ratio)
        .def_readwrite("divergence", &DepthPlan::divergence)
        .def_readwrite("agreement", &DepthPlan::agreement)
        .def_readwrite("target_reached", &DepthPlan::targetReached)
        .def_readwrite("message", &DepthPlan::message);

    r.def(
        "_plan_depth",
        [](const GraphView& graph, const py::handle& calibration, const std::string& objective, double maxDivergence,
           std::optional<double> target, const py::object& holdout, const FIBNLRParameters& params,
           const std::string& mode, double maxMacGrowth, const std::string& runtime,
           std::optional<std::size_t> maxCandidates, std::size_t batchSize, std::uint64_t seed,
           const py::object& progress) {
            PlanDepthOptions o;
            o.objective = objective;
            o.maxDivergence = maxDivergence;
            o.target = target;
            if (!holdout.is_none()) o.holdout = images(holdout, "holdout");
            o.params = params;
            o.mode = mode;
            o.maxMacGrowth = maxMacGrowth;
            o.latencyRuntime = runtime;
            o.timer = pythonTimer(runtime);
            o.maxCandidates = maxCandidates;
            o.batchSize = batchSize;
            o.seed = seed;
            if (!progress.is_none())
                o.progress = pythonCallable<void(std::size_t, std::size_t)>(
                    progress, [](const py::object& f, std::size_t done, std::size_t total) { f(done, total); });
            const Tensor x = images(calibration, "calibration");
            // Planning runs forwards for minutes on a large model: other Python threads run
            // meanwhile. The timer and progress callbacks take the GIL themselves
            // (pythonCallable), the tensors release their arrays with it (toTensor).
            py::gil_scoped_release release;
            return planDepth(graph, x, o);
        },
        py::arg("graph"), py::arg("calibration"), py::arg("objective") = "latency", py::arg("max_divergence") = 0.05,
        py::arg("target") = py::none(), py::arg("holdout") = py::none(), py::arg_v("params", FIBNLRParameters{}, "Parameters()"),
        py::arg("mode") = "exact", py::arg("max_mac_growth") = 1.0, py::arg("latency_runtime") = "fibnlr",
        py::arg("max_candidates") = py::none(), py::arg("batch_size") = 64, py::arg("seed") = 0,
        py::arg("progress") = py::none(),
        "The C++ planDepth on an array of calibration images [N, ...] (fibnlr.depth_plan.plan_depth takes any "
        "data and returns its dataclass). progress: None or a callable(done, total).\n\nReturns:\n    DepthPlan\n\n"
        "Raises:\n    ValueError: as fibnlr.depth_plan.plan_depth; the graph is never modified.");
    r.def(
        "_apply_plan",
        [](GraphView& graph, const DepthPlan& plan) { return applyPlan(graph, plan, pythonTimer(plan.latencyRuntime)); },
        py::arg("graph"), py::arg("plan"),
        "The C++ applyPlan: replaces plan.picked by Identity in `graph` and simplifies as the plan priced it.\n\n"
        "Returns:\n    SimplifyResult\n\nRaises:\n    ValueError: naming a picked node that is missing or changed "
        "type; the graph is then unchanged.");
    r.def("_plan_divergence",
          [](const py::handle& reference, const py::handle& logits) {
              return planDivergence(images(reference, "reference"), images(logits, "logits"));
          },
          py::arg("reference"), py::arg("logits"),
          "(mean KL(softmax(reference) || softmax(logits)) in nats, top-1 agreement) of two float32 [N, classes] arrays");
    r.def("_linearise",
          [](GraphView& graph, const std::vector<std::string>& names, const std::string& what) {
              linearise(graph, names, what);
          },
          py::arg("graph"), py::arg("names"), py::arg("what") = "plan",
          "Replaces each named node (one data input, one output) by an Identity of the same name, in place; "
          "ValueError naming a bad name first, the graph then unchanged.");
    r.def("_plan_units", &planUnits, py::arg("graph"), py::arg("prepared"), py::arg("objective"),
          "plan_depth's candidate units (lists of names) over the prepared non-linearities `prepared`");
}

} // namespace fibnlr::bindings
