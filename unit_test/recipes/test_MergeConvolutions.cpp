#include <catch2/catch.hpp>

#include "MergeTestUtils.hpp"
#include "fibnlr/operator/Conv.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/recipes/MergeConvolutions.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
/// x -> convs (each reading the previous) -> output.
std::vector<NodePtr> chain(GraphView& g, std::size_t inChannels, const std::vector<ConvSpec>& specs, std::mt19937& rng) {
    Port prev = out(addInput(g, "x"));
    std::vector<NodePtr> nodes;
    std::size_t c = inChannels;
    for (std::size_t i = 0; i < specs.size(); ++i) {
        nodes.push_back(addConv(g, prev, "c" + std::to_string(i), c, specs[i], rng));
        prev = out(nodes.back());
        c = specs[i].out;
    }
    g.setOutputs({prev});
    return nodes;
}
} // namespace

TEST_CASE("merge_convolutions merges an exact chain into one conv", "[recipes][MergeConvolutions]") {
    std::mt19937 rng(11);
    GraphView g;
    // strided first conv with asymmetric pads, a 1x1, a dilated unpadded 3x3
    chain(g, 3, {{6, {3, 3}, {2, 2}, {1, 0, 0, 1}, {}, 1, true}, {8, {1, 1}, {}, {}, {}, 1, true},
                 {5, {3, 3}, {}, {}, {2, 2}, 1, true}},
          rng);
    Tensor x = randomTensor({2, 3, 19, 20}, rng);
    Tensor ref = run(g, x);
    MergeOptions o;
    o.maxMacGrowth = INFINITY;  // an 11x11 kernel: more MACs, fewer layers
    o.objective = MergeObjective::Layers;  // fewest layers: merges that add MACs
    MergeResult r = mergeConvolutions(g, o);
    REQUIRE(r.merged.size() == 1);
    CHECK(r.merged[0].nodes == std::vector<std::string>{"c0", "c1", "c2"});
    CHECK(r.merged[0].newNode == "c0+c2");
    CHECK(r.merged[0].exact);
    CHECK(std::isnan(r.merged[0].maxDeviation));
    CHECK(r.skipped.empty());
    CHECK(countType(g, "Conv") == 1);
    CHECK(closeExact(run(g, x), ref));

    SECTION("applied twice changes nothing") {
        const std::size_t v = g.version();
        MergeResult again = mergeConvolutions(g, o);
        CHECK(again.merged.empty());
        CHECK(g.version() == v);
    }
}

TEST_CASE("merge_convolutions: depthwise then depthwise stays depthwise; 1-D chains", "[recipes][MergeConvolutions]") {
    std::mt19937 rng(5);
    SECTION("2-D depthwise") {
        GraphView g;
        chain(g, 6, {{6, {3, 3}, {}, {1, 1, 1, 1}, {}, 6, false}, {6, {3, 3}, {2, 2}, {}, {}, 6, true}}, rng);
        Tensor x = randomTensor({1, 6, 12, 12}, rng);
        Tensor ref = run(g, x);
        MergeOptions o;
        o.maxMacGrowth = INFINITY;
        o.objective = MergeObjective::Layers;  // fewest layers: merges that add MACs
        REQUIRE(mergeConvolutions(g, o).merged.size() == 1);
        NodePtr m = g.getNodesByType("Conv").at(0);
        CHECK(static_cast<const ConvOp&>(m->getOperator()).attrs.group == 6);
        CHECK(closeExact(run(g, x), ref));
    }
    SECTION("1-D") {
        GraphView g;
        chain(g, 2, {{4, {5}, {3}, {2, 1}, {}, 1, true}, {3, {3}, {}, {}, {2}, 1, true}}, rng);
        Tensor x = randomTensor({2, 2, 40}, rng);
        Tensor ref = run(g, x);
        MergeOptions o;
        o.maxMacGrowth = INFINITY;
        o.objective = MergeObjective::Layers;  // fewest layers: merges that add MACs
        REQUIRE(mergeConvolutions(g, o).merged.size() == 1);
        CHECK(closeExact(run(g, x), ref));
    }
}

