#include <algorithm>
#include <cmath>
#include <cstdint>

#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/operator/BatchNorm.hpp"

namespace fibnlr {

namespace {

constexpr std::size_t kGrain = 16384;  // floats per task: below this a wake-up costs more than it saves

/// y = act(a ∘ b) with numpy broadcasting. Axes are merged into runs with the
/// same broadcast pattern (e.g. [N, C, H, W] × [N, C, 1, 1] becomes
/// [N·C rows] × [H·W, b scalar]) so the inner loop is one long vector loop.
void broadcastBinary(int op, const Tensor& A, const Tensor& Bt, Tensor& Y, const Activation& act) {
    const Shape& od = Y.dims();
    const std::size_t r = od.size();
    Shape ad = A.dims(), bd = Bt.dims();
    ad.insert(ad.begin(), r - ad.size(), 1);
    bd.insert(bd.begin(), r - bd.size(), 1);
    std::vector<std::size_t> d;
    std::vector<bool> fa, fb;
    for (std::size_t k = 0; k < r; ++k) {
        if (od[k] == 1) continue;
        const bool ia = ad[k] != 1, ib = bd[k] != 1;
        if (!d.empty() && fa.back() == ia && fb.back() == ib) d.back() *= od[k];
        else d.push_back(od[k]), fa.push_back(ia), fb.push_back(ib);
    }
    const float* a = A.data<float>();
    const float* b = Bt.data<float>();
    float* y = Y.data<float>();
    const Micro& mk = micro();
    if (d.empty()) {
        mk.binary(op, a, 0, b, 0, y, 1, act);
        return;
    }
    const std::size_t L = d.size(), n = d.back();
    const std::size_t as = fa.back() ? 1 : 0, bs = fb.back() ? 1 : 0;
    // Strides of the merged axes in A and B (0 where broadcast).
    std::vector<std::size_t> sa(L, 0), sb(L, 0);
    for (std::size_t k = L, pa = 1, pb = 1; k-- > 0;) {
        if (fa[k]) sa[k] = pa, pa *= d[k];
        if (fb[k]) sb[k] = pb, pb *= d[k];
    }
    const std::size_t rows = numElements(d) / n;
    if (rows == 1) {
        parallelRange(n, kGrain, [&](std::size_t lo, std::size_t hi) {
            mk.binary(op, a + lo * as, as, b + lo * bs, bs, y + lo, hi - lo, act);
        });
        return;
    }
    parallelRange(rows, std::max<std::size_t>(1, kGrain / n), [&](std::size_t lo, std::size_t hi) {
        for (std::size_t row = lo; row < hi; ++row) {
            std::size_t rem = row, oa = 0, ob = 0;
            for (std::size_t k = L - 1; k-- > 0;) {
                const std::size_t i = rem % d[k];
                rem /= d[k];
                oa += i * sa[k], ob += i * sb[k];
            }
            mk.binary(op, a + oa, as, b + ob, bs, y + row * n, n, act);
        }
    });
}

int binaryCode(const std::string& t) { return t == "Add" ? 0 : t == "Sub" ? 1 : t == "Mul" ? 2 : 3; }

} // namespace

bool supportsPReLUPerChannel(const Operator&, const std::vector<Shape>& in) {
    const Shape& x = in.at(0);
    const Shape& s = in.at(1);
    const std::size_t n = numElements(s), channels = x.size() > 1 ? x[1] : 1;
    if (n == 1) return true;
    if (x.size() < 2 || n != channels) return false;
    // Right-aligned, s[j] broadcasts to x's dim x.size() − s.size() + j: per channel when the
    // entry over dim 1 holds all C slopes (so every other entry is 1).
    const auto j = 1 - static_cast<std::ptrdiff_t>(x.size() - s.size());
    return j >= 0 && j < static_cast<std::ptrdiff_t>(s.size()) && s[static_cast<std::size_t>(j)] == channels;
}

void launchPReLUCpu(const Operator&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // Per (n, c) plane, LeakyReLU with that channel's slope: the same table loop as the activations.
    const Shape& xd = in[0]->dims();
    const std::size_t channels = xd.size() > 1 ? xd[1] : 1, planes = xd[0] * channels;
    const std::size_t inner = in[0]->size() / planes;
    const bool one = in[1]->size() == 1;
    const float* x = in[0]->data<float>();
    const float* s = in[1]->data<float>();
    float* y = out[0]->data<float>();
    const Micro& mk = micro();
    parallelRange(planes, std::max<std::size_t>(1, kGrain / std::max<std::size_t>(1, inner)), [&](std::size_t lo, std::size_t hi) {
        for (std::size_t t = lo; t < hi; ++t)
            mk.scaleShiftAct(x + t * inner, y + t * inner, inner, 1.f, 0.f, {ActKind::LeakyReLU, s[one ? 0 : t % channels]});
    });
}

void launchUnaryCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // A FusedOp never wraps a unary op, so op is the activation itself.
    Activation act;
    activationOf(op, act);
    const float* x = in[0]->data<float>();
    float* y = out[0]->data<float>();
    const Micro& mk = micro();
    parallelRange(in[0]->size(), kGrain, [&](std::size_t lo, std::size_t hi) {
        mk.scaleShiftAct(x + lo, y + lo, hi - lo, 1.f, 0.f, act);
    });
}

