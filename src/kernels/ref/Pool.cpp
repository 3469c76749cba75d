#include "fibnlr/kernels/ref/Pool.hpp"

#include <limits>

#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Pool.hpp"
#include "fibnlr/operator/Reduce.hpp"

namespace fibnlr {

namespace {
/// For every output position of every plane, calls `window(xPlane, o, k)` and
/// stores its result; `o` holds the output multi-index, `k` is scratch.
template <class F> void forEachWindow(const PoolParams& p, const float* x, float* y, F window) {
    const std::size_t inSize = numElements(p.inDims), outSize = numElements(p.outDims);
    std::vector<std::size_t> o(p.outDims.size()), k(p.kernel.size());
    for (std::size_t plane = 0; plane < p.batch * p.channels; ++plane)
        for (std::size_t oi = 0; oi < outSize; ++oi) {
            unravel(oi, p.outDims, o);
            y[plane * outSize + oi] = window(x + plane * inSize, o, k);
        }
}

/// Calls tap(offset) for every tap of the window at `o` that lies inside the
/// input and returns the number of taps inside input + pads.
template <class F>
std::size_t forEachTap(const PoolParams& p, const std::vector<std::size_t>& o, std::vector<std::size_t>& k, F tap) {
    std::size_t inPadded = 0;
    for (std::size_t ki = 0, n = numElements(p.kernel); ki < n; ++ki) {
        unravel(ki, p.kernel, k);
        std::size_t off = 0;
        bool inside = true, padded = true;
        for (std::size_t a = 0; a < k.size(); ++a) {
            // Position relative to the padded input's start, so never negative.
            const std::size_t pos = o[a] * p.strides[a] + k[a] * p.dilations[a];
            inside = inside && pos >= p.padBegin[a] && pos < p.padBegin[a] + p.inDims[a];
            padded = padded && pos < p.padBegin[a] + p.inDims[a] + p.padEnd[a];
            off = off * p.inDims[a] + (inside ? pos - p.padBegin[a] : 0);
        }
        inPadded += padded;
        if (inside) tap(off);
    }
    return inPadded;
}

/// y = the reduction of x over the axes flagged in `reduced`; y has x's rank
/// with the reduced axes of size 1 or removed (same flat layout either way).
/// Sums in double; Max and Min return NaN when a NaN is in the window.
void reduce(const Tensor& x, const std::vector<bool>& reduced, ReduceKind kind, Tensor& y) {
    const Shape& xd = x.dims();
    Shape kept = xd, window(xd.size(), 1);  // y dims with keepdims, and the reduced sub-box
    for (std::size_t a = 0; a < xd.size(); ++a)
        if (reduced[a]) kept[a] = 1, window[a] = xd[a];
    const std::vector<std::size_t> stride = stridesOf(xd);
    const std::size_t count = numElements(window);
    std::vector<std::size_t> o(xd.size()), r(xd.size());
    const float* xp = x.data<float>();
    float* yp = y.data<float>();
    for (std::size_t i = 0, n = numElements(kept); i < n; ++i) {
        unravel(i, kept, o);
        double acc = 0.0;
        float best = 0.f;
        for (std::size_t j = 0; j < count; ++j) {
            unravel(j, window, r);
            std::size_t off = 0;
            for (std::size_t a = 0; a < xd.size(); ++a) off += (o[a] + r[a]) * stride[a];
            const float v = xp[off];
            acc += v;
            const bool better = kind == ReduceKind::Max ? v > best : v < best;
            if (j == 0 || (best == best && (better || v != v))) best = v;  // a NaN, once met, stays
        }
        switch (kind) {
        case ReduceKind::Mean: yp[i] = static_cast<float>(acc / static_cast<double>(count)); break;
        case ReduceKind::Sum: yp[i] = static_cast<float>(acc); break;
        case ReduceKind::Max:
        case ReduceKind::Min: yp[i] = best; break;
        }
    }
}
} // namespace

void maxpool_f32_ref(const PoolParams& p, const float* x, float* y) {
    forEachWindow(p, x, y, [&p](const float* xp, const std::vector<std::size_t>& o, std::vector<std::size_t>& k) {
        // A NaN tap makes the result NaN, as ONNX MaxPool does. (The lowest float
        // start, as onnxruntime's, is what a window wholly in the padding gives.)
        float m = std::numeric_limits<float>::lowest();
        forEachTap(p, o, k, [&](std::size_t off) { m = xp[off] > m || xp[off] != xp[off] ? xp[off] : m; });
        return m;
    });
}

void avgpool_f32_ref(const PoolParams& p, const float* x, float* y) {
    forEachWindow(p, x, y, [&p](const float* xp, const std::vector<std::size_t>& o, std::vector<std::size_t>& k) {
        double sum = 0.0;
        std::size_t inside = 0;
        const std::size_t inPadded = forEachTap(p, o, k, [&](std::size_t off) { sum += xp[off], ++inside; });
        const std::size_t count = p.countIncludePad ? inPadded : inside;
        return count ? static_cast<float>(sum / static_cast<double>(count)) : 0.f;
    });
}

PoolParams poolParams(const Window& win, const Shape& x) {
    PoolParams p;
    p.batch = x[0];
    p.channels = x[1];
    p.inDims = win.inDims;
    p.outDims = win.outDims;
    p.kernel = win.kernel;
    p.strides = win.strides;
    p.dilations = win.dilations;
    p.padBegin = win.padBegin;
    p.padEnd = win.padEnd;
    return p;
}

PoolParams poolParams(const Operator& op, const Shape& x) {
    if (op.type() == "MaxPool") return poolParams(static_cast<const MaxPoolOp&>(op).window(x), x);
    const auto& pool = static_cast<const AveragePoolOp&>(op);
    PoolParams p = poolParams(pool.window(x), x);
    p.countIncludePad = pool.attrs.countIncludePad != 0;
    return p;
}

void launchMaxPoolRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    maxpool_f32_ref(poolParams(op, in[0]->dims()), in[0]->data<float>(), out[0]->data<float>());
}

void launchAveragePoolRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    avgpool_f32_ref(poolParams(op, in[0]->dims()), in[0]->data<float>(), out[0]->data<float>());
}

void launchGlobalPoolRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    std::vector<bool> spatial(in[0]->nbDims(), true);
    spatial[0] = spatial[1] = false;
    reduce(*in[0], spatial, op.type() == "GlobalMaxPool" ? ReduceKind::Max : ReduceKind::Mean, *out[0]);
}

void launchReduceRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const auto& r = dynamic_cast<const ReduceOperator&>(op);
    reduce(*in[0], r.reducedAxes(in[0]->nbDims()), r.reduceKind(), *out[0]);
}

} // namespace fibnlr
