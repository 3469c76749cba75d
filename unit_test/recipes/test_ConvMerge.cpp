#include <catch2/catch.hpp>

#include "MergeTestUtils.hpp"
#include "fibnlr/operator/Conv.hpp"
#include "fibnlr/recipes/ConvHelpers.hpp"
#include "fibnlr/recipes/ConvMerge.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
ConvLayer geometry(std::size_t in, std::size_t out, Shape k, Shape s, Shape pb, Shape pe, Shape d, std::size_t g = 1) {
    ConvLayer l;
    l.inChannels = in;
    l.outChannels = out;
    l.group = g;
    l.kernel = k;
    l.strides = s;
    l.padBegin = pb;
    l.padEnd = pe;
    l.dilations = d;
    return l;
}
} // namespace

TEST_CASE("composeGeometry follows docs/merging.md", "[recipes][ConvMerge]") {
    SECTION("3x3 then 3x3 is 5x5, stride 1, pad 2") {
        auto a = geometry(4, 4, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1});
        ConvLayer r = composeGeometry(a, a);
        CHECK(r.kernel == Shape{5, 5});
        CHECK(r.strides == Shape{1, 1});
        CHECK(r.padBegin == Shape{2, 2});
        CHECK(r.padEnd == Shape{2, 2});
    }
    SECTION("3x3 stride 2 then 3x3 is 7x7 stride 2 (upstream's formula gives 5)") {
        auto a = geometry(4, 8, {3, 3}, {2, 2}, {1, 1}, {1, 1}, {1, 1});
        auto b = geometry(8, 8, {3, 3}, {1, 1}, {0, 0}, {0, 0}, {1, 1});
        ConvLayer r = composeGeometry(a, b);
        CHECK(r.kernel == Shape{7, 7});
        CHECK(r.strides == Shape{2, 2});
        CHECK(r.padBegin == Shape{1, 1});
    }
    SECTION("dilations and asymmetric pads") {
        auto a = geometry(2, 2, {3}, {2}, {1}, {0}, {2});   // extent 5
        auto b = geometry(2, 2, {2}, {3}, {2}, {1}, {3});   // extent 4
        ConvLayer r = composeGeometry(a, b);
        CHECK(r.kernel == Shape{5 + 3 * 2});
        CHECK(r.strides == Shape{6});
        CHECK(r.padBegin == Shape{1 + 2 * 2});
        CHECK(r.padEnd == Shape{0 + 2 * 1});
        CHECK(r.dilations == Shape{1});
    }
    SECTION("groups: depthwise stays depthwise, mixed becomes dense") {
        auto dw = geometry(6, 6, {3, 3}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, 6);
        auto dense = geometry(6, 6, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {1, 1}, 1);
        CHECK(composeGeometry(dw, dw).group == 6);
        CHECK(composeGeometry(dw, dense).group == 1);
        CHECK(composeGeometry(dense, dw).group == 1);
    }
    SECTION("mismatched channels are an error") {
        auto a = geometry(4, 8, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {1, 1});
        auto b = geometry(6, 8, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {1, 1});
        CHECK_THROWS_AS(composeGeometry(a, b), std::invalid_argument);
    }
}

TEST_CASE("composeConvs equals the two convs run one after the other", "[recipes][ConvMerge]") {
    std::mt19937 rng(7);
    struct Case {
        std::size_t in;
        ConvSpec a, b;
        Shape x;
    };
    std::vector<Case> cases{
        {3, {5, {3, 3}, {2, 2}, {1, 0, 1, 1}, {}, 1, true}, {4, {3, 3}, {}, {}, {}, 1, true}, {1, 3, 11, 10}},
        {4, {4, {3, 3}, {}, {}, {2, 2}, 4, true}, {4, {3, 3}, {1, 2}, {}, {1, 1}, 4, true}, {2, 4, 13, 12}},
        {4, {8, {1, 1}, {}, {}, {}, 2, true}, {6, {3, 3}, {}, {}, {}, 2, false}, {1, 4, 7, 7}},
        {2, {3, {3}, {2}, {1, 0}, {2}, 1, true}, {5, {2}, {2}, {}, {}, 1, true}, {1, 2, 17}},
    };
    for (const Case& c : cases) {
        GraphView g;
        NodePtr in = addInput(g, "x");
        NodePtr a = addConv(g, out(in), "a", c.in, c.a, rng);
        NodePtr b = addConv(g, out(a), "b", c.a.out, c.b, rng);
        g.setOutputs({out(b)});
        Tensor x = randomTensor(c.x, rng);
        Tensor ref = run(g, x);

        ConvLayer m = composeConvs(readConv(*a), readConv(*b));
        CHECK(exactnessProblem(readConv(*a), readConv(*b)).empty());
        GraphView h;
        NodePtr hin = addInput(h, "x");
        NodePtr mn = makeConvNode(m, "m");
        Node::link(hin, 0, mn, 0);
        h.add(mn);
        h.setOutputs({out(mn)});
        Tensor got = run(h, x);
        REQUIRE(got.dims() == ref.dims());
        CHECK(closeExact(got, ref));
    }
}

