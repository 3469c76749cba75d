#include <vector>

#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Resize.hpp"

namespace fibnlr {

void launchResizeRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // y[o] = Σ over the 2^rank corners c of Π_a (c_a ? w1_a : 1 − w1_a) · x[tap_a(c_a)], in double;
    // nearest taps have w1 = 0, so only the corner of i0 counts.
    const auto& resize = static_cast<const ResizeOp&>(op);
    const Shape& xd = in[0]->dims();
    const std::size_t rank = xd.size();
    std::vector<std::vector<ResizeTap>> taps(rank);
    for (std::size_t a = 0; a < rank; ++a) taps[a] = resize.taps(xd, a);
    const Shape& yd = out[0]->dims();
    const std::vector<std::size_t> stride = stridesOf(xd);
    const float* x = in[0]->data<float>();
    float* y = out[0]->data<float>();
    std::vector<std::size_t> o(rank);
    for (std::size_t i = 0, n = out[0]->size(); i < n; ++i) {
        unravel(i, yd, o);
        double acc = 0.0;
        for (std::size_t corner = 0; corner < (std::size_t{1} << rank); ++corner) {
            double w = 1.0;
            std::size_t off = 0;
            for (std::size_t a = 0; a < rank; ++a) {
                const ResizeTap& t = taps[a][o[a]];
                const bool high = (corner >> a) & 1;
                w *= high ? t.w1 : 1.0 - t.w1;
                off += (high ? t.i1 : t.i0) * stride[a];
            }
            if (w != 0.0) acc += w * x[off];
        }
        y[i] = static_cast<float>(acc);
    }
}

} // namespace fibnlr
