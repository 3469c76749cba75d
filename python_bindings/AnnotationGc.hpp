#pragma once
// Garbage-collector support for Python objects stored as node annotations.
//
// A Python object kept in a node's annotations is owned by C++, where the
// cycle collector cannot see it: an annotation that refers back to its node
// or graph (node.set_annotation("g", graph)) made a cycle that was never
// freed. These tp_traverse / tp_clear slots report such objects as owned by
// the Python wrapper of the node or graph, but only where that wrapper is
// their only owner (its C++ object is held by nothing else, and each node
// only by its graph), so the collector never frees something C++ still uses.
#include <pybind11/pybind11.h>

namespace fibnlr::bindings {

/// For py::custom_type_setup of the Node and GraphView classes.
void nodeTypeSetup(PyHeapTypeObject* type);
void graphTypeSetup(PyHeapTypeObject* type);
/// Registers the gc.callbacks entry that keeps traversals of one collection consistent.
void installGcCallback();

} // namespace fibnlr::bindings
