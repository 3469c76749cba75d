#include "fibnlr/kernels/ref/Conv.hpp"

#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Conv.hpp"

namespace fibnlr {

void conv_f32_ref(const ConvParams& p, const float* x, const float* w, const float* b, float* y) {
    const std::size_t nd = p.kernel.size();
    const std::size_t inSize = numElements(p.inDims), outSize = numElements(p.outDims);
    const std::size_t kSize = numElements(p.kernel);
    const std::size_t cpg = p.inChannels / p.group, mpg = p.outChannels / p.group;
    std::vector<std::size_t> o(nd), k(nd);
    for (std::size_t n = 0; n < p.batch; ++n)
        for (std::size_t m = 0; m < p.outChannels; ++m) {
            const std::size_t g = m / mpg;
            float* yp = y + (n * p.outChannels + m) * outSize;
            for (std::size_t oi = 0; oi < outSize; ++oi) {
                unravel(oi, p.outDims, o);
                double acc = (b ? b[m] : 0.0) + (p.biasMap ? p.biasMap[m * outSize + oi] : 0.0);
                for (std::size_t c = 0; c < cpg; ++c) {
                    const float* xp = x + (n * p.inChannels + g * cpg + c) * inSize;
                    const float* wp = w + (m * cpg + c) * kSize;
                    for (std::size_t ki = 0; ki < kSize; ++ki) {
                        unravel(ki, p.kernel, k);
                        std::size_t idx = 0;
                        bool inside = true;
                        for (std::size_t a = 0; a < nd && inside; ++a) {
                            const std::ptrdiff_t pos = static_cast<std::ptrdiff_t>(o[a] * p.strides[a] + k[a] * p.dilations[a]) -
                                                       static_cast<std::ptrdiff_t>(p.padBegin[a]);
                            inside = pos >= 0 && pos < static_cast<std::ptrdiff_t>(p.inDims[a]);
                            idx = idx * p.inDims[a] + static_cast<std::size_t>(pos);
                        }
                        if (inside) acc += static_cast<double>(xp[idx]) * wp[ki];
                    }
                }
                yp[oi] = static_cast<float>(acc);
            }
        }
}

ConvParams convParams(const ConvOp& op, const Shape& x, const Shape& w) {
    const Window win = op.window(x, w);
    ConvParams p;
    p.batch = x[0];
    p.inChannels = x[1];
    p.outChannels = w[0];
    p.group = static_cast<std::size_t>(op.attrs.group);
    p.inDims = win.inDims;
    p.outDims = win.outDims;
    p.kernel = win.kernel;
    p.strides = win.strides;
    p.dilations = win.dilations;
    p.padBegin = win.padBegin;
    return p;
}

void launchConvRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const auto& conv = static_cast<const ConvOp&>(op);
    ConvParams p = convParams(conv, in[0]->dims(), in[1]->dims());
    const Tensor* b = in.size() > 2 ? in[2] : nullptr;
    const bool map = b && b->nbDims() > 1;  // a bias map [M, *out] (shape checked at compile)
    if (map) p.biasMap = b->data<float>();
    conv_f32_ref(p, in[0]->data<float>(), in[1]->data<float>(), b && !map ? b->data<float>() : nullptr,
                 out[0]->data<float>());
}

} // namespace fibnlr
