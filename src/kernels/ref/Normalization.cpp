#include <algorithm>
#include <cmath>
#include <limits>

#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/LRN.hpp"
#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

void launchLRNRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // ONNX: square_sum[c] = Σ x[c']² over c' in [c − floor((size−1)/2), c + ceil((size−1)/2)] ∩ [0, C),
    // y = x / (bias + alpha / size · square_sum)^beta.
    const LRNAttrs& a = static_cast<const LRNOp&>(op).attrs;
    const auto size = static_cast<std::size_t>(a.size);
    const std::size_t before = (size - 1) / 2, after = size / 2;  // floor and ceil of (size − 1) / 2
    const AxisView v = axisView(in[0]->dims(), 1);
    const float* x = in[0]->data<float>();
    float* y = out[0]->data<float>();
    for (std::size_t n = 0; n < v.outer; ++n)
        for (std::size_t c = 0; c < v.dim; ++c)
            for (std::size_t i = 0; i < v.inner; ++i) {
                const auto at = [&](std::size_t ch) { return (n * v.dim + ch) * v.inner + i; };
                double sq = 0.0;
                for (std::size_t c2 = c > before ? c - before : 0; c2 <= std::min(c + after, v.dim - 1); ++c2)
                    sq += static_cast<double>(x[at(c2)]) * x[at(c2)];
                const double scale = a.bias + a.alpha / static_cast<double>(size) * sq;
                y[at(c)] = static_cast<float>(x[at(c)] / std::pow(scale, a.beta));
            }
}

void launchSoftmaxRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // Opset 13: along one axis, y = exp(x − max) / Σ exp(x − max); subtracting the max cannot overflow.
    const std::size_t axis = normalizeAxis(static_cast<const SoftmaxOp&>(op).attrs.axis, in[0]->nbDims(), "Softmax");
    const AxisView v = axisView(in[0]->dims(), axis);
    const float* x = in[0]->data<float>();
    float* y = out[0]->data<float>();
    for (std::size_t o = 0; o < v.outer; ++o)
        for (std::size_t i = 0; i < v.inner; ++i) {
            const auto at = [&](std::size_t d) { return (o * v.dim + d) * v.inner + i; };
            float mx = -std::numeric_limits<float>::infinity();
            for (std::size_t d = 0; d < v.dim; ++d) mx = std::max(mx, x[at(d)]);
            double sum = 0.0;
            for (std::size_t d = 0; d < v.dim; ++d) sum += std::exp(static_cast<double>(x[at(d)]) - mx);
            for (std::size_t d = 0; d < v.dim; ++d)
                y[at(d)] = static_cast<float>(std::exp(static_cast<double>(x[at(d)]) - mx) / sum);
        }
}

} // namespace fibnlr