TEST_CASE("merge_convolutions: Gemm then Gemm", "[recipes][MergeConvolutions]") {
    std::mt19937 rng(2);
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr a = addNode(g, "Gemm", "a", {out(x)}, {{"B", randomTensor({8, 10}, rng)}, {"C", randomTensor({8}, rng)}},
                        {{"transB", std::int64_t(1)}});
    NodePtr b = addNode(g, "Gemm", "b", {out(a)}, {{"B", randomTensor({3, 8}, rng)}, {"C", randomTensor({3}, rng)}},
                        {{"transB", std::int64_t(1)}});
    g.setOutputs({out(b)});
    Tensor in = randomTensor({5, 10}, rng);
    Tensor ref = run(g, in);
    MergeResult r = mergeConvolutions(g);
    REQUIRE(r.merged.size() == 1);  // 10·3 < 10·8 + 8·3 MACs
    CHECK(countType(g, "Gemm") == 1);
    CHECK(closeExact(run(g, in), ref));
}

TEST_CASE("merge_convolutions: padded chain", "[recipes][MergeConvolutions]") {
    std::mt19937 rng(4);
    GraphView g;
    chain(g, 3, {{4, {3, 3}, {}, {1, 1, 1, 1}, {}, 1, true}, {4, {3, 3}, {}, {1, 1, 1, 1}, {}, 1, true}}, rng);
    Tensor x = randomTensor({1, 3, 10, 10}, rng);
    Tensor ref = run(g, x);
    MergeOptions o;
    o.maxMacGrowth = INFINITY;
    o.objective = MergeObjective::Layers;  // fewest layers: merges that add MACs

    SECTION("exact mode refuses and says why, graph unchanged") {
        const std::size_t v = g.version();
        MergeResult r = mergeConvolutions(g, o);
        CHECK(r.merged.empty());
        REQUIRE(r.skipped.size() == 1);
        CHECK(r.skipped[0].nodes == std::vector<std::string>{"c0", "c1"});
        CHECK_THAT(r.skipped[0].reason, Catch::Contains("not exact"));
        CHECK(g.version() == v);
        CHECK(countType(g, "Conv") == 2);
    }
    SECTION("approximate mode merges, reports the deviation; the interior is exact") {
        o.mode = MergeMode::Approximate;
        MergeResult r = mergeConvolutions(g, o);
        REQUIRE(r.merged.size() == 1);
        CHECK_FALSE(r.merged[0].exact);
        CHECK(r.merged[0].maxDeviation > 0);
        Tensor got = run(g, x);
        REQUIRE(got.dims() == ref.dims());
        CHECK(maxAbsDiff(got, ref) > 1e-3);  // the border band differs
        double interior = 0;                 // 1 pixel band (p2 = 1) excluded
        for (std::size_t c = 0; c < 4; ++c)
            for (std::size_t i = 1; i < 9; ++i)
                for (std::size_t j = 1; j < 9; ++j) {
                    const std::size_t k = (c * 10 + i) * 10 + j;
                    interior = std::max(interior, std::abs(double(got.data<float>()[k]) - ref.data<float>()[k]));
                }
        CHECK(interior <= 1e-5 * maxAbs(ref));
    }
}

TEST_CASE("merge_convolutions: must not fire", "[recipes][MergeConvolutions]") {
    std::mt19937 rng(9);
    SECTION("a conv whose output has two consumers") {
        GraphView g;
        auto n = chain(g, 3, {{4, {1, 1}, {}, {}, {}, 1, true}, {4, {1, 1}, {}, {}, {}, 1, true}}, rng);
        NodePtr r = addNode(g, "ReLU", "r", {out(n[0])});
        g.setOutputs({out(n[1]), out(r)});
        MergeResult res = mergeConvolutions(g);
        CHECK(res.merged.empty());
        REQUIRE(res.skipped.size() == 1);
        CHECK_THAT(res.skipped[0].reason, Catch::Contains("2 uses"));
        CHECK(countType(g, "Conv") == 2);
    }
    SECTION("a ReLU between the convs") {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr a = addConv(g, out(x), "a", 3, {4, {1, 1}}, rng);
        NodePtr r = addNode(g, "ReLU", "r", {out(a)});
        NodePtr b = addConv(g, out(r), "b", 4, {4, {1, 1}}, rng);
        g.setOutputs({out(b)});
        CHECK(mergeConvolutions(g).merged.empty());
        CHECK(countType(g, "Conv") == 2);
    }
    SECTION("a merge that grows MACs beyond max_mac_growth") {
        GraphView g;
        chain(g, 16, {{4, {1, 1}, {}, {}, {}, 1, true}, {16, {1, 1}, {}, {}, {}, 1, true}}, rng);
        // 16·16 = 256 MACs per pixel merged vs 16·4 + 4·16 = 128: growth 2
        MergeResult r = mergeConvolutions(g);
        CHECK(r.merged.empty());
        REQUIRE(r.skipped.size() == 1);
        CHECK_THAT(r.skipped[0].reason, Catch::Contains("MAC growth 2x"));
        MergeOptions o;
        o.maxMacGrowth = 2.5;
        o.objective = MergeObjective::Layers;  // fewest layers: merges that add MACs
        CHECK(mergeConvolutions(g, o).merged.size() == 1);
    }
}

