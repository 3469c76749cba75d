// Exact merges through a bias: the merged conv carries the chain's f(0) as a bias map.
#include <catch2/catch.hpp>

#include "MergeTestUtils.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/recipes/BiasMap.hpp"
#include "fibnlr/recipes/Simplify.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {

const Tensor& weightOf(const NodePtr& conv, std::size_t i) {
    return static_cast<const ProducerOp&>(conv->producer(i)->getOperator()).value();
}

/// MobileNetV2 inverted residual with its ReLU6s pruned:
/// x -> expand 1x1 (C -> 6C) -> dw 3x3 pad 1 -> project 1x1 (6C -> C) -> + x -> ReLU (the next block's).
std::vector<NodePtr> invertedResidual(GraphView& g, std::size_t C, std::mt19937& rng) {
    NodePtr x = addInput(g, "x");
    NodePtr e = addConv(g, out(x), "expand", C, {6 * C, {1, 1}}, rng);
    NodePtr d = addConv(g, out(e), "dw", 6 * C, {6 * C, {3, 3}, {}, {1, 1, 1, 1}, {}, static_cast<std::int64_t>(6 * C)}, rng);
    NodePtr p = addConv(g, out(d), "project", 6 * C, {C, {1, 1}}, rng);
    NodePtr add = addNode(g, "Add", "add", {out(p), out(x)});
    NodePtr h = addNode(g, "ReLU", "relu", {out(add)});
    g.setOutputs({out(h)});
    return {e, d, p};
}

Tensor runOn(GraphView& g, const Tensor& x, const std::string& backend) {
    compile(g, CompileOptions{backend, DataType::Float32, {x.dims()}});
    return forward(g, {x}).at(0).clone();
}

} // namespace

TEST_CASE("chainBiasMap is the chain's output on zeros; compactBias keeps a map only where needed", "[recipes][BiasMap]") {
    std::mt19937 rng(3);
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr a = addConv(g, out(x), "a", 2, {3, {1, 1}}, rng);
    NodePtr b = addConv(g, out(a), "b", 3, {2, {3, 3}, {}, {1, 1, 1, 1}}, rng);
    g.setOutputs({out(b)});
    const Tensor map = chainBiasMap({a, b}, {5, 2, 4, 6});  // batch ignored
    REQUIRE(map.dims() == Shape{2, 4, 6});
    // Independently: a gives b1 everywhere; b sums W2·b1 over the taps that land inside the 4x6 map, plus b2.
    const Tensor &b1 = weightOf(a, 2), &w2 = weightOf(b, 1), &b2 = weightOf(b, 2);
    for (std::size_t o = 0; o < 2; ++o)
        for (std::size_t y = 0; y < 4; ++y)
            for (std::size_t xx = 0; xx < 6; ++xx) {
                double v = b2.data<float>()[o];
                for (std::size_t m = 0; m < 3; ++m)
                    for (std::size_t ky = 0; ky < 3; ++ky)
                        for (std::size_t kx = 0; kx < 3; ++kx) {
                            const long iy = static_cast<long>(y + ky) - 1, ix = static_cast<long>(xx + kx) - 1;
                            if (iy < 0 || iy >= 4 || ix < 0 || ix >= 6) continue;
                            v += static_cast<double>(w2.data<float>()[((o * 3 + m) * 3 + ky) * 3 + kx]) * b1.data<float>()[m];
                        }
                CHECK(map.data<float>()[(o * 4 + y) * 6 + xx] == Approx(v).margin(1e-5));
            }
    CHECK(compactBias(map).dims() == Shape{2, 4, 6});  // the border differs from the interior
    Tensor flat({2, 3, 3});
    for (std::size_t i = 0; i < flat.size(); ++i) flat.data<float>()[i] = i < 9 ? 1.5f : -2.f;
    const Tensor c = compactBias(flat);
    REQUIRE(c.dims() == Shape{2});
    CHECK(c.data<float>()[0] == 1.5f);
    CHECK(c.data<float>()[1] == -2.f);
}

