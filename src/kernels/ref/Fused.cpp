#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/operator/Fused.hpp"

namespace fibnlr {

void launchFusedRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // The unfused meaning of a FusedOp: its base's reference kernel, then the activation element-wise.
    const auto& f = static_cast<const FusedOp&>(op);
    findKernel(f.base().type(), "ref")(f.base(), in, out);
    float* y = out[0]->data<float>();
    for (std::size_t i = 0, n = out[0]->size(); i < n; ++i) y[i] = applyActivationRef(f.activation(), y[i]);
}

} // namespace fibnlr