TEST_CASE("merge_convolutions: the chain partition with the fewest layers", "[recipes][MergeConvolutions]") {
    // pw 8->48, dw 3x3 (no pad), pw 48->8: each pair grows MACs, the triple shrinks them.
    std::mt19937 rng(6);
    GraphView g;
    chain(g, 8, {{48, {1, 1}, {}, {}, {}, 1, true}, {48, {3, 3}, {}, {}, {}, 48, true}, {8, {1, 1}, {}, {}, {}, 1, true}},
          rng);
    Tensor x = randomTensor({1, 8, 9, 9}, rng);
    Tensor ref = run(g, x);
    MergeResult r = mergeConvolutions(g, MergeOptions{MergeMode::Exact, 1.0, {x.dims()}, 0});
    REQUIRE(r.merged.size() == 1);
    CHECK(r.merged[0].nodes.size() == 3);
    CHECK(r.merged[0].macsPerImage);
    // independent count: pw 81·8·48 + dw 49·48·9 + pw 49·48·8 before; 49·8·8·9 after
    CHECK(r.merged[0].macsBefore == Approx(81.0 * 8 * 48 + 49.0 * 48 * 9 + 49.0 * 48 * 8));
    CHECK(r.merged[0].macsAfter == Approx(49.0 * 8 * 8 * 9));
    CHECK(closeExact(run(g, x), ref));
}

TEST_CASE("merge_convolutions: bad input is skipped with a reason or rejected", "[recipes][MergeConvolutions]") {
    std::mt19937 rng(8);
    SECTION("mismatched channels") {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr a = addConv(g, out(x), "a", 3, {8, {1, 1}}, rng);
        NodePtr b = addConv(g, out(a), "b", 6, {4, {1, 1}}, rng);  // expects 6 channels, gets 8
        g.setOutputs({out(b)});
        const std::size_t v = g.version();
        MergeResult r = mergeConvolutions(g);
        CHECK(r.merged.empty());
        REQUIRE(r.skipped.size() == 1);
        CHECK_THAT(r.skipped[0].reason, Catch::Contains("channels do not match"));
        CHECK(g.version() == v);
    }
    SECTION("weights that are not constant") {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr w = addInput(g, "w");
        NodePtr a = addConv(g, out(x), "a", 3, {4, {1, 1}}, rng);
        NodePtr b = addNode(g, "Conv", "b", {out(a), out(w)});
        g.setOutputs({out(b)});
        MergeResult r = mergeConvolutions(g);
        CHECK(r.merged.empty());
        REQUIRE(r.skipped.size() == 1);
        CHECK_THAT(r.skipped[0].reason, Catch::Contains("not a constant"));
        CHECK(countType(g, "Conv") == 2);
    }
    SECTION("invalid options") {
        GraphView g;
        CHECK_THROWS_AS(parseMergeMode("fast"), std::invalid_argument);
        MergeOptions o;
        o.maxMacGrowth = 0;
        CHECK_THROWS_WITH(mergeConvolutions(g, o), Catch::Contains("max_mac_growth"));
        o.maxMacGrowth = NAN;
        CHECK_THROWS_AS(mergeConvolutions(g, o), std::invalid_argument);
    }
    SECTION("input dims that do not fit the graph") {
        GraphView g;
        chain(g, 3, {{4, {1, 1}}, {4, {1, 1}}}, rng);
        const std::size_t v = g.version();
        MergeOptions o;
        o.inputDims = {{1, 5, 8, 8}};  // 5 channels, the first conv expects 3
        CHECK_THROWS_WITH(mergeConvolutions(g, o), Catch::Contains("do not fit") && Catch::Contains("'c0'"));
        CHECK(g.version() == v);
    }
}

