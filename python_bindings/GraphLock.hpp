#pragma once
// Taking a graph's lock from the bindings. A thread that holds the lock may
// need the GIL (a Python batch iterable, the Ctrl-C check, freeing a Python
// annotation), so a thread must never wait for the lock while it holds the
// GIL: it waits with the GIL released, then takes the GIL back.
#include <pybind11/pybind11.h>

#include "fibnlr/graph/GraphView.hpp"

namespace fibnlr::bindings {

class PyGraphLock {
public:
    /// Call with the GIL held.
    explicit PyGraphLock(const GraphView& graph) : mMutex(graph.mutex()) {
        if (!mMutex.try_lock()) {
            pybind11::gil_scoped_release release;
            mMutex.lock();
        }
    }
    ~PyGraphLock() { mMutex.unlock(); }
    PyGraphLock(const PyGraphLock&) = delete;
    PyGraphLock& operator=(const PyGraphLock&) = delete;

private:
    std::recursive_mutex& mMutex;
};

} // namespace fibnlr::bindings
