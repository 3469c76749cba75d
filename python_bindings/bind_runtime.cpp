#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include "GraphLock.hpp"

#include "fibnlr/kernels/cpu/Micro.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

void bindRuntime(py::module_& m) {
    m.def("set_num_threads", [](std::size_t n) { setNumThreads(n); }, py::arg("n"),
          "Threads for fibnlr's kernels and its OpenBLAS (one shared pool; idle threads spin up to FIBNLR_SPIN_US, default 300 µs, then sleep). "
          "0 restores the default: FIBNLR_NUM_THREADS, else the number of cores.");
    m.def("get_num_threads", [] { return numThreads(); }, "The number of threads the kernels use now");
    m.def("set_kernels", [](const std::string& mode) { setKernels(mode); }, py::arg("mode"),
          "'cpu' (fast kernels, widest SIMD path: AVX-512, AVX2 or plain; default), 'cpu-avx2' (at most "
          "AVX2), 'cpu-generic' (no AVX2) or 'ref' (reference kernels everywhere). Also settable with the environment variable FIBNLR_KERNELS. Compiled graphs "
          "re-plan at their next forward. Raises ValueError for another mode.");
    m.def("get_kernels", [] { return kernels(); }, "The kernel mode set by set_kernels: 'cpu', 'cpu-avx2', 'cpu-generic' or 'ref'");
    m.def("simd_path", [] { return std::string(micro().name); },
          "The SIMD path the fast kernels use now: 'avx512', 'avx2' or 'generic'.");
    auto graph = py::reinterpret_borrow<py::class_<GraphView, GraphViewPtr>>(m.attr("GraphView"));
    // The graph's compiled plan (the caller holds its lock); ValueError when it has none.
    auto scheduler = [](const GraphView& g) {
        auto s = std::dynamic_pointer_cast<Scheduler>(g.executor());
        if (!s) throw std::invalid_argument("graph '" + g.name() + "' is not compiled");
        return s;
    };
    graph.def(
        "compiled_plan",
        [scheduler](const GraphView& g) {
            PyGraphLock lock(g);
            return scheduler(g)->describePlan();
        },
        "One line (str) per step of the compiled plan: the node names it runs (fused with '+') and its kernel. "
        "Raises ValueError when the graph is not compiled.");
    graph.def(
        "profile_steps",
        [scheduler](const GraphView& g, bool enabled) {
            PyGraphLock lock(g);
            scheduler(g)->setProfiling(enabled);
        },
        py::arg("enabled") = true,
        "Times every step of the compiled plan in the forwards that follow (enabled=True; two clock reads per step), "
        "or stops (False). Either way, clears what was timed. A re-plan (new batch size, changed graph) starts "
        "afresh. Raises ValueError when the graph is not compiled.");
    graph.def(
        "step_times",
        [scheduler](const GraphView& g) {
            PyGraphLock lock(g);
            const auto s = scheduler(g);
            if (s->profiledRuns() == 0)
                throw std::invalid_argument("graph '" + g.name() +
                                            "': no forward was timed since profiling started; call profile_steps(), then forward()");
            const std::vector<std::string> lines = s->describePlan();
            const std::vector<double> secs = s->stepSeconds();
            std::vector<std::pair<std::string, double>> out;
            for (std::size_t i = 0; i < lines.size(); ++i) out.emplace_back(lines[i], secs[i]);
            return out;
        },
        "(compiled_plan() line, mean seconds per timed forward) for every step, in plan order. Raises ValueError "
        "when the graph is not compiled or no forward was timed since profile_steps().");
}

} // namespace fibnlr::bindings
