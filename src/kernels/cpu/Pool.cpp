#include <algorithm>
#include <cmath>
#include <limits>

#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Pool.hpp"
#include "fibnlr/operator/Reduce.hpp"

namespace fibnlr {

namespace {

struct Axis {
    std::size_t in, out, k, s, d, pb, pe;
};
Axis axisOf(const PoolParams& p, std::size_t a) {
    return {p.inDims[a], p.outDims[a], p.kernel[a], p.strides[a], p.dilations[a], p.padBegin[a], p.padEnd[a]};
}
/// 1-D pools are 2-D pools with a height-1 axis.
void axes2d(const PoolParams& p, Axis& h, Axis& w) {
    const std::size_t nd = p.kernel.size();
    w = axisOf(p, nd - 1);
    h = nd == 2 ? axisOf(p, 0) : Axis{1, 1, 1, 1, 1, 0, 0};
}
/// Output positions [lo, hi) whose tap at t = k·d lies inside the input: o·s + t − pb ∈ [0, in).
void tapRange(const Axis& a, std::size_t t, std::size_t& lo, std::size_t& hi) {
    lo = t >= a.pb ? 0 : (a.pb - t + a.s - 1) / a.s;
    hi = a.in + a.pb <= t ? 0 : std::min(a.out, (a.in - 1 + a.pb - t) / a.s + 1);
    if (lo > hi) lo = hi;
}
/// Taps of output position o that lie inside the input (inside) and inside input + pads (padded).
void tapCounts(const Axis& a, std::size_t o, std::size_t& inside, std::size_t& padded) {
    inside = padded = 0;
    for (std::size_t k = 0; k < a.k; ++k) {
        const std::size_t pos = o * a.s + k * a.d;  // relative to the padded start
        inside += pos >= a.pb && pos < a.pb + a.in;
        padded += pos < a.pb + a.in + a.pe;
    }
}

/// mode 1: max, 2: average. Rows are vectorised along the output width (Micro::windowRow).
void pool2d(int mode, const PoolParams& p, const float* x, float* y) {
    Axis h, w;
    axes2d(p, h, w);
    std::size_t lo[64], hi[64];
    for (std::size_t kx = 0; kx < w.k; ++kx) tapRange(w, kx * w.d, lo[kx], hi[kx]);
    // Average divisors: per output row × per output column, both in taps.
    std::vector<float> colCount(w.out), rowCount(h.out);
    for (std::size_t o = 0; o < w.out; ++o) {
        std::size_t in, pad;
        tapCounts(w, o, in, pad);
        colCount[o] = static_cast<float>(p.countIncludePad ? pad : in);
    }
    for (std::size_t o = 0; o < h.out; ++o) {
        std::size_t in, pad;
        tapCounts(h, o, in, pad);
        rowCount[o] = static_cast<float>(p.countIncludePad ? pad : in);
    }
    const Micro& mk = micro();
    const std::size_t HW = h.in * w.in, P = h.out * w.out;
    // Max 3×3 undilated (ResNet stems): each output row in one pass over three rows of a copy padded with
    // the lowest float (Hp × Wp: the rows and columns the windows read), where windowRow makes nine passes
    // over rows of 56 outputs (ResNet18 224×224: 0.6 ms against onnxruntime's 0.18).
    const bool max3 = mode == 1 && h.k == 3 && w.k == 3 && h.d == 1 && w.d == 1 && h.out > 0 && w.out > 0;
    const std::size_t Hp = (h.out - 1) * h.s + 3, Wp = (w.out - 1) * w.s + 3;
    const std::size_t rowsIn = h.pb < Hp ? std::min(h.in, Hp - h.pb) : 0, colsIn = w.pb < Wp ? std::min(w.in, Wp - w.pb) : 0;
    parallelRange(p.batch * p.channels, 1, [&](std::size_t t0, std::size_t t1) {
        for (std::size_t t = t0; t < t1; ++t) {
            const float* xp = x + t * HW;
            float* yp = y + t * P;
            if (max3) {
                // The border is written once per task; only the inside is copied per plane, noting any NaN
                // on the way (max3x3Row skips NaN, ONNX lets it win: such a plane takes the general path).
                float* pad = scratch(4, Hp * Wp);
                if (t == t0) std::fill(pad, pad + Hp * Wp, std::numeric_limits<float>::lowest());
                bool nan = false;
                for (std::size_t iy = 0; iy < rowsIn; ++iy) {
                    const float* src = xp + iy * w.in;
                    float* dst = pad + (iy + h.pb) * Wp + w.pb;
                    int bad = 0;
                    for (std::size_t i = 0; i < colsIn; ++i) dst[i] = src[i], bad |= src[i] != src[i];
                    nan = nan || bad;
                }
                if (!nan) {
                    for (std::size_t oy = 0; oy < h.out; ++oy) {
                        const float* r0 = pad + oy * h.s * Wp;
                        const float* r[3] = {r0, r0 + Wp, r0 + 2 * Wp};
                        mk.max3x3Row(r, w.out, w.s, yp + oy * w.out);
                    }
                    continue;
                }
            }
            bool finite = true;  // every average of the plane (mode 2)
            for (std::size_t oy = 0; oy < h.out; ++oy) {
                float* row = yp + oy * w.out;
                std::fill(row, row + w.out, mode == 1 ? std::numeric_limits<float>::lowest() : 0.f);
                for (std::size_t ky = 0; ky < h.k; ++ky) {
                    const std::size_t pos = oy * h.s + ky * h.d;
                    if (pos < h.pb || pos >= h.pb + h.in) continue;
                    mk.windowRow(mode, xp + (pos - h.pb) * w.in, nullptr, w.k, w.s, w.d, w.pb, lo, hi, row);
                }
                if (mode == 2)
                    for (std::size_t ox = 0; ox < w.out; ++ox) {
                        const float cnt = rowCount[oy] * colCount[ox];
                        row[ox] = cnt > 0.f ? row[ox] / cnt : 0.f;
                        finite = finite && std::isfinite(row[ox]);
                    }
            }
            if (!finite) {
                // A float window sum overflowed (inputs near the float maximum) or the
                // input holds Inf/NaN: the plane again by the ref kernel, which sums
                // in double, so the average is finite wherever the true one is.
                PoolParams one = p;
                one.batch = one.channels = 1;
                avgpool_f32_ref(one, xp, yp);
            }
        }
    });
}

} // namespace

void maxpool2d_f32_direct(const PoolParams& p, const float* x, float* y) { pool2d(1, p, x, y); }
void avgpool2d_f32_direct(const PoolParams& p, const float* x, float* y) { pool2d(2, p, x, y); }

bool supportsPool2d(const Operator& op, const std::vector<Shape>& in) {
    // The row kernel keeps per-tap column ranges on the stack: width ≤ 64 taps.
    const auto& k = op.type() == "MaxPool" ? static_cast<const MaxPoolOp&>(op).attrs.kernelShape
                                           : static_cast<const AveragePoolOp&>(op).attrs.kernelShape;
    return (in.at(0).size() == 3 || in.at(0).size() == 4) && !k.empty() && k.back() <= 64;
}

void launchMaxPoolCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    maxpool2d_f32_direct(poolParams(op, in[0]->dims()), in[0]->data<float>(), out[0]->data<float>());
}

void launchAveragePoolCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    avgpool2d_f32_direct(poolParams(op, in[0]->dims()), in[0]->data<float>(), out[0]->data<float>());
}

namespace {
/// The extreme (Max or Min) of x[0, n), n > 0; NaN when one is NaN. Eight
/// running extremes, so the selects vectorise.
template <bool Max> float extreme(const float* x, std::size_t n) {
    const auto better = [](float v, float m) { return Max ? v > m : v < m; };
    float m[8];
    bool nan = false;
    for (float& v : m) v = x[0];
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; ++l) {
            const float v = x[i + l];
            nan |= v != v;
            m[l] = better(v, m[l]) ? v : m[l];
        }
    float r = m[0];
    for (int l = 1; l < 8; ++l) r = better(m[l], r) ? m[l] : r;
    for (; i < n; ++i) {
        nan |= x[i] != x[i];
        r = better(x[i], r) ? x[i] : r;
    }
    return nan || r != r ? std::numeric_limits<float>::quiet_NaN() : r;
}

/// y[t] = the reduction of the `inner` contiguous floats of row t, t < rows.
void reduceRows(const float* x, std::size_t rows, std::size_t inner, ReduceKind kind, float* y) {
    const Micro& mk = micro();
    parallelRange(rows, std::max<std::size_t>(1, 16384 / std::max<std::size_t>(1, inner)), [&](std::size_t lo, std::size_t hi) {
        for (std::size_t t = lo; t < hi; ++t) {
            const float* xp = x + t * inner;
            switch (kind) {
            case ReduceKind::Max: y[t] = extreme<true>(xp, inner); break;
            case ReduceKind::Min: y[t] = extreme<false>(xp, inner); break;
            case ReduceKind::Mean:
            case ReduceKind::Sum: {
                const float s = mk.sum(xp, inner);
                const double d = kind == ReduceKind::Mean ? static_cast<double>(inner) : 1.0;
                y[t] = static_cast<float>(s / d);
                if (!std::isfinite(s)) {
                    // The float sum overflowed, or the row holds Inf/NaN: summed again in
                    // double as the ref kernel does (finite wherever the true result is).
                    double acc = 0.0;
                    for (std::size_t i = 0; i < inner; ++i) acc += xp[i];
                    y[t] = static_cast<float>(acc / d);
                }
                break;
            }
            }
        }
    });
}

/// Rows and row length of a reduction whose reduced axes are a suffix of x's (0 rows otherwise).
std::pair<std::size_t, std::size_t> suffixRows(const Shape& x, const std::vector<bool>& reduced) {
    std::size_t first = x.size();
    while (first > 0 && reduced[first - 1]) --first;
    for (std::size_t a = 0; a < first; ++a)
        if (reduced[a]) return {0, 0};
    std::size_t rows = 1, inner = 1;
    for (std::size_t a = 0; a < x.size(); ++a) (a < first ? rows : inner) *= x[a];
    return {rows, inner};
}
} // namespace

void launchGlobalAveragePoolCpu(const Operator&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const Shape& xd = in[0]->dims();
    const std::size_t planes = xd[0] * xd[1];
    reduceRows(in[0]->data<float>(), planes, in[0]->size() / planes, ReduceKind::Mean, out[0]->data<float>());
}

void launchGlobalMaxPoolCpu(const Operator&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const Shape& xd = in[0]->dims();
    const std::size_t planes = xd[0] * xd[1];
    reduceRows(in[0]->data<float>(), planes, in[0]->size() / planes, ReduceKind::Max, out[0]->data<float>());
}

bool supportsReduceSuffix(const Operator& op, const std::vector<Shape>& in) {
    const auto& r = dynamic_cast<const ReduceOperator&>(op);
    return suffixRows(in.at(0), r.reducedAxes(in.at(0).size())).first > 0;
}

void launchReduceCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const auto& r = dynamic_cast<const ReduceOperator&>(op);
    const auto [rows, inner] = suffixRows(in[0]->dims(), r.reducedAxes(in[0]->nbDims()));
    reduceRows(in[0]->data<float>(), rows, inner, r.reduceKind(), out[0]->data<float>());
}

} // namespace fibnlr
