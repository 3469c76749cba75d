// A compiled plan allocates its buffers once: after the first forward (which
// grows the kernels' per-thread scratch and the Winograd step states), a
// forward allocates no buffer. Checked by counting large allocations through
// a replacement of the global operator new, which this file installs for the
// whole test binary (it only counts while a test asks it to). Not under
// AddressSanitizer, whose own operator new checks new/delete pairing.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <new>

#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"
#include "SchedulerTestUtils.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define FIBNLR_COUNT_ALLOCATIONS 0
#else
#define FIBNLR_COUNT_ALLOCATIONS 1
#endif

namespace {
std::atomic<bool> gCounting{false};
std::atomic<std::size_t> gLarge{0};
constexpr std::size_t kLarge = 4096;  // bytes: a buffer, not a closure or a small vector
} // namespace

#if FIBNLR_COUNT_ALLOCATIONS
// The non-aligned forms (the array and nothrow ones default to these in
// libstdc++, but are replaced too so every pair is ours).
void* operator new(std::size_t n) {
    if (gCounting.load(std::memory_order_relaxed) && n >= kLarge) ++gLarge;
    if (void* p = std::malloc(n ? n : 1)) return p;
    throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
    try {
        return operator new(n);
    } catch (...) {
        return nullptr;
    }
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#endif

using namespace fibnlr;
using fibnlr::test::rnd;

TEST_CASE("after the first forward, a compiled plan allocates no buffer", "[scheduler][plan]") {
    if (!FIBNLR_COUNT_ALLOCATIONS) {
        WARN("not counted under AddressSanitizer");
        return;
    }
    // Winograd, im2col (stride 3), depthwise, pooling, direct, 1×1 and Gemm steps.
    GraphView g{"alloc"};
    using Ints = std::vector<std::int64_t>;
    const AttrList pad1{{"pads", Ints{1, 1, 1, 1}}};
    const NodePtr x = addInput(g, "x");
    const NodePtr c1 = addNode(g, "Conv", "c1", {out(x)}, {{"W", rnd({40, 40, 3, 3}, -0.2f, 0.2f, 1)}}, pad1);
    const NodePtr r1 = addNode(g, "ReLU", "r1", {out(c1)});
    // Stride 3: im2col (the direct kernel takes strides up to 2).
    const NodePtr c2 = addNode(g, "Conv", "c2", {out(r1)}, {{"W", rnd({32, 40, 3, 3}, -0.3f, 0.3f, 2)}},
                               {{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{3, 3}}});
    const NodePtr dw = addNode(g, "Conv", "dw", {out(c2)}, {{"W", rnd({32, 1, 3, 3}, -0.3f, 0.3f, 3)}},
                               {{"pads", Ints{1, 1, 1, 1}}, {"group", std::int64_t(32)}});
    const NodePtr clip = addNode(g, "Clip", "clip", {out(dw)}, {}, {{"min", 0.f}, {"max", 6.f}});
    const NodePtr pool = addNode(g, "MaxPool", "pool", {out(clip)}, {}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
    const NodePtr c3 = addNode(g, "Conv", "c3", {out(pool)}, {{"W", rnd({32, 32, 3, 3}, -0.3f, 0.3f, 7)}}, pad1);
    const NodePtr pw = addNode(g, "Conv", "pw", {out(c3)}, {{"W", rnd({24, 32, 1, 1}, -0.3f, 0.3f, 4)}});
    const NodePtr gap = addNode(g, "GlobalAveragePool", "gap", {out(pw)});
    const NodePtr flat = addNode(g, "Flatten", "flat", {out(gap)});
    const NodePtr fc = addNode(g, "Gemm", "fc", {out(flat)}, {{"B", rnd({10, 24}, -1.f, 1.f, 5)}}, {{"transB", std::int64_t(1)}});
    g.setOutputs({out(fc)});
    const Tensor in = rnd({2, 40, 20, 20}, -1.f, 1.f, 6);

    // One thread: with more, a kernel's items may land on a worker whose
    // scratch has not grown yet in an earlier forward.
    const std::size_t threadsBefore = numThreads();
    setNumThreads(1);
    compile(g, CompileOptions{"cpu", DataType::Float32, {in.dims()}});
    const std::vector<std::string> plan = dynamic_cast<Scheduler&>(*g.executor()).describePlan();
    for (const char* step : {"c1+r1 : conv2d_f32_winograd_act", "c2 : conv2d_f32_im2col", "dw+clip : dwconv2d_f32_interleaved_act",
                             "pool : maxpool2d_f32_direct", "c3 : conv2d_f32_direct", "pw : conv2d_f32_im2col"}) {
        INFO(step);
        CHECK(std::find(plan.begin(), plan.end(), step) != plan.end());
    }
    const std::vector<float> first = forward(g, {in})[0].toVector<float>();
    gLarge = 0;
    gCounting = true;
    const std::vector<Tensor> second = forward(g, {in});
    gCounting = false;
    setNumThreads(threadsBefore);
    CHECK(gLarge == 0);
    CHECK(second[0].toVector<float>() == first);

    // The counter does count: a forward on a new batch size re-plans and allocates.
    gLarge = 0;
    gCounting = true;
    (void)forward(g, {rnd({3, 40, 20, 20}, -1.f, 1.f, 7)});
    gCounting = false;
    CHECK(gLarge > 0);
}