TEST_CASE("exactnessProblem: a padded later conv is exact only after a bias-free extent-1 conv", "[recipes][ConvMerge]") {
    auto k3 = geometry(2, 2, {3, 3}, {1, 1}, {0, 0}, {0, 0}, {1, 1});
    auto k1 = geometry(2, 2, {1, 1}, {1, 1}, {0, 0}, {0, 0}, {1, 1});
    auto padded = geometry(2, 2, {3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1});
    auto padOneAxis = geometry(2, 2, {3, 1}, {1, 1}, {0, 0}, {0, 0}, {1, 1});
    padOneAxis.padBegin = {1, 0};
    CHECK(!exactnessProblem(k3, false, padded).empty());
    CHECK(exactnessProblem(k1, false, padded).empty());
    CHECK(!exactnessProblem(k1, true, padded).empty());
    CHECK(exactnessProblem(k3, true, k1).empty());
    auto k13 = geometry(2, 2, {1, 3}, {1, 1}, {0, 0}, {0, 0}, {1, 1});  // extent 1 on the padded axis only
    CHECK(exactnessProblem(k13, false, padOneAxis).empty());
}

TEST_CASE("readConv refuses what cannot be merged", "[recipes][ConvMerge]") {
    std::mt19937 rng(1);
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr w = addInput(g, "w");
    SECTION("weights computed at run time") {
        NodePtr c = addNode(g, "Conv", "c", {out(x), out(w)}, {}, {});
        CHECK_THROWS_WITH(readConv(*c), Catch::Contains("'c'") && Catch::Contains("not a constant"));
    }
    SECTION("auto_pad SAME needs input dims") {
        NodePtr c = addNode(g, "Conv", "c", {out(x)}, {{"W", randomTensor({2, 2, 3, 3}, rng)}},
                            {{"auto_pad", std::string("SAME_UPPER")}});
        CHECK_THROWS_WITH(readConv(*c), Catch::Contains("auto_pad"));
    }
}

TEST_CASE("composeGemms equals the two Gemms", "[recipes][ConvMerge]") {
    std::mt19937 rng(3);
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr a = addNode(g, "Gemm", "a", {out(x)}, {{"B", randomTensor({6, 5}, rng)}, {"C", randomTensor({6}, rng)}},
                        {{"transB", std::int64_t(1)}, {"alpha", 0.5f}, {"beta", 2.f}});
    NodePtr b = addNode(g, "Gemm", "b", {out(a)}, {{"B", randomTensor({6, 3}, rng)}, {"C", randomTensor({1, 3}, rng)}}, {});
    g.setOutputs({out(b)});
    Tensor in = randomTensor({4, 5}, rng);
    Tensor ref = run(g, in);
    GraphView h;
    NodePtr hx = addInput(h, "x");
    NodePtr m = makeGemmNode(composeGemms(readGemm(*a), readGemm(*b)), "m");
    Node::link(hx, 0, m, 0);
    h.add(m);
    h.setOutputs({out(m)});
    CHECK(closeExact(run(h, in), ref));
}

TEST_CASE("composeGeometry agrees with the recipe's conv helpers", "[recipes][ConvMerge]") {
    std::mt19937 rng(12);
    std::uniform_int_distribution<int> k(1, 3), s(1, 2), p(0, 2);
    for (int trial = 0; trial < 40; ++trial) {
        const bool depthwise = trial % 3 == 0;
        auto spec = [&](std::size_t out) {
            ConvSpec c{out, {k(rng), k(rng)}, {s(rng), s(rng)}, {p(rng), p(rng), p(rng), p(rng)}, {s(rng), s(rng)},
                       depthwise ? 4 : 1, true};
            return c;
        };
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr a = addConv(g, out(x), "a", 4, spec(4), rng);
        NodePtr b = addConv(g, out(a), "b", 4, spec(4), rng);
        ConvLayer r = composeGeometry(readConv(*a), readConv(*b));
        const auto kd = computeKernelDims<2>(a, b);
        const auto st = computeKernelStrides<2>(a, b);
        const auto pd = computeKernelPads<2>(a, b);
        CHECK(r.kernel == Shape(kd.begin(), kd.end()));
        CHECK(r.strides == Shape(st.begin(), st.end()));
        CHECK(r.padBegin == Shape(pd.begin(), pd.begin() + 2));
        CHECK(r.padEnd == Shape(pd.begin() + 2, pd.end()));
        NodePtr c = convFrom<2>(a, b);
        CHECK(static_cast<std::size_t>(static_cast<const ConvOp&>(c->getOperator()).attrs.group) == r.group);
    }
}

