#include <pybind11/pybind11.h>

namespace fibnlr::bindings {
void bindData(pybind11::module_& m);
void bindOperator(pybind11::module_& m);
void bindGraph(pybind11::module_& m);
void bindScheduler(pybind11::module_& m);
void bindRuntime(pybind11::module_& m);
void bindDataProvider(pybind11::module_& m);
void bindRecipes(pybind11::module_& m);
void bindKernels(pybind11::module_& m);
void bindMerge(pybind11::module_& m);
void bindPlanDepth(pybind11::module_& m);
void bindThreads(pybind11::module_& m);
} // namespace fibnlr::bindings

PYBIND11_MODULE(_core, m) {
    m.doc() = "fibnlr C++ core (private: use the fibnlr package)";
    using namespace fibnlr::bindings;
    bindData(m);
    bindOperator(m);
    bindGraph(m);
    bindScheduler(m);
    bindRuntime(m);
    bindDataProvider(m);
    bindRecipes(m);
    bindKernels(m);
    bindMerge(m);
    bindPlanDepth(m);  // after bindMerge: returns its SimplifyResult
    bindThreads(m);  // last: wraps the recipes bound above
}
