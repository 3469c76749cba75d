#include <catch2/catch.hpp>

#include "FIBNLRTestGraphs.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/recipes/ConvHelpers.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
using Ints = std::vector<std::int64_t>;

NodePtr conv(GraphView& g, const std::string& name, Port in, std::size_t cin, std::size_t cout, std::size_t k,
             std::int64_t stride, std::int64_t pad, std::int64_t group = 1, unsigned seed = 1) {
    return addNode(g, "Conv", name, {in},
                   {{"W", randomTensor({cout, cin / static_cast<std::size_t>(group), k, k}, seed)}},
                   {{"strides", Ints{stride, stride}}, {"pads", Ints{pad, pad, pad, pad}}, {"group", group}});
}

/// Output spatial size of a Conv node's attributes on an input of size n (one axis).
std::size_t outSize(const NodePtr& c, std::size_t n) {
    const auto& a = static_cast<const ConvOp&>(c->getOperator()).attrs;
    const auto k = static_cast<std::size_t>(a.kernelShape.empty() ? 0 : a.kernelShape[0]);
    const std::size_t kk = k ? k : getKernelDims<2>(c)[0];
    const auto s = static_cast<std::size_t>(a.strides.empty() ? 1 : a.strides[0]);
    const auto p = static_cast<std::size_t>(a.pads.empty() ? 0 : a.pads[0]);
    const auto d = static_cast<std::size_t>(a.dilations.empty() ? 1 : a.dilations[0]);
    return (n + 2 * p - ((kk - 1) * d + 1)) / s + 1;
}
} // namespace

TEST_CASE("isConv, isTensor, isChildOf", "[recipes][conv]") {
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr c = conv(g, "c", out(x), 3, 4, 3, 1, 1);
    NodePtr r = addNode(g, "ReLU", "r", {out(c)});
    CHECK(isConv(c));
    CHECK_FALSE(isConv(r));
    CHECK(isTensor(c->producer(1)));
    CHECK_FALSE(isTensor(c));
    CHECK(isChildOf(r, c));
    CHECK_FALSE(isChildOf(c, r));
    CHECK(isChildOf(c, x));
}

TEST_CASE("kernel dims, strides, channels of a Conv node", "[recipes][conv]") {
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr c = conv(g, "c", out(x), 6, 8, 5, 2, 1, 2);
    CHECK(getKernelDims<2>(c) == std::array<std::size_t, 2>{5, 5});
    CHECK(getKernelStrides<2>(c) == std::array<std::size_t, 2>{2, 2});
    CHECK(inChannels<2>(c) == 6);  // W is [8, 3, 5, 5] with group 2
    CHECK(outChannels<2>(c) == 8);
    CHECK_THROWS_WITH(getKernelDims<1>(c), Catch::Contains("'c'") && Catch::Contains("expected 1"));
    NodePtr r = addNode(g, "ReLU", "r", {out(c)});
    CHECK_THROWS_WITH(getKernelDims<2>(r), Catch::Contains("not a Conv"));
}

TEST_CASE("composed kernel geometry, including a stride-2 first conv", "[recipes][conv]") {
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr a = conv(g, "a", out(x), 3, 4, 3, 1, 0);
    NodePtr b = conv(g, "b", out(a), 4, 5, 3, 1, 0);
    CHECK(computeKernelDims<2>(a, b) == std::array<std::size_t, 2>{5, 5});
    CHECK(computeKernelStrides<2>(a, b) == std::array<std::size_t, 2>{1, 1});

    NodePtr s = conv(g, "s", out(x), 3, 4, 3, 2, 0);
    NodePtr t = conv(g, "t", out(s), 4, 5, 3, 1, 0);
    // Correct: e1 + (e2 − 1)·s1 = 3 + 2·2 = 7. Upstream (k1 − 1)·s2 + k2 gives 5.
    CHECK(computeKernelDims<2>(s, t) == std::array<std::size_t, 2>{7, 7});
    CHECK(computeKernelStrides<2>(s, t) == std::array<std::size_t, 2>{2, 2});

    NodePtr m = convFrom<2>(s, t);
    CHECK(isConv(m));
    const auto& attrs = static_cast<const ConvOp&>(m->getOperator()).attrs;
    CHECK(attrs.kernelShape == Ints{7, 7});
    CHECK(attrs.strides == Ints{2, 2});
    CHECK(attrs.dilations == Ints{1, 1});
    CHECK(attrs.group == 1);
    CHECK(m->getParent(1) == nullptr);  // no weights
    // Same output size as the chain on several input sizes (padded case too).
    NodePtr p1 = conv(g, "p1", out(x), 3, 4, 3, 2, 1);
    NodePtr p2 = conv(g, "p2", out(p1), 4, 4, 3, 2, 1);
    NodePtr mp = convFrom<2>(p1, p2);
    CHECK(static_cast<const ConvOp&>(mp->getOperator()).attrs.pads == Ints{3, 3, 3, 3});  // p1 + s1·p2
    for (std::size_t n : {15u, 16u, 17u, 32u}) {
        CHECK(outSize(m, n) == outSize(t, outSize(s, n)));
        CHECK(outSize(mp, n) == outSize(p2, outSize(p1, n)));
    }
    CHECK_THROWS_AS(convFrom<2>(a, s), std::invalid_argument);  // s takes 3 channels, a gives 4
}

