#include <vector>

#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/operator/Resize.hpp"

namespace fibnlr {

bool supportsResizeSpatial(const Operator& op, const std::vector<Shape>& in) {
    const Shape& x = in.at(0);
    if (x.size() != 3 && x.size() != 4) return false;
    const Shape y = op.inferShapes({x}).at(0);
    // Batch and channels keep their size; an equal size maps index i to i whatever the transform.
    return y[0] == x[0] && y[1] == x[1];
}

void launchResizeCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // Separable, per (n, c) plane: the two input rows a output row reads are blended once into a
    // row buffer (vectorised), then each output column reads one (nearest) or two (linear) of it.
    const auto& resize = static_cast<const ResizeOp&>(op);
    const Shape& xd = in[0]->dims();
    const Shape& yd = out[0]->dims();
    const bool twoD = xd.size() == 4;
    const std::size_t H = twoD ? xd[2] : 1, W = xd.back(), OH = twoD ? yd[2] : 1, OW = yd.back();
    const std::vector<ResizeTap> ty = twoD ? resize.taps(xd, 2) : std::vector<ResizeTap>{{0, 0, 0.0}};
    const std::vector<ResizeTap> tx = resize.taps(xd, xd.size() - 1);
    const bool linear = resize.attrs.mode == "linear";
    const float* x = in[0]->data<float>();
    float* y = out[0]->data<float>();
    parallelRange(xd[0] * xd[1], 1, [&](std::size_t lo, std::size_t hi) {
        std::vector<float> row(W);
        for (std::size_t p = lo; p < hi; ++p) {
            const float* xp = x + p * H * W;
            float* yp = y + p * OH * OW;
            for (std::size_t oy = 0; oy < OH; ++oy) {
                const ResizeTap& t = ty[oy];
                const float* r = xp + t.i0 * W;
                if (linear && t.w1 != 0.0) {
                    const float* r1 = xp + t.i1 * W;
                    const float w1 = static_cast<float>(t.w1), w0 = 1.f - w1;
                    for (std::size_t k = 0; k < W; ++k) row[k] = r[k] * w0 + r1[k] * w1;
                    r = row.data();
                }
                float* yr = yp + oy * OW;
                if (linear)
                    for (std::size_t ox = 0; ox < OW; ++ox) {
                        // A zero weight reads one tap only, as ref does (so an Inf beside it cannot make NaN).
                        const float w1 = static_cast<float>(tx[ox].w1);
                        yr[ox] = w1 == 0.f ? r[tx[ox].i0] : r[tx[ox].i0] * (1.f - w1) + r[tx[ox].i1] * w1;
                    }
                else
                    for (std::size_t ox = 0; ox < OW; ++ox) yr[ox] = r[tx[ox].i0];
            }
        }
    });
}

} // namespace fibnlr