TEST_CASE("simplify: a pruned inverted residual block becomes one conv with a bias map, exactly", "[recipes][BiasMap]") {
    std::mt19937 rng(21);
    GraphView g;
    invertedResidual(g, 8, rng);
    Tensor x = randomTensor({2, 8, 9, 7}, rng);
    const Tensor ref = run(g, x), refCpu = runOn(g, x, "cpu");
    SimplifyOptions o;
    o.merge.inputDims = {x.dims()};
    SimplifyResult r = simplify(g, o);
    REQUIRE(r.merged.size() == 1);
    CHECK(r.merged[0].nodes == std::vector<std::string>{"expand", "dw", "project"});
    CHECK(r.merged[0].exact);
    CHECK(r.merged[0].biasMap);
    REQUIRE(r.residualFolds.size() == 1);
    CHECK(countType(g, "Conv") == 1);
    CHECK(countType(g, "Add") == 0);
    NodePtr merged = g.getNode("expand+project");
    REQUIRE(merged);
    CHECK(weightOf(merged, 2).dims() == Shape{8, 9, 7});  // f(0) at the merged size
    CHECK(closeExact(run(g, x), ref));
    CHECK(closeExact(runOn(g, x, "cpu"), refCpu));  // the fast kernels' epilogue adds the map

    SECTION("the batch size stays free") {
        Tensor x3 = randomTensor({3, 8, 9, 7}, rng);
        GraphView orig;
        std::mt19937 same(21);
        invertedResidual(orig, 8, same);
        CHECK(closeExact(runOn(g, x3, "cpu"), runOn(orig, x3, "cpu")));
    }
    SECTION("other spatial dims: compile names the node and the size it was merged for") {
        CHECK_THROWS_AS(compile(g, CompileOptions{"cpu", DataType::Float32, {{1, 8, 10, 7}}}), std::invalid_argument);
        CHECK_THROWS_WITH(compile(g, CompileOptions{"ref", DataType::Float32, {{1, 8, 10, 7}}}),
                          Catch::Contains("'expand+project'") && Catch::Contains("merged for output size 9x7") &&
                              Catch::Contains("10x7"));
    }
    SECTION("merging again changes nothing") {
        const std::size_t v = g.version();
        SimplifyResult again = simplify(g, o);
        CHECK(again.merged.empty());
        CHECK(g.version() == v);
    }
}