TEST_CASE("convFrom with composed weights reproduces a stride-2 chain exactly", "[recipes][conv]") {
    // conv1 3×3 stride 2 (no pad) then conv2 3×3 stride 1, no bias: a single
    // 7×7 stride-2 conv with W[o,c,a·s1+i] = Σ_m W2[o,m,a]·W1[m,c,i] is exact.
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr c1 = conv(g, "c1", out(x), 2, 3, 3, 2, 0, 1, 5);
    NodePtr c2 = conv(g, "c2", out(c1), 3, 2, 3, 1, 0, 1, 6);
    g.setOutputs({out(c2)});
    NodePtr merged = convFrom<2>(c1, c2);
    const auto K = computeKernelDims<2>(c1, c2)[0];
    const Tensor& w1 = static_cast<const ProducerOp&>(c1->producer(1)->getOperator()).value();
    const Tensor& w2 = static_cast<const ProducerOp&>(c2->producer(1)->getOperator()).value();
    Tensor w({2, 2, K, K});
    const float* a = w1.data<float>();
    const float* b = w2.data<float>();
    float* o = w.data<float>();
    for (std::size_t oc = 0; oc < 2; ++oc)
        for (std::size_t c = 0; c < 2; ++c)
            for (std::size_t m = 0; m < 3; ++m)
                for (std::size_t ay = 0; ay < 3; ++ay)
                    for (std::size_t ax = 0; ax < 3; ++ax)
                        for (std::size_t iy = 0; iy < 3; ++iy)
                            for (std::size_t ix = 0; ix < 3; ++ix)
                                o[((oc * 2 + c) * K + ay * 2 + iy) * K + ax * 2 + ix] +=
                                    b[((oc * 3 + m) * 3 + ay) * 3 + ax] * a[((m * 2 + c) * 3 + iy) * 3 + ix];
    GraphView h;
    NodePtr hx = addInput(h, "x");
    Node::link(hx, 0, merged, 0);
    Node::link(makeProducer(w, "merged_W"), 0, merged, 1);
    h.add(merged);
    h.setOutputs({out(merged)});
    const Tensor in = randomTensor({1, 2, 13, 13}, 9);
    compile(g, {"ref", DataType::Float32, {{1, 2, 13, 13}}});
    compile(h, {"ref", DataType::Float32, {{1, 2, 13, 13}}});
    const auto y1 = forward(g, {in})[0];
    const auto y2 = forward(h, {in})[0];
    REQUIRE(y1.dims() == y2.dims());
    const auto v1 = y1.toVector<float>(), v2 = y2.toVector<float>();
    for (std::size_t i = 0; i < v1.size(); ++i) CHECK(v2[i] == Approx(v1[i]).margin(1e-4));
}

TEST_CASE("depthwise then depthwise stays depthwise; with dense it becomes dense", "[recipes][conv]") {
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr d1 = conv(g, "d1", out(x), 4, 4, 3, 1, 1, 4);
    NodePtr d2 = conv(g, "d2", out(d1), 4, 4, 3, 1, 1, 4);
    NodePtr pw = conv(g, "pw", out(d2), 4, 6, 1, 1, 0);
    CHECK(static_cast<const ConvOp&>(convFrom<2>(d1, d2)->getOperator()).attrs.group == 4);
    CHECK(static_cast<const ConvOp&>(convFrom<2>(d2, pw)->getOperator()).attrs.group == 1);
}

TEST_CASE("convFrom keeps gcd(g1, g2) groups, like composeGeometry", "[recipes][conv]") {
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr g4 = conv(g, "g4", out(x), 8, 8, 3, 1, 0, 4);
    NodePtr g4b = conv(g, "g4b", out(g4), 8, 8, 3, 2, 1, 4);
    NodePtr g2 = conv(g, "g2", out(g4), 8, 6, 1, 1, 0, 2);
    NodePtr dense = conv(g, "dense", out(g4), 8, 4, 1, 1, 0);
    auto groupOf = [](const NodePtr& n) { return static_cast<const ConvOp&>(n->getOperator()).attrs.group; };
    CHECK(groupOf(convFrom<2>(g4, g4b)) == 4);  // was dense before the rules were one
    CHECK(groupOf(convFrom<2>(g4, g2)) == 2);
    CHECK(groupOf(convFrom<2>(g4, dense)) == 1);
    CHECK(composedGeometry(g4, g4b, 2).group == 4);
    CHECK(computeKernelPads<2>(g4, g4b) == std::array<std::size_t, 4>{1, 1, 1, 1});  // 0 + 1·1
    NodePtr c3 = conv(g, "c3", out(x), 3, 4, 3, 1, 0);
    CHECK_THROWS_WITH(convFrom<2>(g4b, c3),
                      Catch::Contains("'c3'") && Catch::Contains("takes 3 channels") && Catch::Contains("'g4b'"));
    NodePtr same = conv(g, "same", out(x), 8, 8, 3, 1, 0);
    same->getOperator().setAttribute("auto_pad", std::string("SAME_UPPER"));
    CHECK_THROWS_WITH(computeKernelDims<2>(g4, same), Catch::Contains("'same'") && Catch::Contains("auto_pad"));
}
