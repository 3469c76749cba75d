// Compiled plans: buffer planning (src/scheduler/Plan.cpp) and the fusion the
// scheduler does on the "cpu" backend, checked against the unfused "ref" plan.
#include <catch2/catch.hpp>

#include <cmath>

#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/kernels/cpu/Micro.hpp"
#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/scheduler/Plan.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"
#include "SchedulerTestUtils.hpp"

using namespace fibnlr;
using fibnlr::test::requireClose;
using fibnlr::test::rnd;
using fibnlr::test::run;

namespace {

/// x → conv1 → bn1 → relu1 → conv2 → bn2 → add(·, relu1) → relu2 → pool → flat → fc → leaky.
/// relu1's output has two readers (conv2 and the skip), but its input has one,
/// so it still fuses into conv1's epilogue.
struct Block {
    GraphView g{"block"};
    NodePtr x, conv1, bn1, relu1, conv2, bn2, add, relu2, pool, flat, fc, leaky;
    Block() {
        const std::size_t C = 13;
        auto bnParams = [&](unsigned s) {
            return std::map<std::string, Tensor>{{"scale", rnd({C}, 0.5f, 1.5f, s)},
                                                 {"B", rnd({C}, -0.5f, 0.5f, s + 1)},
                                                 {"input_mean", rnd({C}, -0.5f, 0.5f, s + 2)},
                                                 {"input_var", rnd({C}, 0.5f, 2.f, s + 3)}};
        };
        const AttrList pad1{{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}};
        x = addInput(g, "x");
        conv1 = addNode(g, "Conv", "conv1", {out(x)}, {{"W", rnd({C, 3, 3, 3}, -0.5f, 0.5f, 1)}}, pad1);
        bn1 = addNode(g, "BatchNormalization", "bn1", {out(conv1)}, bnParams(10));
        relu1 = addNode(g, "ReLU", "relu1", {out(bn1)});
        conv2 = addNode(g, "Conv", "conv2", {out(relu1)},
                        {{"W", rnd({C, C, 3, 3}, -0.3f, 0.3f, 2)}, {"B", rnd({C}, -0.1f, 0.1f, 3)}}, pad1);
        bn2 = addNode(g, "BatchNormalization", "bn2", {out(conv2)}, bnParams(20));
        add = addNode(g, "Add", "add", {out(bn2), out(relu1)});
        relu2 = addNode(g, "ReLU", "relu2", {out(add)});
        pool = addNode(g, "GlobalAveragePool", "pool", {out(relu2)});
        flat = addNode(g, "Flatten", "flat", {out(pool)});
        fc = addNode(g, "Gemm", "fc", {out(flat)}, {{"B", rnd({5, C}, -1.f, 1.f, 4)}, {"C", rnd({5}, -1.f, 1.f, 5)}},
                     {{"transB", std::int64_t(1)}});
        leaky = addNode(g, "LeakyReLU", "leaky", {out(fc)}, {}, {{"alpha", 0.2f}});
        g.setOutputs({out(leaky)});
    }
};

} // namespace

TEST_CASE("planMemory reuses dead buffers, writes in place and never reuses an output", "[scheduler][plan]") {
    // v0 (step 0) read by 1; v1 (step 1) read by 2, in place of v0; v2 (step 2) read by 3; v3 output.
    std::vector<MemoryValue> v(4);
    v[0] = {100, 0, 1};
    v[1] = {100, 1, 2, 0, false};
    v[2] = {50, 2, 3};
    v[3] = {100, 3, SIZE_MAX};
    const MemoryPlan p = planMemory(v);
    CHECK(p.slotOf[1] == p.slotOf[0]);  // in place
    CHECK(p.slotOf[2] != p.slotOf[1]);  // v1 is read while v2 is written
    CHECK(p.slotOf[3] == p.slotOf[0]);  // v0/v1 are dead by step 3
    CHECK(p.slotFloats.size() == 2);
    // A view shares its source's slot even though the source lives on; the
    // slot stays busy until both are dead.
    std::vector<MemoryValue> w(3);
    w[0] = {10, 0, 2};
    w[1] = {10, 1, 3, 0, true};
    w[2] = {10, 2, 3};
    const MemoryPlan q = planMemory(w);
    CHECK(q.slotOf[1] == q.slotOf[0]);
    CHECK(q.slotOf[2] != q.slotOf[0]);
}