TEST_CASE("exact merges through a bias: where the pattern must not fire", "[recipes][BiasMap]") {
    std::mt19937 rng(22);
    SECTION("without dims, a padded conv after a bias stays apart (the old rule), with the reason") {
        GraphView g;
        invertedResidual(g, 8, rng);
        Tensor x = randomTensor({1, 8, 6, 6}, rng);
        const Tensor ref = run(*g.clone(), x);  // g itself stays uncompiled: no dims known
        MergeResult r = mergeConvolutions(g, MergeOptions{MergeMode::Exact, INFINITY, {}, 0});
        for (const MergeRecord& m : r.merged) CHECK(!m.biasMap);
        CHECK(g.getNode("expand"));  // expand -> dw is not merged
        bool reason = false;
        for (const SkippedMerge& s : r.skipped)
            reason = reason || (s.nodes == std::vector<std::string>{"expand", "dw"} &&
                                s.reason.find("bias map") != std::string::npos);
        CHECK(reason);
        CHECK(closeExact(run(g, x), ref));
    }
    SECTION("a padded conv after a conv of extent > 1 stays apart even with dims") {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr a = addConv(g, out(x), "a", 4, {4, {3, 3}}, rng);
        NodePtr b = addConv(g, out(a), "b", 4, {4, {3, 3}, {}, {1, 1, 1, 1}}, rng);
        g.setOutputs({out(b)});
        Tensor xin = randomTensor({1, 4, 8, 8}, rng);
        MergeResult r = mergeConvolutions(g, MergeOptions{MergeMode::Exact, INFINITY, {xin.dims()}, 0});
        CHECK(r.merged.empty());
        REQUIRE(r.skipped.size() == 1);
        CHECK_THAT(r.skipped[0].reason, Catch::Contains("extent 3"));
        CHECK(countType(g, "Conv") == 2);
    }
    SECTION("a non-linearity between the convs") {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr a = addConv(g, out(x), "a", 4, {8, {1, 1}}, rng);
        NodePtr c = addNode(g, "Clip", "relu6", {out(a)}, {}, {{"min", 0.f}, {"max", 6.f}});
        NodePtr b = addConv(g, out(c), "b", 8, {8, {3, 3}, {}, {1, 1, 1, 1}, {}, 8}, rng);
        g.setOutputs({out(b)});
        Tensor xin = randomTensor({1, 4, 8, 8}, rng);
        CHECK(mergeConvolutions(g, MergeOptions{MergeMode::Exact, INFINITY, {xin.dims()}, 0}).merged.empty());
        CHECK(countType(g, "Conv") == 2);
    }
    SECTION("a bias that is constant per channel stays a per-channel bias (the graph keeps any input size)") {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr a = addConv(g, out(x), "a", 4, {8, {3, 3}, {}, {1, 1, 1, 1}}, rng);
        NodePtr b = addConv(g, out(a), "b", 8, {4, {1, 1}}, rng);
        g.setOutputs({out(b)});
        Tensor xin = randomTensor({1, 4, 8, 8}, rng);
        MergeResult r = mergeConvolutions(g, MergeOptions{MergeMode::Exact, INFINITY, {xin.dims()}, 0});
        REQUIRE(r.merged.size() == 1);
        CHECK(!r.merged[0].biasMap);
        CHECK(weightOf(g.getNode("a+b"), 2).dims() == Shape{4});
        Tensor other = randomTensor({1, 4, 11, 5}, rng);
        CHECK_NOTHROW(run(g, other));
    }
}

TEST_CASE("a conv with a bias map: cpu backend fuses BatchNorm and activation after it", "[recipes][BiasMap]") {
    std::mt19937 rng(23);
    GraphView g;
    NodePtr x = addInput(g, "x");
    Tensor map = randomTensor({16, 6, 6}, rng);
    NodePtr c = addNode(g, "Conv", "c", {out(x)}, {{"W", randomTensor({16, 16, 3, 3}, rng, 0.2f)}, {"B", map}},
                        {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
    Tensor var = randomTensor({16}, rng);
    for (std::size_t i = 0; i < 16; ++i) var.data<float>()[i] = 0.5f + std::abs(var.data<float>()[i]);
    NodePtr bn = addNode(g, "BatchNormalization", "bn", {out(c)},
                         {{"scale", randomTensor({16}, rng)}, {"B", randomTensor({16}, rng)},
                          {"input_mean", randomTensor({16}, rng)}, {"input_var", var}});
    NodePtr r = addNode(g, "ReLU", "r", {out(bn)});
    g.setOutputs({out(r)});
    Tensor xin = randomTensor({8, 16, 6, 6}, rng);  // 8 images: Winograd-eligible on cpu
    const Tensor ref = runOn(g, xin, "ref");
    CHECK(closeExact(runOn(g, xin, "cpu"), ref));
    CHECK(maxAbs(ref) > 0);

    SECTION("fold_batchnorm scales the map per channel") {
        REQUIRE(foldBatchNorm(g).size() == 1);
        CHECK(countType(g, "BatchNormalization") == 0);
        CHECK(weightOf(g.getNode("c"), 2).dims() == Shape{16, 6, 6});
        CHECK(closeExact(runOn(g, xin, "ref"), ref));
    }
}
