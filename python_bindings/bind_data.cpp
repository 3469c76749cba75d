#include "Convert.hpp"

#include "fibnlr/data/CheckedMath.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

void bindData(py::module_& m) {
    py::enum_<DataType>(m, "dtype", "Element types of tensors")
        .value("float32", DataType::Float32)
        .value("int64", DataType::Int64);

    py::class_<Tensor>(m, "Tensor", py::buffer_protocol(),
                       "A contiguous n-d array; shares memory with numpy both ways (np.asarray(t))")
        .def(py::init([](const py::handle& array) { return py_convert::toTensor(array, "Tensor"); }), py::arg("array"))
        .def_buffer([](Tensor& t) {
            const std::size_t item = sizeOf(t.dataType());
            std::vector<py::ssize_t> shape(t.dims().begin(), t.dims().end()), strides(t.nbDims());
            py::ssize_t s = static_cast<py::ssize_t>(item);
            for (std::size_t i = t.nbDims(); i-- > 0;) strides[i] = s, s *= shape[i];
            const std::string fmt = t.dataType() == DataType::Float32 ? py::format_descriptor<float>::format()
                                                                       : py::format_descriptor<std::int64_t>::format();
            return py::buffer_info(t.rawData(), static_cast<py::ssize_t>(item), fmt, static_cast<py::ssize_t>(t.nbDims()),
                                   shape, strides);
        })
        .def("dims", [](const Tensor& t) { return t.dims(); })
        .def_property_readonly("dtype", &Tensor::dataType)
        .def("numpy", &py_convert::toNumpy, "A numpy view sharing this tensor's memory")
        .def("__repr__", [](const Tensor& t) { return "Tensor(" + toString(t.dims()) + ", " + toString(t.dataType()) + ")"; });

    m.def("memory_limit", &memoryLimit,
          "Bytes no tensor and no compiled memory plan may exceed (compile raises ValueError naming the node)");
    m.def("set_memory_limit", &setMemoryLimit, py::arg("nbytes"),
          "Sets the memory limit in bytes (default: half the physical memory)");
}

} // namespace fibnlr::bindings
