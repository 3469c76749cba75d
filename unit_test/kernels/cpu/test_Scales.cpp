// Fast activation, pool and conv kernels against their ref kernels on inputs
// scaled from 1e-45 (the smallest subnormal float) to 1e37 (a tenth of the
// float maximum), on every SIMD path the CPU has: wherever ref is finite the
// fast kernel is finite and close to it, and where ref is NaN so is it.
// Also: NaN goes through every activation, pool and conv kernel as ONNX says
// (max(0, NaN) is NaN, a window holding a NaN pools to NaN).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "KernelCases.hpp"
#include "fibnlr/kernels/Kernel.hpp"
#include "fibnlr/kernels/cpu/Micro.hpp"
#include "fibnlr/operator/Fused.hpp"
#include "fibnlr/operator/OperatorList.hpp"

using namespace fibnlr;
using fibnlr::test::KernelCase;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kDenorm = std::numeric_limits<float>::denorm_min();

/// The op types whose every "cpu" entry is swept.
/// Every activation of the list (operator/Activation.hpp), and the kernels with sums or windows.
const std::vector<std::string>& sweptTypes() {
    static const std::vector<std::string> t = [] {
        std::vector<std::string> v = activationTypes();
        for (const char* k : {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "Conv", "FusedConv", "FusedBatchNormalization"})
            v.push_back(k);
        return v;
    }();
    return t;
}

/// Fan-in of a conv case (weights [M, C/g, k...]): its weights are divided by
/// it, so that every partial sum of a window stays below the input's scale
/// (|w| ≤ 0.5 / fan-in) and the direct sum is finite up to 1e37.
std::size_t fanIn(const Shape& w) {
    std::size_t f = 1;
    for (std::size_t i = 1; i < w.size(); ++i) f *= w[i];
    return f;
}

/// The case with its data input (input 0) multiplied by `scale` and, for
/// convs, its weights divided by their fan-in.
std::vector<Tensor> scaledInputs(const KernelCase& c, float scale, bool conv) {
    std::vector<Tensor> in;
    for (std::size_t i = 0; i < c.inputs.size(); ++i) {
        if (c.inputs[i].empty()) {
            in.emplace_back();
            continue;
        }
        Tensor t = c.inputs[i].clone();
        float* p = t.data<float>();
        if (i == 0)
            for (std::size_t j = 0; j < t.size(); ++j) p[j] *= scale;
        if (i == 1 && conv) {
            const float k = static_cast<float>(fanIn(t.dims()));
            for (std::size_t j = 0; j < t.size(); ++j) p[j] /= k;
        }
        in.push_back(std::move(t));
    }
    return in;
}

struct Run {
    std::vector<Shape> shapes;
    std::vector<const Tensor*> ptrs;
    Shape outShape;
};
Run prepare(const KernelCase& c, const std::vector<Tensor>& in) {
    Run r;
    for (const Tensor& t : in) {
        r.shapes.push_back(t.empty() ? Shape{} : t.dims());
        r.ptrs.push_back(t.empty() ? nullptr : &t);
    }
    r.outShape = c.op->inferShapes(r.shapes).at(0);
    return r;
}

/// Every "cpu" entry of `type` accepting the case, run on every SIMD path.
template <class F> void forEachFastRun(const std::string& type, const KernelCase& c, const Run& r, F check) {
    for (const KernelEntry& k : kernelList()) {
        if (k.opType != type || k.backend != "cpu" || (k.supports && !k.supports(*c.op, r.shapes))) continue;
        for (const std::string& path : test::simdPaths()) {
            setKernels(path);
            Tensor got(r.outShape);
            k.fn(*c.op, r.ptrs, {&got});
            check(k.name, path, got);
        }
    }
    setKernels("cpu");
}