TEST_CASE("cpu plan fuses Conv+BN+activation and producer+activation, equal to the ref plan", "[scheduler][plan]") {
    Block b;
    const Tensor x = rnd({3, 3, 9, 7}, -1.f, 1.f, 99);
    const std::vector<float> ref = run(b.g, "ref", x);
    const std::vector<float> cpu = run(b.g, "cpu", x);
    requireClose(cpu, ref);
    auto& s = dynamic_cast<Scheduler&>(*b.g.executor());
    const std::vector<std::string> plan = s.describePlan();
    CHECK(std::find(plan.begin(), plan.end(), "conv1+bn1+relu1 : conv2d_f32_direct_act") != plan.end());
    CHECK(std::find(plan.begin(), plan.end(), "conv2+bn2 : conv2d_f32_direct_act") != plan.end());
    CHECK(std::find(plan.begin(), plan.end(), "add+relu2 : add_f32_bcast_act") != plan.end());
    CHECK(std::find(plan.begin(), plan.end(), "fc+leaky : gemm_f32_sgemm_act") != plan.end());
    // The user's graph keeps its BatchNorm nodes; shapes of fused-away nodes stay queryable.
    CHECK(b.g.getNodesByType("BatchNormalization").size() == 2);
    CHECK(s.outputShape(*b.bn1) == Shape{3, 13, 9, 7});
    // Buffers are shared: less than one buffer per intermediate tensor.
    CHECK(s.plannedFloats() < 4 * 3 * 13 * 9 * 7);
}

TEST_CASE("a hook on a fused-away node sees its real input (the step runs unfused)", "[scheduler][plan]") {
    Block b;
    const Tensor x = rnd({2, 3, 8, 8}, -1.f, 1.f, 7);
    std::map<std::string, std::vector<float>> seen[2];
    int which = 0;
    for (const NodePtr& n : {b.bn1, b.relu1, b.relu2, b.leaky})
        b.g.hooks().set("test", n.get(), [&](const Node& node, const Tensor& in) { seen[which][node.name()] = in.toVector<float>(); });
    const std::vector<float> ref = run(b.g, "ref", x);
    which = 1;
    const std::vector<float> cpu = run(b.g, "cpu", x);
    requireClose(cpu, ref);
    for (const char* name : {"bn1", "relu1", "relu2", "leaky"}) {
        INFO(name);
        REQUIRE(seen[1].count(name));
        requireClose(seen[1][name], seen[0][name]);
    }
    // Without hooks the fused path runs again and gives the same output.
    b.g.hooks().removeAll("test");
    requireClose(forward(b.g, {x})[0].toVector<float>(), ref);
}

TEST_CASE("parameters edited in place are seen by the BN epilogue; set_kernels re-plans", "[scheduler][plan]") {
    Block b;
    const Tensor x = rnd({2, 3, 8, 8}, -1.f, 1.f, 8);
    const std::vector<float> before = run(b.g, "cpu", x);
    // Edit bn2's scale tensor in place (no revision bump), as numpy users do.
    auto& scale = static_cast<ProducerOp&>(b.bn2->getParent(1)->getOperator());
    Tensor t = scale.value();
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] *= 2.f;
    const std::vector<float> after = forward(b.g, {x})[0].toVector<float>();
    CHECK(after != before);
    setKernels("ref");
    const std::vector<float> viaRef = forward(b.g, {x})[0].toVector<float>();
    CHECK(dynamic_cast<Scheduler&>(*b.g.executor()).describePlan().size() == 11);  // one step per node
    setKernels("cpu");
    requireClose(after, viaRef);
    requireClose(forward(b.g, {x})[0].toVector<float>(), viaRef);
    CHECK(dynamic_cast<Scheduler&>(*b.g.executor()).describePlan().size() == 6);  // fused again after re-plan
}

