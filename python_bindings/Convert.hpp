#pragma once
// Conversions shared by the bind_*.cpp files: numpy <-> Tensor without copies,
// attribute values <-> Python, annotation values <-> Python.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <functional>
#include <typeindex>

#include "fibnlr/data/Tensor.hpp"
#include "fibnlr/graph/Annotations.hpp"
#include "fibnlr/operator/Attribute.hpp"

namespace fibnlr::py_convert {

namespace py = pybind11;

/// Wraps a numpy array without copying when it is C-contiguous float32/int64;
/// otherwise copies into a contiguous array of the same kind. Throws TypeError
/// for other dtypes, naming `what`.
Tensor toTensor(const py::handle& obj, const std::string& what);
/// A numpy array sharing the tensor's storage (the array keeps it alive).
/// Parameters are handed out read-only: numpy writes are invisible to the
/// tensor's write count (TensorStamp), so they go through write_parameter.
py::array toNumpy(const Tensor& t, bool writable = true);

AttrValue toAttr(const py::handle& value, const std::string& what);
py::object fromAttr(const AttrValue& value);

/// Annotation conversion: recipes register their C++ types so annotations
/// set from C++ are readable (as live objects) from Python and vice versa.
struct AnnotationType {
    std::type_index type;
    std::function<py::object(const std::shared_ptr<void>&)> toPython;
    /// Returns an entry when `obj` is an instance of the type, else an entry with null value.
    std::function<Annotations::Entry(const py::handle&)> fromPython;
};
void registerAnnotationType(AnnotationType t);

/// Registers a pybind11-bound class T (bound with a shared_ptr holder).
template <class T> void registerBoundAnnotation() {
    registerAnnotationType(AnnotationType{
        typeid(T),
        [](const std::shared_ptr<void>& p) { return py::cast(std::static_pointer_cast<T>(p)); },
        [](const py::handle& obj) {
            Annotations::Entry e;
            if (py::isinstance<T>(obj)) {
                e.value = obj.cast<std::shared_ptr<T>>();
                e.type = typeid(T);
                e.copy = [](const std::shared_ptr<void>& q) -> std::shared_ptr<void> {
                    return std::make_shared<T>(*static_cast<const T*>(q.get()));
                };
            }
            return e;
        }});
}

py::object annotationToPython(const Annotations::Entry& entry);
Annotations::Entry annotationFromPython(const py::handle& obj);

} // namespace fibnlr::py_convert