namespace {
/// For each (n, c) plane t of y ([planes, inner], C channels): produce(t, plane)
/// writes it (or does nothing when it is already there), then its sign
/// statistics are counted and `act` applied while the plane is in cache.
template <class F>
void countPlanes(float* y, std::size_t planes, std::size_t C, std::size_t inner, const Activation& act,
                 EpilogueStats& stats, F produce) {
    const Micro& mk = micro();
    parallelRange(planes, std::max<std::size_t>(1, kGrain / std::max<std::size_t>(1, inner)), [&](std::size_t lo, std::size_t hi) {
        thread_local std::vector<std::uint8_t> alive;
        alive.assign(C, 0);
        double neg = 0.0, pos = 0.0;
        std::uint64_t nonFinite = 0;
        for (std::size_t t = lo; t < hi; ++t) {
            float* v = y + t * inner;
            produce(t, v);
            alive[t % C] |= mk.countAct(v, inner, act, neg, pos, nonFinite) ? 1 : 0;
        }
        stats.merge(neg, pos, nonFinite, alive.data(), 0, C);
    });
}
} // namespace

void countThenActivate(Tensor& y, const Activation& act, EpilogueStats& stats) {
    const Shape& d = y.dims();
    const std::size_t C = d.size() >= 2 ? d[1] : 1;
    const std::size_t inner = d.size() >= 2 ? y.size() / std::max<std::size_t>(1, d[0] * d[1]) : y.size();
    const std::size_t planes = d.size() >= 2 ? d[0] * d[1] : 1;
    countPlanes(y.data<float>(), planes, C, inner, act, stats, [](std::size_t, float*) {});
}

void launchBinaryCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    Activation act;
    const Operator& base = unfuse(op, act);
    if (EpilogueStats* st = epilogueStats(op)) {
        const Shape& d = out[0]->dims();
        if (d.size() >= 2 && in[0]->dims() == d && in[1]->dims() == d) {
            // Same shapes (a residual Add): per (n, c) plane, compute, count and activate while it is in cache.
            const std::size_t C = d[1], inner = out[0]->size() / (d[0] * d[1]);
            const float* a = in[0]->data<float>();
            const float* b = in[1]->data<float>();
            float* y = out[0]->data<float>();
            const int code = binaryCode(base.type());
            const Micro& mk = micro();
            countPlanes(y, d[0] * C, C, inner, act, *st, [&](std::size_t t, float* v) {
                mk.binary(code, a + t * inner, 1, b + t * inner, 1, v, inner, Activation{});
            });
            return;
        }
        broadcastBinary(binaryCode(base.type()), *in[0], *in[1], *out[0], Activation{});
        countThenActivate(*out[0], act, *st);
        return;
    }
    broadcastBinary(binaryCode(base.type()), *in[0], *in[1], *out[0], act);
}

void launchSumCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // Pairwise: y = x0 + x1, then y += xk; the activation goes on the last pass only.
    Activation act;
    (void)unfuse(op, act);
    EpilogueStats* st = epilogueStats(op);
    const Activation last = st ? Activation{} : act;
    Tensor& y = *out[0];
    if (in.size() == 1) {
        micro().scaleShiftAct(in[0]->data<float>(), y.data<float>(), y.size(), 1.f, 0.f, last);
    } else {
        for (std::size_t k = 1; k < in.size(); ++k)
            broadcastBinary(0, k == 1 ? *in[0] : y, *in[k], y, k + 1 == in.size() ? last : Activation{});
    }
    if (st) countThenActivate(y, act, *st);
}

void launchBatchNormCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // y = act(x·s + t) per channel, s = scale/√(var + ε), t = B − mean·s (computed in double).
    Activation act;
    const float eps = static_cast<const BatchNormOp&>(unfuse(op, act)).attrs.epsilon;
    const AxisView v = axisView(in[0]->dims(), 1);
    const float *x = in[0]->data<float>(), *sc = in[1]->data<float>(), *bi = in[2]->data<float>(),
                *mu = in[3]->data<float>(), *var = in[4]->data<float>();
    float* y = out[0]->data<float>();
    const Micro& mk = micro();
    EpilogueStats* st = epilogueStats(op);
    const Activation first = st ? Activation{} : act;
    parallelRange(v.outer * v.dim, std::max<std::size_t>(1, kGrain / v.inner), [&](std::size_t lo, std::size_t hi) {
        for (std::size_t t = lo; t < hi; ++t) {
            const std::size_t c = t % v.dim;
            const double s = sc[c] / std::sqrt(static_cast<double>(var[c]) + eps);
            mk.scaleShiftAct(x + t * v.inner, y + t * v.inner, v.inner, static_cast<float>(s),
                             static_cast<float>(bi[c] - mu[c] * s), first);
        }
    });
    if (st) countThenActivate(*out[0], act, *st);
}

} // namespace fibnlr
