#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"

namespace fibnlr {

void launchPReLURef(const Operator&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const Shape& yd = out[0]->dims();
    const Shape& sd = in[1]->dims();
    std::vector<std::size_t> idx(yd.size(), 0);
    const float* x = in[0]->data<float>();
    const float* s = in[1]->data<float>();
    float* y = out[0]->data<float>();
    for (std::size_t i = 0, n = out[0]->size(); i < n; ++i) {
        unravel(i, yd, idx);
        y[i] = x[i] >= 0.f ? x[i] : s[broadcastOffset(sd, idx)] * x[i];  // NaN fails ">=": slope · NaN is NaN
    }
}

} // namespace fibnlr
