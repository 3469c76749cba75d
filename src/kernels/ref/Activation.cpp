#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Activation.hpp"

namespace fibnlr {

void launchUnaryRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    Activation act;
    if (!activationOf(op, act))
        throw std::invalid_argument("launchUnaryRef: " + op.type() + " is not an element-wise activation");
    const float* x = in[0]->data<float>();
    float* y = out[0]->data<float>();
    for (std::size_t i = 0, n = in[0]->size(); i < n; ++i) y[i] = applyActivationRef(act, x[i]);
}

} // namespace fibnlr
