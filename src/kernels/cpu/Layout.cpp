#include <cmath>
#include <cstring>

#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/operator/Concat.hpp"
#include "fibnlr/operator/LRN.hpp"
#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

void launchConcatCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // Output seen as [outer, Σ dim_k · inner]: each (outer row, input) is one memcpy.
    const std::size_t axis = normalizeAxis(static_cast<const ConcatOp&>(op).attrs.axis, out[0]->nbDims(), "Concat");
    const AxisView yv = axisView(out[0]->dims(), axis);
    const std::size_t yRow = yv.dim * yv.inner;
    std::vector<std::size_t> start(in.size());
    for (std::size_t k = 1; k < in.size(); ++k) start[k] = start[k - 1] + in[k - 1]->dim(axis) * yv.inner;
    float* y = out[0]->data<float>();
    parallelRange(yv.outer * in.size(), 8, [&](std::size_t lo, std::size_t hi) {
        for (std::size_t t = lo; t < hi; ++t) {
            const std::size_t o = t / in.size(), k = t % in.size();
            const std::size_t len = in[k]->dim(axis) * yv.inner;
            std::memcpy(y + o * yRow + start[k], in[k]->data<float>() + o * len, len * sizeof(float));
        }
    });
}

bool supportsSoftmaxLastAxis(const Operator& op, const std::vector<Shape>& in) {
    const Shape& x = in.at(0);
    return !x.empty() && normalizeAxis(static_cast<const SoftmaxOp&>(op).attrs.axis, x.size(), "Softmax") == x.size() - 1;
}

void launchSoftmaxCpu(const Operator&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // Rows along the last axis: y = exp(x − max) / Σ exp(x − max), the sum in double.
    const std::size_t n = in[0]->dims().back(), rows = in[0]->size() / std::max<std::size_t>(1, n);
    const float* x = in[0]->data<float>();
    float* y = out[0]->data<float>();
    const Micro& mk = micro();
    parallelRange(rows, std::max<std::size_t>(1, 4096 / std::max<std::size_t>(1, n)), [&](std::size_t lo, std::size_t hi) {
        for (std::size_t r = lo; r < hi; ++r) {
            const float* xr = x + r * n;
            float* yr = y + r * n;
            const float mx = mk.max(xr, n);
            double s = 0.0;
            for (std::size_t i = 0; i < n; ++i) s += (yr[i] = std::exp(xr[i] - mx));
            const float inv = static_cast<float>(1.0 / s);
            mk.scaleShiftAct(yr, yr, n, inv, 0.f, Activation{});
        }
    });
}

} // namespace fibnlr
