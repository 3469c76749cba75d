#include "Convert.hpp"

#include "fibnlr/data/CheckedMath.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

void bindData(py::module_& m) {
    // The enum's real name is DataType (pybind11-stubgen and type checkers
    // would confuse a class named `dtype` with numpy's); `dtype` stays as an
    // alias because the README and ported scripts write fibnlr.dtype.float32.
    py::enum_<DataType>(m, "DataType", "Element type of a tensor (also reachable as fibnlr.dtype)")
        .value("float32", DataType::Float32, "32-bit IEEE float: activations and weights")
        .value("int64", DataType::Int64, "64-bit signed integer: indices and shapes");
    m.attr("dtype") = m.attr("DataType");

    py::class_<Tensor>(m, "Tensor", py::buffer_protocol(),
                       "A contiguous n-d array; shares memory with numpy both ways (np.asarray(t))")
        .def(py::init([](const py::handle& array) { return py_convert::toTensor(array, "Tensor"); }), py::arg("array"),
             "Wraps `array` (a C-contiguous float32 or int64 numpy array is shared, anything else copied). "
             "Raises TypeError for other element types.")
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
        .def("dims", [](const Tensor& t) { return t.dims(); }, "The shape, a list of ints")
        .def_property_readonly("dtype", &Tensor::dataType, "The element type (a DataType)")
        .def("numpy", [](const Tensor& t) { return py_convert::toNumpy(t); }, "A numpy view sharing this tensor's memory")
        .def("__repr__", [](const Tensor& t) { return "Tensor(" + toString(t.dims()) + ", " + toString(t.dataType()) + ")"; });

    m.def("memory_limit", &memoryLimit,
          "The number of bytes no tensor and no compiled memory plan may exceed.\n\n"
          "Returns:\n    int: the limit in bytes (default half the physical memory). compile and load_onnx raise "
          "ValueError naming the node when a tensor or plan would exceed it.");
    m.def("set_memory_limit", &setMemoryLimit, py::arg("nbytes"),
          "Sets the memory limit.\n\nArgs:\n    nbytes: the new limit in bytes (default: half the physical memory).");
}

} // namespace fibnlr::bindings