TEST_CASE("sign-statistics hooks on fused activations are fed by the epilogue, not by the tensor", "[scheduler][plan]") {
    Block b;
    const Tensor x = rnd({2, 3, 8, 8}, -1.f, 1.f, 11);
    struct Seen {
        int tensorCalls = 0, statsCalls = 0;
        double neg = 0, pos = 0;
        std::vector<std::uint8_t> alive;
    };
    std::map<std::string, Seen> seen;
    bool on = true;
    const NodePtr acts[] = {b.relu1, b.relu2, b.leaky};
    for (const NodePtr& n : acts)
        b.g.hooks().set(
            "stats", n.get(),
            [&](const Node& node, const Tensor& in) {
                Seen& s = seen[node.name()];
                ++s.tensorCalls;
                for (float v : in.toVector<float>()) (v < 0 ? s.neg : s.pos) += std::fabs(v);
            },
            SignStatsHook{[&](const Node&) { return on; },
                          [&](const Node& node, double neg, double pos, std::uint64_t, const std::uint8_t* alive, std::size_t c) {
                              Seen& s = seen[node.name()];
                              ++s.statsCalls;
                              s.neg += neg, s.pos += pos;
                              s.alive.assign(alive, alive + c);
                          }});
    const std::vector<float> y = run(b.g, "cpu", x);
    for (const NodePtr& n : acts) {
        INFO(n->name());
        CHECK(seen[n->name()].statsCalls == 1);
        CHECK(seen[n->name()].tensorCalls == 0);
    }
    CHECK(seen["relu1"].alive.size() == 13);
    CHECK(seen["leaky"].alive.size() == 5);
    // Same statistics through the tensor hooks of the unfused ref plan.
    std::map<std::string, Seen> fused = seen;
    seen.clear();
    requireClose(run(b.g, "ref", x), y);
    for (const NodePtr& n : acts) {
        INFO(n->name());
        CHECK(seen[n->name()].tensorCalls == 1);
        CHECK(fused[n->name()].neg == Approx(seen[n->name()].neg).epsilon(1e-5));
        CHECK(fused[n->name()].pos == Approx(seen[n->name()].pos).epsilon(1e-5));
    }
    // Inactive: nothing is counted and the plain fused kernel runs.
    on = false;
    seen.clear();
    run(b.g, "cpu", x);
    CHECK(seen.empty());
}

TEST_CASE("Winograd steps keep their transformed weights and redo them when the weights change in place",
          "[scheduler][plan]") {
    // conv1: 16×16 maps, batch 4 → F(4×4) (64 tiles); conv2 after a 2×2 pool: 8×8 → F(2×2) (64 tiles).
    // 40 channels: K = 360, too many weights per output for conv2d_f32_direct, which Winograd beats there.
    GraphView g{"wino"};
    const AttrList pad1{{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}};
    const NodePtr x = addInput(g, "x");
    const NodePtr conv1 = addNode(g, "Conv", "conv1", {out(x)}, {{"W", rnd({40, 40, 3, 3}, -0.2f, 0.2f, 31)}}, pad1);
    const NodePtr relu = addNode(g, "ReLU", "relu", {out(conv1)});
    const NodePtr pool = addNode(g, "MaxPool", "pool", {out(relu)}, {},
                                 {{"kernel_shape", std::vector<std::int64_t>{2, 2}}, {"strides", std::vector<std::int64_t>{2, 2}}});
    const NodePtr conv2 = addNode(g, "Conv", "conv2", {out(pool)}, {{"W", rnd({40, 40, 3, 3}, -0.2f, 0.2f, 32)}}, pad1);
    g.setOutputs({out(conv2)});
    const Tensor in = rnd({4, 40, 16, 16}, -1.f, 1.f, 33);
    auto reference = [&] {
        auto copy = g.clone();
        return run(*copy, "ref", in);
    };
    auto close = [](const std::vector<float>& a, const std::vector<float>& b) {
        REQUIRE(a.size() == b.size());
        float scale = 1.f, err = 0.f;
        for (std::size_t i = 0; i < a.size(); ++i) scale = std::max(scale, std::fabs(b[i])), err = std::max(err, std::fabs(a[i] - b[i]));
        CHECK(err <= 1e-4f * scale);  // F(4×4) rounding: see supportsWinograd4
    };

    const std::vector<float> first = run(g, "cpu", in);
    const std::vector<std::string> plan = dynamic_cast<Scheduler&>(*g.executor()).describePlan();
    CHECK(std::find(plan.begin(), plan.end(), "conv1+relu : conv2d_f32_winograd4_act") != plan.end());
    CHECK(std::find(plan.begin(), plan.end(), "conv2 : conv2d_f32_winograd") != plan.end());
    close(first, reference());
    CHECK(forward(g, {in})[0].toVector<float>() == first);  // kept weights: the same result, bit for bit

    // In place, as numpy users do (no revision bump, so no re-plan): one element of conv1, all of conv2.
    static_cast<ProducerOp&>(conv1->getParent(1)->getOperator()).value().data<float>()[100] += 0.5f;
    const std::vector<float> afterOne = forward(g, {in})[0].toVector<float>();
    CHECK(afterOne != first);
    close(afterOne, reference());
    Tensor w2 = static_cast<ProducerOp&>(conv2->getParent(1)->getOperator()).value();
    for (std::size_t i = 0; i < w2.size(); ++i) w2.data<float>()[i] *= -2.f;
    close(forward(g, {in})[0].toVector<float>(), reference());
}

