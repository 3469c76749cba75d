#include "fibnlr/kernels/ref/BatchNorm.hpp"

#include <cmath>

#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/BatchNorm.hpp"

namespace fibnlr {

void batchnorm_f32_ref(const BatchNormParams& p, const float* x, const float* scale, const float* bias,
                       const float* mean, const float* var, float* y) {
    for (std::size_t n = 0; n < p.batch; ++n)
        for (std::size_t c = 0; c < p.channels; ++c) {
            const double s = scale[c] / std::sqrt(static_cast<double>(var[c]) + p.epsilon);
            const std::size_t base = (n * p.channels + c) * p.inner;
            for (std::size_t i = base; i < base + p.inner; ++i)
                y[i] = static_cast<float>((x[i] - static_cast<double>(mean[c])) * s + bias[c]);
        }
}

void launchBatchNormRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const AxisView v = axisView(in[0]->dims(), 1);
    const BatchNormParams p{v.outer, v.dim, v.inner, static_cast<const BatchNormOp&>(op).attrs.epsilon};
    batchnorm_f32_ref(p, in[0]->data<float>(), in[1]->data<float>(), in[2]->data<float>(), in[3]->data<float>(),
                      in[4]->data<float>(), out[0]->data<float>());
}

} // namespace fibnlr
