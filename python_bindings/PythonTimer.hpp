#pragma once
// Python callables as std::function for the core (the latency timer, plan_depth's progress),
// shared by the merge and plan_depth bindings.
#include <pybind11/pybind11.h>

#include <functional>
#include <memory>
#include <string>

#include "fibnlr/recipes/MergeLatency.hpp"

namespace fibnlr::bindings {

/// A std::function calling `call(fn, args...)` with the GIL held. `fn` is held
/// through a shared_ptr whose deleter takes the GIL, so the core may copy and
/// drop the function on a thread, or in a section, that does not hold the GIL
/// (copying only touches the shared_ptr's count, never Python's).
template <class Sig, class Call> std::function<Sig> pythonCallable(pybind11::object fn, Call call) {
    std::shared_ptr<pybind11::object> held(new pybind11::object(std::move(fn)), [](pybind11::object* p) {
        pybind11::gil_scoped_acquire gil;
        delete p;
    });
    return [held, call](auto&&... args) {
        pybind11::gil_scoped_acquire gil;
        return call(*held, std::forward<decltype(args)>(args)...);
    };
}

/// null for "fibnlr" (the core times on its own backend); for "onnxruntime"
/// fibnlr.merge_latency.onnxruntime_timer(), called with the GIL (ValueError
/// there when onnxruntime is not installed); std::invalid_argument naming any other name.
LatencyTimer pythonTimer(const std::string& runtime);

} // namespace fibnlr::bindings