TEST_CASE("cpu plan fuses Conv (+BN) + per-channel PReLU, reads the live slopes, and leaves other slopes unfused",
          "[scheduler][plan]") {
    // x → conv1 → bn1 → prelu1 (slope [C, 1, 1]) → conv2 → prelu2 (slope [W]: not per channel).
    const std::size_t C = 13, W = 7;
    GraphView g{"prelu"};
    const AttrList pad1{{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}};
    const NodePtr x = addInput(g, "x");
    const NodePtr conv1 = addNode(g, "Conv", "conv1", {out(x)}, {{"W", rnd({C, 3, 3, 3}, -0.5f, 0.5f, 1)}}, pad1);
    const NodePtr bn1 = addNode(g, "BatchNormalization", "bn1", {out(conv1)},
                                {{"scale", rnd({C}, 0.5f, 1.5f, 2)}, {"B", rnd({C}, -0.5f, 0.5f, 3)},
                                 {"input_mean", rnd({C}, -0.5f, 0.5f, 4)}, {"input_var", rnd({C}, 0.5f, 2.f, 5)}});
    const NodePtr prelu1 = addNode(g, "PReLU", "prelu1", {out(bn1)}, {{"slope", rnd({C, 1, 1}, -0.5f, 0.5f, 6)}});
    const NodePtr conv2 = addNode(g, "Conv", "conv2", {out(prelu1)}, {{"W", rnd({C, C, 3, 3}, -0.3f, 0.3f, 7)}}, pad1);
    const NodePtr prelu2 = addNode(g, "PReLU", "prelu2", {out(conv2)}, {{"slope", rnd({W}, -0.5f, 0.5f, 8)}});
    g.setOutputs({out(prelu2)});
    const Tensor xin = rnd({2, 3, 9, W}, -1.f, 1.f, 9);
    const std::vector<float> ref = run(g, "ref", xin);
    requireClose(run(g, "cpu", xin), ref);
    const std::vector<std::string> plan = dynamic_cast<Scheduler&>(*g.executor()).describePlan();
    CHECK(std::find(plan.begin(), plan.end(), "conv1+bn1+prelu1 : conv2d_f32_direct_act") != plan.end());
    // prelu2's slopes run along W, not per channel: a step of its own (the pattern is there but must not fuse).
    const auto startsWith = [&](const char* prefix) {
        return std::find_if(plan.begin(), plan.end(), [&](const std::string& s) { return s.rfind(prefix, 0) == 0; }) != plan.end();
    };
    CHECK(startsWith("conv2 :"));
    CHECK(startsWith("prelu2 :"));
    // The slopes are read at every run: an in-place edit is seen without a re-plan.
    Tensor slope = static_cast<const ProducerOp&>(prelu1->input(1).node->getOperator()).value();
    for (std::size_t i = 0; i < C; ++i) slope.data<float>()[i] = 0.f;  // PReLU → ReLU
    const std::vector<float> afterEdit = forward(g, {xin})[0].toVector<float>();
    requireClose(afterEdit, run(g, "ref", xin));
    CHECK(afterEdit != ref);
}