TEST_CASE("composeGeometry: the merged conv has gcd(g1, g2) groups, and composeConvs is exact with them",
          "[recipes][ConvMerge]") {
    std::mt19937 rng(21);
    struct Case {
        const char* what;
        std::size_t in, mid, out;
        std::int64_t g1, g2;
        std::size_t group;  // expected
    };
    const std::vector<Case> cases{
        {"grouped then grouped, same groups", 8, 8, 12, 4, 4, 4},
        {"depthwise then depthwise", 6, 6, 6, 6, 6, 6},
        {"depthwise x2 then depthwise (channel multiplier)", 4, 8, 8, 4, 8, 4},
        {"groups 4 then 6 share factor 2", 12, 12, 12, 4, 6, 2},
        {"groups 2 then 3: nothing in common", 6, 6, 6, 2, 3, 1},
        {"dense then depthwise", 6, 6, 6, 1, 6, 1},
        {"depthwise then dense", 6, 6, 4, 6, 1, 1},
    };
    for (const Case& c : cases) {
        INFO(c.what);
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr a = addConv(g, out(x), "a", c.in, {c.mid, {3, 3}, {2, 1}, {}, {}, c.g1, true}, rng);
        NodePtr b = addConv(g, out(a), "b", c.mid, {c.out, {2, 3}, {}, {}, {1, 2}, c.g2, true}, rng);
        g.setOutputs({out(b)});
        const ConvLayer geo = composeGeometry(readConv(*a), readConv(*b));
        CHECK(geo.group == c.group);
        CHECK(geo.inChannels == c.in);
        CHECK(geo.outChannels == c.out);
        // Fewer groups than gcd would still be exact but cost more; check the merged conv runs the same.
        const Tensor xs = randomTensor({2, c.in, 11, 12}, rng);
        const Tensor ref = run(g, xs);
        const ConvLayer m = composeConvs(readConv(*a), readConv(*b));
        REQUIRE(m.group == c.group);
        REQUIRE(m.weight.dims() == Shape{c.out, c.in / c.group, m.kernel[0], m.kernel[1]});
        GraphView h;
        NodePtr hx = addInput(h, "x");
        NodePtr mn = makeConvNode(m, "m");
        Node::link(hx, 0, mn, 0);
        h.add(mn);
        h.setOutputs({out(mn)});
        CHECK(closeExact(run(h, xs), ref));
    }
}

TEST_CASE("composeGeometry: the merged conv's output size equals the chain's for stride, dilation and padding "
          "combinations", "[recipes][ConvMerge]") {
    // Per axis, out(n) = (n + pb + pe − e) / s + 1 with extent e = (k − 1)·d + 1, when n + pb + pe >= e.
    auto outSize = [](std::size_t n, std::size_t k, std::size_t s, std::size_t d, std::size_t pb, std::size_t pe,
                      std::size_t& o) {
        const std::size_t e = (k - 1) * d + 1;
        if (n + pb + pe < e) return false;
        o = (n + pb + pe - e) / s + 1;
        return true;
    };
    std::size_t compared = 0;
    for (std::size_t k1 : {1, 2, 3})
        for (std::size_t s1 : {1, 2, 3})
            for (std::size_t d1 : {1, 2})
                for (std::size_t p1 : {0, 1, 2})
                    for (std::size_t k2 : {1, 3})
                        for (std::size_t s2 : {1, 2})
                            for (std::size_t d2 : {1, 3})
                                for (std::size_t p2 : {0, 1, 2}) {
                                    // Asymmetric pads: begin p, end p / 2.
                                    const auto a = geometry(2, 2, {k1}, {s1}, {p1}, {p1 / 2}, {d1});
                                    const auto b = geometry(2, 2, {k2}, {s2}, {p2}, {p2 / 2}, {d2});
                                    const ConvLayer r = composeGeometry(a, b);
                                    REQUIRE(r.dilations == Shape{1});
                                    REQUIRE(r.strides == Shape{s1 * s2});
                                    REQUIRE(r.padBegin == Shape{p1 + s1 * p2});
                                    REQUIRE(r.padEnd == Shape{p1 / 2 + s1 * (p2 / 2)});
                                    for (std::size_t n = 1; n <= 24; ++n) {
                                        std::size_t m = 0, o = 0, om = 0;
                                        if (!outSize(n, k1, s1, d1, p1, p1 / 2, m) ||
                                            !outSize(m, k2, s2, d2, p2, p2 / 2, o))
                                            continue;  // the chain itself does not fit n
                                        INFO("k " << k1 << "," << k2 << " s " << s1 << "," << s2 << " d " << d1 << ","
                                                  << d2 << " p " << p1 << "," << p2 << " n " << n);
                                        REQUIRE(outSize(n, r.kernel[0], r.strides[0], 1, r.padBegin[0], r.padEnd[0], om));
                                        REQUIRE(om == o);
                                        ++compared;
                                    }
                                }
    CHECK(compared > 10000);
}
