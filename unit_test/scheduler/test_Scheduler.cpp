#include <catch2/catch.hpp>

#include "fibnlr/data/CheckedMath.hpp"
#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

using namespace fibnlr;

namespace {
/// x [N, 3, H, W] -> conv 3x3 pad 1 (2 channels) -> ReLU -> GlobalAveragePool.
struct Net {
    GraphView g{"net"};
    NodePtr x, conv, relu, pool;
    Net() {
        x = addInput(g, "x");
        Tensor w({2, 3, 3, 3});
        for (std::size_t i = 0; i < w.size(); ++i) w.data<float>()[i] = (i % 2 ? 1.f : -0.5f);
        conv = addNode(g, "Conv", "conv", {out(x)}, {{"W", w}},
                       {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
        relu = addNode(g, "ReLU", "relu", {out(conv)});
        pool = addNode(g, "GlobalAveragePool", "pool", {out(relu)});
        g.setOutputs({out(pool)});
    }
};

Tensor ones(Shape dims) {
    Tensor t(std::move(dims));
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] = 1.f;
    return t;
}
} // namespace

TEST_CASE("compile infers shapes; forward runs; dims override the batch", "[scheduler]") {
    Net n;
    Scheduler& s = compile(n.g, CompileOptions{"cpu", DataType::Float32, {{4, 3, 5, 5}}});
    REQUIRE(s.outputShape(*n.conv) == Shape{4, 2, 5, 5});
    REQUIRE(s.outputShape(*n.pool) == Shape{4, 2, 1, 1});
    auto y = forward(n.g, {ones({4, 3, 5, 5})});
    REQUIRE(y.size() == 1);
    REQUIRE(y[0].dims() == Shape{4, 2, 1, 1});
    // A partial last batch: only dim 0 differs, so forward re-plans.
    auto y2 = forward(n.g, {ones({1, 3, 5, 5})});
    REQUIRE(y2[0].dims() == Shape{1, 2, 1, 1});
    REQUIRE(y2[0].data<float>()[0] == Approx(y[0].data<float>()[0]));
}

TEST_CASE("forward rejects wrong input count, rank and shape with the input name", "[scheduler]") {
    Net n;
    compile(n.g, CompileOptions{"cpu", DataType::Float32, {{1, 3, 5, 5}}});
    REQUIRE_THROWS_WITH(forward(n.g, {}), Catch::Contains("takes 1 inputs"));
    REQUIRE_THROWS_WITH(forward(n.g, {ones({3, 5, 5})}), Catch::Contains("'x'") && Catch::Contains("[1, 3, 5, 5]"));
    REQUIRE_THROWS_WITH(forward(n.g, {ones({1, 4, 5, 5})}), Catch::Contains("[1, 4, 5, 5]"));
    REQUIRE_THROWS_WITH(forward(n.g, {Tensor({1, 3, 5, 5}, DataType::Int64)}), Catch::Contains("int64"));
}

TEST_CASE("compile names the node whose shape rule fails", "[scheduler]") {
    Net n;
    REQUIRE_THROWS_WITH(compile(n.g, CompileOptions{"cpu", DataType::Float32, {{1, 4, 5, 5}}}),
                        Catch::Contains("'conv'") && Catch::Contains("input channels"));
    REQUIRE_THROWS_WITH(compile(n.g, CompileOptions{"cpu", DataType::Float32, {{1, 3, 5}}}),
                        Catch::Contains("'conv'"));
    REQUIRE_THROWS_WITH(compile(n.g, CompileOptions{"gpu", DataType::Float32, {{1, 3, 5, 5}}}),
                        Catch::Contains("backend 'gpu'"));
    REQUIRE_THROWS_WITH(compile(n.g, CompileOptions{"cpu", DataType::Float32, {}}), Catch::Contains("1 inputs"));
    REQUIRE_THROWS_WITH(forward(n.g, {ones({1, 3, 5, 5})}), Catch::Contains("not compiled"));
}

TEST_CASE("forward recompiles after the graph or an attribute changed", "[scheduler]") {
    Net n;
    compile(n.g, CompileOptions{"cpu", DataType::Float32, {{1, 3, 6, 6}}});
    REQUIRE(forward(n.g, {ones({1, 3, 6, 6})})[0].dims() == Shape{1, 2, 1, 1});
    n.conv->getOperator().setAttribute("strides", std::vector<std::int64_t>{2, 2});
    REQUIRE(forward(n.g, {ones({1, 3, 6, 6})})[0].dims() == Shape{1, 2, 1, 1});
    // Replace the pool by Flatten: the output shape changes with the graph.
    auto flat = Node::create(makeOperator("Flatten"), "flat");
    n.g.replace({n.pool}, {flat});
    REQUIRE(forward(n.g, {ones({1, 3, 6, 6})})[0].dims() == Shape{1, 2 * 3 * 3});
}

TEST_CASE("input hooks see each node's input and can be removed by key", "[scheduler]") {
    Net n;
    compile(n.g, CompileOptions{"cpu", DataType::Float32, {{2, 3, 4, 4}}});
    std::vector<Shape> seen;
    n.g.hooks().set("test", n.relu.get(), [&](const Node& node, const Tensor& in) {
        REQUIRE(node.name() == "relu");
        seen.push_back(in.dims());
    });
    n.g.hooks().set("test", n.relu.get(), [&](const Node&, const Tensor& in) { seen.push_back(in.dims()); });
    forward(n.g, {ones({2, 3, 4, 4})});
    REQUIRE(seen == std::vector<Shape>{{2, 2, 4, 4}});  // the second set replaced the first
    n.g.hooks().removeAll("test");
    forward(n.g, {ones({2, 3, 4, 4})});
    REQUIRE(seen.size() == 1);
}

TEST_CASE("compile refuses sizes that overflow or exceed the memory limit, naming the input or node", "[scheduler]") {
    Net n;
    const std::size_t p62 = std::size_t(1) << 62, p32 = std::size_t(1) << 32;
    REQUIRE_THROWS_WITH(compile(n.g, CompileOptions{"cpu", DataType::Float32, {{p62, 3, 32, 32}}}),
                        Catch::Contains("input 'x'") && Catch::Contains("more than 2^64"));
    // 2^32 * 2^32 wraps to 0: it must not pass as an empty tensor.
    REQUIRE_THROWS_WITH(compile(n.g, CompileOptions{"cpu", DataType::Float32, {{p32, p32, 1, 1}}}),
                        Catch::Contains("input 'x'"));
    // A node whose output exceeds the memory limit although its input fits: named with its size.
    GraphView g("cat");
    NodePtr x = addInput(g, "x");
    NodePtr cat = addNode(g, "Concat", "cat", {out(x), out(x)}, {}, {{"axis", std::int64_t(1)}});
    g.setOutputs({out(cat)});
    const std::size_t saved = memoryLimit();
    setMemoryLimit(10000);
    CHECK_NOTHROW(compile(g, CompileOptions{"cpu", DataType::Float32, {{1, 1, 30, 40}}}));  // 4800 -> 9600 bytes
    REQUIRE_THROWS_WITH(compile(g, CompileOptions{"cpu", DataType::Float32, {{1, 1, 40, 40}}}),  // 6400 -> 12800
                        Catch::Contains("'cat'") && Catch::Contains("[1, 2, 40, 40] needs 12800 bytes") &&
                            Catch::Contains("memory limit of 10000"));
    // Each tensor fits, but cat (6400 bytes) and cat2 (9600 bytes) are alive together.
    NodePtr cat2 = addNode(g, "Concat", "cat2", {out(cat), out(x)}, {}, {{"axis", std::int64_t(1)}});
    g.setOutputs({out(cat2)});
    REQUIRE_THROWS_WITH(compile(g, CompileOptions{"cpu", DataType::Float32, {{1, 1, 20, 40}}}),
                        Catch::Contains("16000 bytes of activations") && Catch::Contains("memory limit of 10000"));
    setMemoryLimit(saved);
}

TEST_CASE("compile refuses a node that produces an empty tensor", "[scheduler]") {
    // Slice [2, 8) of a batch of 1 is empty; an Add on it divided by zero in the kernel (SIGFPE).
    GraphView g("empty");
    NodePtr x = addInput(g, "x");
    NodePtr s = addNode(g, "Slice", "slice", {out(x)}, {},
                        {{"starts", std::vector<std::int64_t>{2}}, {"ends", std::vector<std::int64_t>{8}}});
    NodePtr add = addNode(g, "Add", "add", {out(s), out(s)});
    g.setOutputs({out(add)});
    REQUIRE_THROWS_WITH(compile(g, CompileOptions{"cpu", DataType::Float32, {{1, 4, 6, 6}}}),
                        Catch::Contains("'slice'") && Catch::Contains("empty tensor [0, 4, 6, 6]"));
    CHECK_NOTHROW(compile(g, CompileOptions{"cpu", DataType::Float32, {{3, 4, 6, 6}}}));
}

TEST_CASE("step profiling times each step of successful forwards and starts afresh on a re-plan", "[scheduler]") {
    Net n;
    Scheduler& s = compile(n.g, CompileOptions{"cpu", DataType::Float32, {{2, 3, 8, 8}}});
    const std::size_t steps = s.describePlan().size();
    forward(n.g, {ones({2, 3, 8, 8})});
    CHECK(s.profiledRuns() == 0);  // off by default
    CHECK(s.stepSeconds() == std::vector<double>(steps, 0.0));

    s.setProfiling(true);
    for (int i = 0; i < 3; ++i) forward(n.g, {ones({2, 3, 8, 8})});
    CHECK(s.profiledRuns() == 3);
    std::vector<double> secs = s.stepSeconds();
    REQUIRE(secs.size() == steps);
    for (double t : secs) CHECK((t > 0.0 && t < 1.0));

    // A forward that fails in a step (a hook throws) adds nothing.
    n.g.hooks().set("boom", n.relu.get(), [](const Node&, const Tensor&) { throw std::runtime_error("boom"); });
    CHECK_THROWS_AS(forward(n.g, {ones({2, 3, 8, 8})}), std::runtime_error);
    n.g.hooks().removeAll("boom");
    CHECK(s.profiledRuns() == 3);
    CHECK(s.stepSeconds() == secs);

    // A new batch size re-plans: the profile restarts with the forward that built the new plan.
    forward(n.g, {ones({1, 3, 8, 8})});
    CHECK(s.profiling());
    CHECK(s.profiledRuns() == 1);
    s.setProfiling(false);
    forward(n.g, {ones({1, 3, 8, 8})});
    CHECK(s.profiledRuns() == 0);
    CHECK(s.stepSeconds() == std::vector<double>(s.describePlan().size(), 0.0));
}
