// The counting kernels, for benchmarks and checks from Python (fibnlr._core.kernels).
#include "Convert.hpp"
#include "fibnlr/kernels/Counting.hpp"

namespace fibnlr::bindings {

namespace py = pybind11;

namespace {
CountSignsFn kernelNamed(const std::string& name) {
    if (name == "best") return bestCountSigns();
    for (const CountingKernel& k : countingKernels())
        if (k.name == name) {
            if (!k.available()) throw std::invalid_argument("counting kernel '" + name + "' is not available on this CPU");
            return k.fn;
        }
    throw std::invalid_argument("unknown counting kernel '" + name + "'; see counting_kernels()");
}
} // namespace

void bindKernels(py::module_& core) {
    py::module_ m = core.def_submodule("kernels", "Low-level kernels (counting) for benchmarks and checks");
    m.def("counting_kernels", [] {
        std::vector<std::pair<std::string, bool>> out;
        for (const CountingKernel& k : countingKernels()) out.emplace_back(k.name, k.available());
        return out;
    }, "(name, available on this CPU) for every counting kernel; the last available is the one used");
    m.def("best_counting_kernel", [] {
        for (const CountingKernel& k : countingKernels())
            if (k.fn == bestCountSigns()) return k.name;
        return std::string("?");
    }, "The name of the counting kernel FIBNLR uses on this CPU");
    m.def("count_signs", [](const py::handle& array, const std::string& kernel) {
        Tensor t = py_convert::toTensor(array, "count_signs");
        if (t.dataType() != DataType::Float32) throw py::type_error("count_signs: expected float32");
        const Shape& d = t.dims();
        const auto [outer, channels, inner] = countLayout(d);
        CountSignsFn fn = kernelNamed(kernel);
        std::vector<std::uint8_t> alive(channels, 0);
        SignCounts c;
        {
            py::gil_scoped_release release;
            fn(t.data<float>(), outer, channels, inner, alive.data(), c);
        }
        return py::make_tuple(c.neg, c.pos, c.nonFinite, std::vector<bool>(alive.begin(), alive.end()));
    }, py::arg("array"), py::arg("kernel") = "best",
       "(neg mass, pos mass, non-finite count, alive per channel) of a float32 array, channel on axis 1");
    m.def("stream_read", [](const py::handle& array) {
        Tensor t = py_convert::toTensor(array, "stream_read");
        if (t.dataType() != DataType::Float32) throw py::type_error("stream_read: expected float32");
        py::gil_scoped_release release;
        return streamRead_f32(t.data<float>(), t.size());
    }, py::arg("array"), "A plain streaming read (sum) of the array: the bandwidth yardstick");
}

} // namespace fibnlr::bindings
