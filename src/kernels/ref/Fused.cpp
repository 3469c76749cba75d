#include <cmath>

#include "fibnlr/kernels/Counting.hpp"
#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/ref/BatchNorm.hpp"
#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/operator/Fused.hpp"

namespace fibnlr {

void launchFusedRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // The unfused meaning of a FusedOp: its base's reference kernel, then the activation element-wise.
    const auto& f = static_cast<const FusedOp&>(op);
    const std::size_t nb = f.base().nbInputs();
    findKernel(f.base().type(), "ref")(f.base(), std::vector<const Tensor*>(in.begin(), in.begin() + nb), out);
    if (f.hasBatchNorm()) {
        const AxisView v = axisView(out[0]->dims(), 1);
        batchnorm_f32_ref(BatchNormParams{v.outer, v.dim, v.inner, f.epsilon()}, out[0]->data<float>(),
                          in[nb]->data<float>(), in[nb + 1]->data<float>(), in[nb + 2]->data<float>(),
                          in[nb + 3]->data<float>(), out[0]->data<float>());
    }
    float* y = out[0]->data<float>();
    const auto [outer, C, inner] = countLayout(out[0]->dims());  // channel of element i: (i / inner) % C
    if (EpilogueStats* st = f.stats()) {
        // Sign statistics of the pre-activation values, one element at a time in double.
        for (std::size_t i = 0, n = out[0]->size(); i < n; ++i) {
            const float v = y[i];
            if (!std::isfinite(v)) ++st->nonFinite;
            else if (v < 0.f) st->neg -= v;
            else if (v > 0.f) st->pos += v;
            if (v > 0.f) st->alive[(i / inner) % C] = 1;
        }
    }
    const Activation act = epilogueActivation(op, in);
    for (std::size_t i = 0, n = out[0]->size(); i < n; ++i) y[i] = applyActivationRef(act.forChannel((i / inner) % C), y[i]);
}

} // namespace fibnlr