const std::vector<float> kAllScales{1e-45f, 1e-40f, 1e-38f, 1e-30f, 1e-15f, 1.f, 1e15f, 1e30f, 1e35f, 1e36f, 3e36f, 1e37f};
/// The fused conv cases repeat every conv case once per activation: the conv's
/// arithmetic is swept over all scales by the Conv test, so these take the
/// scales where an epilogue sees something different (subnormal, the smallest
/// normal, ordinary, and near overflow), which halves the longest tests.
const std::vector<float> kEpilogueScales{1e-45f, 1e-38f, 1.f, 1e30f, 1e37f};

/// Sweeps the cases of `types` (every `every`-th case from `first`) over the input scales.
void sweepScales(const std::vector<std::string>& types, std::size_t first = 0, std::size_t every = 1,
                 const std::vector<float>& scales = kAllScales) {
    for (const std::string& type : types) {
        const bool conv = type == "Conv" || type == "FusedConv";
        const std::vector<KernelCase> cases = test::caseGenerators().at(type)();
        for (std::size_t ci = first; ci < cases.size(); ci += every) {
            const KernelCase& c = cases[ci];
            for (float s : scales) {
                const std::vector<Tensor> in = scaledInputs(c, s, conv);
                const Run r = prepare(c, in);
                Tensor want(r.outShape);
                findKernel(type, "ref")(*c.op, r.ptrs, {&want});
                const float* w = want.data<float>();
                float outScale = 0.f;
                for (std::size_t i = 0; i < want.size(); ++i)
                    if (std::isfinite(w[i])) outScale = std::max(outScale, std::fabs(w[i]));
                // Relative to the output's scale, as in the other kernel tests (F(4×4)
                // Winograd rounds most), plus a few thousand subnormal steps: below
                // 1e-38 every product and partial sum rounds to a multiple of 1.4e-45.
                const float tol = 1e-4f * outScale + 1e4f * kDenorm;
                forEachFastRun(type, c, r, [&](const std::string& name, const std::string& path, const Tensor& got) {
                    const float* g = got.data<float>();
                    std::size_t bad = 0, firstBad = 0;
                    for (std::size_t i = 0; i < want.size(); ++i) {
                        const bool ok = std::isnan(w[i]) ? std::isnan(g[i])
                                        : std::isinf(w[i]) ? true  // ref overflowed: nothing to agree with
                                                           : std::isfinite(g[i]) && std::fabs(g[i] - w[i]) <= tol;
                        if (!ok && bad++ == 0) firstBad = i;
                    }
                    INFO(name << " on " << c.label << ", path " << path << ", input scale " << s << ": " << bad
                              << " of " << want.size() << " differ, first at " << firstBad << ": ref "
                              << w[firstBad] << ", fast " << g[firstBad] << " (tolerance " << tol << ")");
                    CHECK(bad == 0);
                });
            }
        }
    }
}

} // namespace

// One sweep per test case, so that CTest runs them in parallel: the whole
// sweep took 3.5 minutes on one core (the ref conv on the large cases, at 12
// scales, dominates), most of it in the fused conv cases, which are split in
// two and take 5 of the scales (kEpilogueScales).
TEST_CASE("fast kernels agree with ref wherever ref is finite, at input scales 1e-45 to 1e37: activations, pools, BN",
          "[kernels][cpu][scales]") {
    std::vector<std::string> types;
    for (const std::string& t : sweptTypes())
        if (t != "Conv" && t != "FusedConv") types.push_back(t);
    sweepScales(types);
}

TEST_CASE("fast kernels agree with ref wherever ref is finite, at input scales 1e-45 to 1e37: Conv", "[kernels][cpu][scales]") {
    sweepScales({"Conv"});
}

TEST_CASE("fast kernels agree with ref wherever ref is finite, at input scales 1e-45 to 1e37: FusedConv, even cases",
          "[kernels][cpu][scales]") {
    sweepScales({"FusedConv"}, 0, 2, kEpilogueScales);
}

TEST_CASE("fast kernels agree with ref wherever ref is finite, at input scales 1e-45 to 1e37: FusedConv, odd cases",
          "[kernels][cpu][scales]") {
    sweepScales({"FusedConv"}, 1, 2, kEpilogueScales);
}

