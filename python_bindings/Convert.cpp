#include "Convert.hpp"

#include <cstdint>
#include <vector>

namespace fibnlr::py_convert {

namespace {
/// Keeps a Python object alive from C++; takes the GIL to release it because
/// the last reference may drop on a thread that does not hold it.
std::shared_ptr<void> keepAlive(py::object obj) {
    return std::shared_ptr<void>(new py::object(std::move(obj)), [](void* p) {
        py::gil_scoped_acquire gil;
        delete static_cast<py::object*>(p);
    });
}
} // namespace

Tensor toTensor(const py::handle& obj, const std::string& what) {
    py::array arr = py::array::ensure(obj);
    if (!arr) throw py::type_error(what + ": expected a numpy array, got " + std::string(py::str(py::type::of(obj))));
    DataType type;
    if (arr.dtype().is(py::dtype::of<float>())) type = DataType::Float32;
    else if (arr.dtype().is(py::dtype::of<std::int64_t>())) type = DataType::Int64;
    else
        throw py::type_error(what + ": dtype " + std::string(py::str(arr.dtype())) + " is not supported; expected float32");
    if (!(arr.flags() & py::array::c_style)) arr = py::array::ensure(arr, py::array::c_style);
    Shape dims(arr.shape(), arr.shape() + arr.ndim());
    void* data = const_cast<void*>(arr.data());
    return Tensor::wrap(data, dims, type, keepAlive(arr));
}

py::array toNumpy(const Tensor& t, bool writable) {
    auto holder = new Tensor(t);
    py::capsule base(holder, [](void* p) { delete static_cast<Tensor*>(p); });
    std::vector<py::ssize_t> shape(t.dims().begin(), t.dims().end());
    py::array a = t.dataType() == DataType::Int64
                      ? py::array(py::array_t<std::int64_t>(shape, static_cast<const std::int64_t*>(t.rawData()), base))
                      : py::array(py::array_t<float>(shape, static_cast<const float*>(t.rawData()), base));
    if (!writable) a.attr("flags").attr("writeable") = false;
    return a;
}

AttrValue toAttr(const py::handle& v, const std::string& what) {
    if (py::isinstance<py::bool_>(v)) return static_cast<std::int64_t>(v.cast<bool>());
    if (py::isinstance<py::int_>(v)) return v.cast<std::int64_t>();
    if (py::isinstance<py::float_>(v)) return v.cast<float>();
    if (py::isinstance<py::str>(v)) return v.cast<std::string>();
    if (py::isinstance<py::array>(v)) return toAttr(v.attr("tolist")(), what);
    if (py::isinstance<py::sequence>(v)) {
        auto seq = v.cast<py::sequence>();
        bool allInt = true;
        for (auto item : seq) {
            if (py::isinstance<py::int_>(item) && !py::isinstance<py::bool_>(item)) continue;
            if (py::isinstance<py::float_>(item)) allInt = false;
            else throw py::type_error(what + ": list items must be int or float, got " + std::string(py::str(item)));
        }
        if (allInt) return seq.cast<std::vector<std::int64_t>>();
        return seq.cast<std::vector<float>>();
    }
    // numpy scalars
    if (py::hasattr(v, "item")) return toAttr(v.attr("item")(), what);
    throw py::type_error(what + ": unsupported attribute value " + std::string(py::repr(v)));
}

py::object fromAttr(const AttrValue& value) {
    return std::visit([](const auto& x) -> py::object { return py::cast(x); }, value);
}

namespace {
std::vector<AnnotationType>& registry() {
    static std::vector<AnnotationType> types;
    return types;
}
} // namespace

void registerAnnotationType(AnnotationType t) { registry().push_back(std::move(t)); }

py::object annotationToPython(const Annotations::Entry& e) {
    if (e.type == typeid(py::object)) return *static_cast<py::object*>(e.value.get());
    if (e.type == typeid(double)) return py::cast(*static_cast<double*>(e.value.get()));
    if (e.type == typeid(std::int64_t)) return py::cast(*static_cast<std::int64_t*>(e.value.get()));
    if (e.type == typeid(bool)) return py::cast(*static_cast<bool*>(e.value.get()));
    if (e.type == typeid(std::string)) return py::cast(*static_cast<std::string*>(e.value.get()));
    for (const AnnotationType& t : registry())
        if (t.type == e.type) return t.toPython(e.value);
    throw py::type_error("annotation of C++ type " + std::string(e.type.name()) + " has no Python conversion");
}

Annotations::Entry annotationFromPython(const py::handle& obj) {
    for (const AnnotationType& t : registry()) {
        Annotations::Entry e = t.fromPython(obj);
        if (e.value) return e;
    }
    auto make = [](auto value) {
        using T = decltype(value);
        Annotations::Entry e;
        e.value = std::make_shared<T>(value);
        e.type = typeid(T);
        e.copy = [](const std::shared_ptr<void>& q) -> std::shared_ptr<void> {
            return std::make_shared<T>(*static_cast<const T*>(q.get()));
        };
        return e;
    };
    if (py::isinstance<py::bool_>(obj)) return make(obj.cast<bool>());
    if (py::isinstance<py::int_>(obj)) return make(obj.cast<std::int64_t>());
    if (py::isinstance<py::float_>(obj)) return make(obj.cast<double>());
    if (py::isinstance<py::str>(obj)) return make(obj.cast<std::string>());
    // Any other Python object is stored as is (shared, not copied, by GraphView::clone).
    Annotations::Entry e;
    e.value = std::shared_ptr<void>(new py::object(py::reinterpret_borrow<py::object>(obj)), [](void* p) {
        py::gil_scoped_acquire gil;
        delete static_cast<py::object*>(p);
    });
    e.type = typeid(py::object);
    return e;
}

} // namespace fibnlr::py_convert