TEST_CASE("merge_convolutions: the objective picks the partition of least cost", "[recipes][MergeConvolutions]") {
    // 3x3 then 3x3 (no padding): merged 5x5 costs 25·C² MACs per pixel against 18·C² apart.
    std::mt19937 rng(31);
    auto build = [&](GraphView& g) { chain(g, 4, {{4, {3, 3}}, {4, {3, 3}}}, rng); };
    SECTION("macs keeps the pair apart and says what each side costs; layers merges it") {
        GraphView g;
        build(g);
        MergeOptions o;
        o.maxMacGrowth = INFINITY;
        MergeResult r = mergeConvolutions(g, o);
        CHECK(r.merged.empty());
        REQUIRE(r.skipped.size() == 1);
        CHECK_THAT(r.skipped[0].reason, Catch::Contains("least-macs partition") && Catch::Contains("apart 288") &&
                                            Catch::Contains("merged 400"));  // per output pixel: 2·4·4·9 and 4·4·25
        o.objective = MergeObjective::Layers;
        REQUIRE(mergeConvolutions(g, o).merged.size() == 1);
    }
    SECTION("latency: the fastest partition by the timer, timings cached per shape") {
        int calls = 0;
        MergeOptions o;
        o.maxMacGrowth = INFINITY;
        o.objective = MergeObjective::Latency;
        o.timerName = "test-latency-dp";
        o.inputDims = {{1, 4, 12, 12}};
        // A fake runtime where a 5x5 kernel is fast: 1 per 3x3 layer, 0.5 for the merged layer.
        o.timer = [&](GraphView& g, const Shape&) {
            ++calls;
            double t = 0;
            for (const NodePtr& n : g.getNodesByType("Conv"))
                t += static_cast<const ProducerOp&>(n->producer(1)->getOperator()).value().dim(2) == 5 ? 0.5 : 1.0;
            return t;
        };
        GraphView g;
        build(g);
        Tensor x = randomTensor({1, 4, 12, 12}, rng);
        const Tensor ref = run(g, x);
        MergeResult r = mergeConvolutions(g, o);
        REQUIRE(r.merged.size() == 1);
        CHECK(r.merged[0].costBefore == Approx(2.0));
        CHECK(r.merged[0].costAfter == Approx(0.5));
        CHECK(calls == 3);  // each 3x3 layer at its input size, and the 5x5
        CHECK(closeExact(run(g, x), ref));
        GraphView g2;
        build(g2);
        mergeConvolutions(g2, o);
        CHECK(calls == 3);  // the same shapes again: cached
        // and where the merged layer is slower, the pair stays apart, with both costs in the reason
        o.timerName = "test-latency-dp-slow";
        o.timer = [&](GraphView& g, const Shape&) {  // 1 per 3x3 layer, 3 for the merged 5x5
            double t = 0;
            for (const NodePtr& n : g.getNodesByType("Conv"))
                t += static_cast<const ProducerOp&>(n->producer(1)->getOperator()).value().dim(2) == 5 ? 3.0 : 1.0;
            return t;
        };
        GraphView g3;
        build(g3);
        MergeResult slow = mergeConvolutions(g3, o);
        CHECK(slow.merged.empty());
        REQUIRE(slow.skipped.size() == 1);
        CHECK_THAT(slow.skipped[0].reason, Catch::Contains("least-latency partition") && Catch::Contains("apart 2 s") &&
                                               Catch::Contains("merged 3 s"));
    }
    SECTION("latency without dims, and unknown objectives, are rejected before anything changes") {
        GraphView g;
        build(g);
        const std::size_t v = g.version();
        MergeOptions o;
        o.objective = MergeObjective::Latency;
        CHECK_THROWS_WITH(mergeConvolutions(g, o), Catch::Contains("objective 'latency'") && Catch::Contains("dims"));
        CHECK(g.version() == v);
        CHECK_THROWS_WITH(parseMergeObjective("speed"), Catch::Contains("objective 'speed'"));
        CHECK(parseMergeObjective("latency") == MergeObjective::Latency);
    }
}

TEST_CASE("merge_convolutions looks through Identity and Dropout", "[recipes][MergeConvolutions]") {
    std::mt19937 rng(32);
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr a = addConv(g, out(x), "a", 4, {16, {1, 1}}, rng);
    NodePtr id = addNode(g, "Identity", "pruned", {out(a)});
    NodePtr b = addConv(g, out(id), "b", 16, {16, {1, 1}}, rng);
    NodePtr d = addNode(g, "Dropout", "drop", {out(b)});
    NodePtr c = addConv(g, out(d), "c", 16, {4, {1, 1}}, rng);
    g.setOutputs({out(c)});
    Tensor xin = randomTensor({2, 4, 5, 5}, rng);
    const Tensor ref = run(g, xin);
    MergeResult r = mergeConvolutions(g);
    REQUIRE(r.merged.size() == 1);
    CHECK(r.merged[0].nodes == std::vector<std::string>{"a", "b", "c"});
    CHECK(!g.getNode("pruned"));
    CHECK(!g.getNode("drop"));
    CHECK(g.getNodes().size() == 4);  // input, merged conv, W, B
    CHECK(closeExact(run(g, xin), ref));

    SECTION("an Identity whose output is also used elsewhere is not looked through") {
        GraphView h;
        NodePtr hx = addInput(h, "x");
        NodePtr ha = addConv(h, out(hx), "a", 4, {4, {1, 1}}, rng);
        NodePtr hid = addNode(h, "Identity", "id", {out(ha)});
        NodePtr hb = addConv(h, out(hid), "b", 4, {4, {1, 1}}, rng);
        h.setOutputs({out(hb), out(hid)});
        CHECK(mergeConvolutions(h).merged.empty());
        CHECK(countType(h, "Conv") == 2);
    }
}

