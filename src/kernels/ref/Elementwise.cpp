#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"

namespace fibnlr {

namespace {
template <class F> void broadcastMap(const std::vector<const Tensor*>& in, Tensor& y, F f) {
    const Shape& od = y.dims();
    std::vector<std::size_t> idx(od.size(), 0);
    float* yp = y.data<float>();
    for (std::size_t i = 0, n = y.size(); i < n; ++i) {
        unravel(i, od, idx);
        float acc = in[0]->data<float>()[broadcastOffset(in[0]->dims(), idx)];
        for (std::size_t k = 1; k < in.size(); ++k) acc = f(acc, in[k]->data<float>()[broadcastOffset(in[k]->dims(), idx)]);
        yp[i] = acc;
    }
}
} // namespace

void launchBinaryRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const std::string t = op.type();
    if (t == "Add") broadcastMap(in, *out[0], [](float a, float b) { return a + b; });
    else if (t == "Sub") broadcastMap(in, *out[0], [](float a, float b) { return a - b; });
    else if (t == "Mul") broadcastMap(in, *out[0], [](float a, float b) { return a * b; });
    else broadcastMap(in, *out[0], [](float a, float b) { return a / b; });
}

void launchSumRef(const Operator&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    broadcastMap(in, *out[0], [](float a, float b) { return a + b; });
}

} // namespace fibnlr