namespace {
/// conv1 → [id1] → conv2 → [drop] → add(·, conv1) → relu → [idOut]: with `pruned`, the
/// Identity/Dropout nodes a pruned graph keeps; without, the same weights wired directly.
/// conv1's output has two readers (id1 and the skip), so id1 cannot run in place: only a
/// view avoids a buffer and a copy.
struct PrunedChain {
    GraphView g{"pruned"};
    NodePtr id1, drop, idOut;
    explicit PrunedChain(bool pruned) {
        const AttrList pad1{{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}};
        const NodePtr x = addInput(g, "x");
        const NodePtr conv1 = addNode(g, "Conv", "conv1", {out(x)}, {{"W", rnd({6, 3, 3, 3}, -0.5f, 0.5f, 41)}}, pad1);
        Port a = out(conv1);
        if (pruned) a = out(id1 = addNode(g, "Identity", "id1", {a}));
        const NodePtr conv2 = addNode(g, "Conv", "conv2", {a}, {{"W", rnd({6, 6, 3, 3}, -0.3f, 0.3f, 42)}}, pad1);
        Port b = out(conv2);
        if (pruned) b = out(drop = addNode(g, "Dropout", "drop", {b}));
        const NodePtr add = addNode(g, "Add", "add", {b, out(conv1)});
        Port y = out(addNode(g, "ReLU", "relu", {out(add)}));
        if (pruned) y = out(idOut = addNode(g, "Identity", "id_out", {y}));
        g.setOutputs({y});
    }
};
} // namespace

TEST_CASE("Identity and Dropout run as views of their input: no buffer, no copy, same outputs", "[scheduler][plan]") {
    const Tensor x = rnd({2, 3, 7, 5}, -1.f, 1.f, 43);
    PrunedChain plain(false), pruned(true);
    const std::vector<float> want = run(plain.g, "cpu", x);
    const std::size_t plainFloats = dynamic_cast<Scheduler&>(*plain.g.executor()).plannedFloats();
    requireClose(run(pruned.g, "ref", x), want);
    requireClose(run(pruned.g, "cpu", x), want);
    auto& s = dynamic_cast<Scheduler&>(*pruned.g.executor());
    const std::vector<std::string> plan = s.describePlan();
    CHECK(std::find(plan.begin(), plan.end(), "id1 : identity_f32_view") != plan.end());
    CHECK(std::find(plan.begin(), plan.end(), "drop : dropout_f32_view") != plan.end());
    // A copy for id1 would need a buffer beside conv1's output, which the skip still reads.
    CHECK(s.plannedFloats() == plainFloats);
    // A hook on a view still sees its input (conv1's output).
    std::vector<float> seen;
    pruned.g.hooks().set("test", pruned.id1.get(), [&](const Node&, const Tensor& in) { seen = in.toVector<float>(); });
    requireClose(forward(pruned.g, {x})[0].toVector<float>(), want);
    pruned.g.hooks().removeAll("test");
    PrunedChain probe(false);
    probe.g.setOutputs({out(probe.g.getNode("conv1"))});
    requireClose(seen, run(probe.g, "ref", x));
}

TEST_CASE("an Identity on a graph input copies it: an in-place step after it never writes the caller's tensor",
          "[scheduler][plan]") {
    GraphView g{"id_on_input"};
    const NodePtr x = addInput(g, "x");
    const NodePtr id = addNode(g, "Identity", "id", {out(x)});
    const NodePtr relu = addNode(g, "ReLU", "relu", {out(id)});
    g.setOutputs({out(relu)});
    const Tensor in = rnd({2, 3, 4, 4}, -1.f, 1.f, 44);
    const std::vector<float> before = in.toVector<float>();
    const std::vector<float> y = run(g, "cpu", in);
    CHECK(in.toVector<float>() == before);
    REQUIRE(y.size() == before.size());
    for (std::size_t i = 0; i < y.size(); ++i) CHECK(y[i] == std::max(before[i], 0.f));
    const std::vector<std::string> plan = dynamic_cast<Scheduler&>(*g.executor()).describePlan();
    CHECK(std::find(plan.begin(), plan.end(), "id : identity_f32_view") != plan.end());
}