TEST_CASE("merge_convolutions: grouped then grouped stays grouped and runs the same", "[recipes][MergeConvolutions]") {
    std::mt19937 rng(31);
    MergeOptions o;
    o.maxMacGrowth = INFINITY;
    o.objective = MergeObjective::Layers;  // fewest layers: merges that add MACs
    struct Case {
        std::int64_t g1, g2, merged;
    };
    for (const Case& c : {Case{4, 4, 4}, Case{4, 2, 2}}) {
        INFO("groups " << c.g1 << " then " << c.g2);
        GraphView g;
        // Unpadded second conv: exact whatever comes before it (docs/merging.md).
        chain(g, 8, {{8, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, c.g1, true}, {12, {3, 3}, {}, {}, {}, c.g2, true}}, rng);
        const Tensor x = randomTensor({2, 8, 13, 14}, rng);
        const Tensor ref = run(g, x);
        const MergeResult r = mergeConvolutions(g, o);
        REQUIRE(r.merged.size() == 1);
        CHECK(r.merged[0].exact);
        REQUIRE(countType(g, "Conv") == 1);
        NodePtr m = g.getNodesByType("Conv").at(0);
        CHECK(static_cast<const ConvOp&>(m->getOperator()).attrs.group == c.merged);
        // The MACs counted are the grouped conv's: 12 outputs · 8/g inputs · 7·7 taps at 5·5 positions.
        CHECK(r.merged[0].macsAfter == Approx(12.0 * (8.0 / static_cast<double>(c.merged)) * 49.0 * 5 * 5));
        CHECK(closeExact(run(g, x), ref));
    }
}

TEST_CASE("merge_convolutions leaves a grouped pair that must not merge unchanged", "[recipes][MergeConvolutions]") {
    std::mt19937 rng(32);
    MergeOptions o;
    o.maxMacGrowth = INFINITY;
    o.objective = MergeObjective::Layers;
    SECTION("the first conv's output is also read elsewhere") {
        GraphView g;
        auto nodes = chain(g, 8, {{8, {3, 3}, {}, {}, {}, 4, true}, {8, {3, 3}, {}, {}, {}, 4, true}}, rng);
        NodePtr side = addNode(g, "ReLU", "side", {out(nodes[0])});
        g.setOutputs({out(nodes[1]), out(side)});
        const Tensor x = randomTensor({1, 8, 10, 10}, rng);
        compile(g, CompileOptions{"ref", DataType::Float32, {x.dims()}});
        const auto before = forward(g, {x});
        const std::size_t v = g.version();
        const MergeResult r = mergeConvolutions(g, o);
        CHECK(r.merged.empty());
        CHECK(g.version() == v);
        CHECK(countType(g, "Conv") == 2);
        const auto after = forward(g, {x});
        REQUIRE(after.size() == 2);
        CHECK(maxAbsDiff(after[0], before[0]) == 0.0);
        CHECK(maxAbsDiff(after[1], before[1]) == 0.0);
    }
    SECTION("exact mode: a padded grouped conv after a 3x3 one") {
        GraphView g;
        chain(g, 8, {{8, {3, 3}, {}, {}, {}, 4, false}, {8, {3, 3}, {}, {1, 1, 1, 1}, {}, 4, false}}, rng);
        const Tensor x = randomTensor({1, 8, 10, 10}, rng);
        const Tensor ref = run(g, x);
        const std::size_t v = g.version();
        const MergeResult r = mergeConvolutions(g, o);
        CHECK(r.merged.empty());
        REQUIRE(r.skipped.size() == 1);
        CHECK(r.skipped[0].nodes == std::vector<std::string>{"c0", "c1"});
        CHECK_FALSE(r.skipped[0].reason.empty());
        CHECK(g.version() == v);
        CHECK(countType(g, "Conv") == 2);
        CHECK(maxAbsDiff(run(g, x), ref) == 0.0);
    }
}
