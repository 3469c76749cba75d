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
    graph.def(
        "compiled_plan",
        [](const GraphView& g) {
            PyGraphLock lock(g);
            auto s = std::dynamic_pointer_cast<Scheduler>(g.executor());
            if (!s) throw std::invalid_argument("graph '" + g.name() + "' is not compiled");
            return s->describePlan();
        },
        "One line (str) per step of the compiled plan: the node names it runs (fused with '+') and its kernel. "
        "Raises ValueError when the graph is not compiled.");
}

} // namespace fibnlr::bindings
