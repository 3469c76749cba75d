#include "fibnlr/kernels/ref/Activation.hpp"

#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Activation.hpp"

namespace fibnlr {

namespace {
template <class F> void map(const Tensor& x, Tensor& y, F f) {
    const float* xp = x.data<float>();
    float* yp = y.data<float>();
    for (std::size_t i = 0, n = x.size(); i < n; ++i) yp[i] = f(xp[i]);
}
} // namespace

void launchUnaryRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const Tensor& x = *in[0];
    Tensor& y = *out[0];
    const std::string t = op.type();
    if (t == "ReLU") map(x, y, reluRef);
    else if (t == "LeakyReLU") {
        const float a = static_cast<const LeakyReLUOp&>(op).attrs.alpha;
        map(x, y, [a](float v) { return leakyReluRef(v, a); });
    } else if (t == "GELU") {
        if (static_cast<const GELUOp&>(op).attrs.approximate == "tanh") map(x, y, geluTanhRef);
        else map(x, y, geluRef);
    } else if (t == "Clip") {
        const auto& a = static_cast<const ClipOp&>(op).attrs;
        map(x, y, [&a](float v) { return clipRef(v, a.min, a.max); });
    } else if (t == "Sigmoid") map(x, y, sigmoidRef);
    else if (t == "HardSigmoid") {
        const auto& a = static_cast<const HardSigmoidOp&>(op).attrs;
        map(x, y, [&a](float v) { return hardSigmoidRef(v, a.alpha, a.beta); });
    } else if (t == "HardSwish") map(x, y, hardSwishRef);
    else if (t == "Tanh") map(x, y, [](float v) { return std::tanh(v); });
    else map(x, y, [](float v) { return v; });  // Identity, Dropout (inference)
}

} // namespace fibnlr
