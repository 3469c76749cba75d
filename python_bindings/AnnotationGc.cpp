#include "AnnotationGc.hpp"

#include <mutex>
#include <unordered_map>

#include "fibnlr/graph/GraphView.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

namespace {

/// The shared_ptr held by a pybind11 wrapper, or null before __init__ ran.
template <class T> const std::shared_ptr<T>* holderOf(PyObject* self) {
    if (!py::detail::is_holder_constructed(self)) return nullptr;
    auto vh = reinterpret_cast<py::detail::instance*>(self)->get_value_and_holder();
    return &vh.holder<std::shared_ptr<T>>();
}

/// Annotation keys of `node` holding a Python object owned by that entry alone.
template <class Fn> void forEachOwnedObject(const Node& node, Fn fn) {
    for (const std::string& key : node.annotations().keys()) {
        const Annotations::Entry* e = node.annotations().entry(key);
        if (e && e->type == typeid(py::object) && e->value.use_count() == 1)
            fn(key, static_cast<py::object*>(e->value.get())->ptr());
    }
}

/// A collection calls tp_traverse several times and needs the same answers
/// each time. During a collection (gc.callbacks "start" to "stop") a graph's
/// lock is taken at its first traversal and kept to the end, or, when another
/// thread holds it, the graph reports nothing for the whole collection.
/// Guarded by the GIL.
bool gCollecting = false;
std::unordered_map<const GraphView*, std::recursive_mutex*> gDecided;  // null: skipped

void gcCallback(const py::str& phase, const py::dict&) {
    if (phase.cast<std::string>() == "start") {
        gCollecting = true;
        return;
    }
    gCollecting = false;
    for (auto& kv : gDecided)
        if (kv.second) kv.second->unlock();
    gDecided.clear();
}

/// Whether `graph` may be traversed now (see above).
bool lockForTraversal(const GraphView& graph, std::unique_lock<std::recursive_mutex>& scoped) {
    if (!gCollecting) {  // gc.get_referents and the like: one consistent look is enough
        scoped = std::unique_lock<std::recursive_mutex>(graph.mutex(), std::try_to_lock);
        return scoped.owns_lock();
    }
    auto it = gDecided.find(&graph);
    if (it != gDecided.end()) return it->second != nullptr;
    std::recursive_mutex* m = graph.mutex().try_lock() ? &graph.mutex() : nullptr;
    gDecided.emplace(&graph, m);
    return m != nullptr;
}

/// Nodes of `graph` owned by the graph alone (node list, inputs, outputs,
/// links from its nodes, its compiled executor when the graph alone holds it).
/// Empty when the graph is busy in another thread (its lock is held).
template <class Fn> void forEachOwnedNode(const GraphView& graph, Fn fn) {
    std::unique_lock<std::recursive_mutex> scoped;
    if (!lockForTraversal(graph, scoped)) return;  // busy: report nothing (conservative)
    std::unordered_map<const Node*, std::size_t> refs;
    for (const NodePtr& n : graph.nodesUnordered()) {
        ++refs[n.get()];
        for (std::size_t i = 0; i < n->nbInputs(); ++i)
            if (n->input(i).node) ++refs[n->input(i).node.get()];
    }
    for (const NodePtr& n : graph.inputs()) ++refs[n.get()];
    for (const Port& p : graph.outputs()) ++refs[p.node.get()];
    if (graph.executor() && graph.executor().use_count() == 1) graph.executor()->countNodeReferences(refs);
    for (const NodePtr& n : graph.nodesUnordered())
        if (static_cast<std::size_t>(n.use_count()) == refs[n.get()]) fn(*n);
}

int nodeTraverse(PyObject* self, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(self));
    const auto* holder = holderOf<Node>(self);
    if (holder && *holder && holder->use_count() == 1)
        forEachOwnedObject(**holder, [&](const std::string&, PyObject* obj) {
            if (obj) {
                int r = visit(obj, arg);
                if (r) throw r;
            }
        });
    return 0;
}

int graphTraverse(PyObject* self, visitproc visit, void* arg) {
    Py_VISIT(Py_TYPE(self));
    const auto* holder = holderOf<GraphView>(self);
    if (holder && *holder && holder->use_count() == 1)
        forEachOwnedNode(**holder, [&](const Node& n) {
            forEachOwnedObject(n, [&](const std::string&, PyObject* obj) {
                if (obj) {
                    int r = visit(obj, arg);
                    if (r) throw r;
                }
            });
        });
    return 0;
}

/// Drops the reported objects (the wrapper is garbage: nothing else can read them).
void clearNode(Node& node) {
    std::vector<std::string> keys;
    forEachOwnedObject(node, [&](const std::string& key, PyObject*) { keys.push_back(key); });
    for (const std::string& k : keys) node.annotations().erase(k);
}

int nodeClear(PyObject* self) {
    const auto* holder = holderOf<Node>(self);
    if (holder && *holder && holder->use_count() == 1) clearNode(**holder);
    return 0;
}

int graphClear(PyObject* self) {
    const auto* holder = holderOf<GraphView>(self);
    if (holder && *holder && holder->use_count() == 1) {
        std::vector<Node*> nodes;
        forEachOwnedNode(**holder, [&](const Node& n) { nodes.push_back(const_cast<Node*>(&n)); });
        for (Node* n : nodes) clearNode(*n);
    }
    return 0;
}

/// tp_traverse must not throw: a visit result other than 0 travels as an int exception.
template <int (*F)(PyObject*, visitproc, void*)> int noThrow(PyObject* self, visitproc visit, void* arg) {
    try {
        return F(self, visit, arg);
    } catch (int r) {
        return r;
    } catch (...) {
        return 0;
    }
}
template <int (*F)(PyObject*)> int noThrowClear(PyObject* self) {
    try {
        return F(self);
    } catch (...) {
        return 0;
    }
}

void setup(PyHeapTypeObject* heap, traverseproc traverse, inquiry clear) {
    PyTypeObject* type = &heap->ht_type;
    type->tp_flags |= Py_TPFLAGS_HAVE_GC;
    type->tp_traverse = traverse;
    type->tp_clear = clear;
}

} // namespace

void installGcCallback() {
    py::module_::import("gc").attr("callbacks").attr("append")(py::cpp_function(gcCallback));
}

void nodeTypeSetup(PyHeapTypeObject* type) { setup(type, noThrow<nodeTraverse>, noThrowClear<nodeClear>); }
void graphTypeSetup(PyHeapTypeObject* type) { setup(type, noThrow<graphTraverse>, noThrowClear<graphClear>); }

} // namespace fibnlr::bindings