TEST_CASE("NaN inputs give NaN through every activation, pool and conv kernel", "[kernels][cpu][scales]") {
    // A NaN in the input: every output that reads it is NaN in ref (as in
    // onnxruntime and PyTorch), and the fast kernels agree position by
    // position (Winograd, which would spread it over whole tiles, falls back).
    for (const std::string& type : sweptTypes()) {
        const bool conv = type == "Conv" || type == "FusedConv";
        for (const KernelCase& c : test::caseGenerators().at(type)()) {
            for (const bool all : {true, false}) {
                std::vector<Tensor> in = scaledInputs(c, 1.f, conv);
                float* x = in[0].data<float>();
                for (std::size_t i = 0; i < in[0].size(); ++i)
                    if (all || i % 37 == 5) x[i] = kNaN;
                const Run r = prepare(c, in);
                Tensor want(r.outShape);
                findKernel(type, "ref")(*c.op, r.ptrs, {&want});
                const float* w = want.data<float>();
                std::size_t nanRef = 0;
                for (std::size_t i = 0; i < want.size(); ++i) nanRef += std::isnan(w[i]) ? 1 : 0;
                INFO(c.label << (all ? ", all NaN" : ", some NaN"));
                // The ref kernel itself: nothing maps NaN to a number (a conv output whose
                // window reads only padding is the bias, legitimately).
                if (all && !conv) CHECK(nanRef == want.size());
                forEachFastRun(type, c, r, [&](const std::string& name, const std::string& path, const Tensor& got) {
                    const float* g = got.data<float>();
                    std::size_t bad = 0, firstBad = 0;
                    for (std::size_t i = 0; i < want.size(); ++i) {
                        const bool ok = std::isnan(w[i]) == std::isnan(g[i]) &&
                                        (std::isnan(w[i]) || std::fabs(g[i] - w[i]) <= 1e-4f * std::max(1.f, std::fabs(w[i])));
                        if (!ok && bad++ == 0) firstBad = i;
                    }
                    INFO(name << ", path " << path << ": " << bad << " of " << want.size() << " differ, first at "
                              << firstBad << ": ref " << w[firstBad] << ", fast " << g[firstBad]);
                    CHECK(bad == 0);
                });
            }
        }
    }
}

TEST_CASE("every micro-kernel table lets NaN through ReLU and max pooling", "[kernels][cpu][scales]") {
    Activation relu;
    relu.kind = ActKind::ReLU;
    for (const Micro* m : {&microGeneric(), microAvx2(), microAvx512()}) {
        if (!m) continue;
        INFO(m->name);
        for (std::size_t n : {1, 7, 8, 17, 33}) {
            std::vector<float> x(n, kNaN), y(n, 0.f);
            m->scaleShiftAct(x.data(), y.data(), n, 1.f, 0.f, relu);
            for (float v : y) CHECK(std::isnan(v));
            double neg = 0, pos = 0;
            std::uint64_t bad = 0;
            m->scaleShiftCountAct(x.data(), y.data(), n, 0.5f, 1.f, relu, neg, pos, bad);
            for (float v : y) CHECK(std::isnan(v));
            CHECK(bad == n);
            // Max over a 2-tap window, NaN first or second in the row.
            const float inf = std::numeric_limits<float>::infinity();
            std::vector<float> row(n + 1, -inf), acc(n, -inf);
            row[n / 2] = kNaN;
            const std::size_t lo[2] = {0, 0}, hi[2] = {n, n};
            m->windowRow(1, row.data(), nullptr, 2, 1, 1, 0, lo, hi, acc.data());
            for (std::size_t i = 0; i < n; ++i) {
                INFO("i = " << i);
                if (i == n / 2 || i + 1 == n / 2) CHECK(std::isnan(acc[i]));
                else CHECK(acc[i] == -inf);
            }
        }
    }
}
