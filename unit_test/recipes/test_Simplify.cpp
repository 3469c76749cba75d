#include <catch2/catch.hpp>

#include "MergeTestUtils.hpp"
#include "fibnlr/recipes/Simplify.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
NodePtr addBN(GraphView& g, const Port& in, const std::string& name, std::size_t c, std::mt19937& rng) {
    Tensor var = randomTensor({c}, rng);
    for (std::size_t i = 0; i < c; ++i) var.data<float>()[i] = 0.5f + std::abs(var.data<float>()[i]);
    return addNode(g, "BatchNormalization", name, {in},
                   {{"scale", randomTensor({c}, rng)}, {"B", randomTensor({c}, rng)},
                    {"input_mean", randomTensor({c}, rng)}, {"input_var", var}});
}

/// x -> conv3x3 -> BN -> act1 -> conv1x1 -> BN -> (+ x) -> act2 -> conv1x1 (head)
GraphView& block(GraphView& g, const std::string& act1, std::mt19937& rng) {
    NodePtr x = addInput(g, "x");
    NodePtr a = addConv(g, out(x), "a", 8, {8, {3, 3}, {}, {1, 1, 1, 1}, {}, 1, false}, rng);
    NodePtr b1 = addBN(g, out(a), "bn_a", 8, rng);
    NodePtr r1 = addNode(g, act1, "act1", {out(b1)});
    NodePtr b = addConv(g, out(r1), "b", 8, {8, {1, 1}, {}, {}, {}, 1, false}, rng);
    NodePtr b2 = addBN(g, out(b), "bn_b", 8, rng);
    NodePtr add = addNode(g, "Add", "add", {out(b2), out(x)});
    NodePtr r2 = addNode(g, "ReLU", "act2", {out(add)});
    NodePtr h = addConv(g, out(r2), "head", 8, {4, {1, 1}}, rng);
    g.setOutputs({out(h)});
    return g;
}
} // namespace

TEST_CASE("simplify: pruned block becomes one conv, exactly", "[recipes][Simplify]") {
    std::mt19937 rng(51);
    GraphView g;
    block(g, "Identity", rng);  // the activation pruned to Identity
    Tensor x = randomTensor({2, 8, 9, 9}, rng);
    Tensor ref = run(g, x);
    SimplifyOptions o;
    o.merge.inputDims = {x.dims()};
    SimplifyResult r = simplify(g, o);
    CHECK(r.batchNormFolds.size() == 2);
    CHECK(r.removedIdentities == std::vector<std::string>{"act1"});
    REQUIRE(r.merged.size() == 1);
    CHECK(r.merged[0].nodes == std::vector<std::string>{"a", "b"});
    REQUIRE(r.residualFolds.size() == 1);
    CHECK(r.residualFolds[0].skip == "identity");
    CHECK(countType(g, "Conv") == 2);  // the merged block and the head
    CHECK(countType(g, "Add") == 0);
    CHECK(r.before.size() == 8);
    CHECK(r.after.size() == 3);
    CHECK(r.layersRemoved == std::vector<std::string>{"a", "bn_a", "act1", "b", "bn_b", "add"});
    CHECK(r.after.at(0).name == "a+b");
    CHECK(r.macsKnown);
    // independent MAC count: 81 pixels · (8·8·9 + 8·8 + 8·4) before; merged 3x3 8->8 keeps 8·8·9
    double before = 0, after = 0;
    for (const auto& c : r.before) before += c.macs;
    for (const auto& c : r.after) after += c.macs;
    CHECK(before == Approx(81.0 * (8 * 8 * 9 + 8 * 8 + 8 * 4)));
    CHECK(after == Approx(81.0 * (8 * 8 * 9 + 8 * 4)));
    CHECK(closeExact(run(g, x), ref));

    SECTION("applied twice changes nothing") {
        const std::size_t v = g.version();
        SimplifyResult again = simplify(g, o);
        CHECK(again.merged.empty());
        CHECK(again.residualFolds.empty());
        CHECK(again.batchNormFolds.empty());
        CHECK(g.version() == v);
    }
}

TEST_CASE("simplify: a kept activation keeps the skip and both convs", "[recipes][Simplify]") {
    std::mt19937 rng(52);
    GraphView g;
    block(g, "ReLU", rng);
    Tensor x = randomTensor({1, 8, 6, 6}, rng);
    Tensor ref = run(g, x);
    SimplifyResult r = simplify(g);
    CHECK(r.merged.empty());
    CHECK(r.residualFolds.empty());
    CHECK(countType(g, "Add") == 1);
    CHECK(countType(g, "Conv") == 3);
    CHECK(r.macsKnown);  // dims taken from the compiled graph
    CHECK(closeExact(run(g, x), ref));
}

TEST_CASE("simplify folds a BatchNorm that a pruned activation separated from its conv", "[recipes][Simplify]") {
    // conv -> ReLU -> BN (Keras order) with the ReLU pruned to Identity: the
    // BatchNorm only becomes foldable once the Identity is gone.
    std::mt19937 rng(54);
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr c = addConv(g, out(x), "c", 3, {4, {3, 3}}, rng);
    NodePtr id = addNode(g, "Identity", "relu_pruned", {out(c)});
    NodePtr bn = addBN(g, out(id), "bn", 4, rng);
    NodePtr r = addNode(g, "ReLU", "relu2", {out(bn)});
    g.setOutputs({out(r)});
    Tensor xin = randomTensor({2, 3, 7, 7}, rng);
    Tensor ref = run(g, xin);
    SimplifyResult res = simplify(g);
    CHECK(res.removedIdentities == std::vector<std::string>{"relu_pruned"});
    CHECK(res.batchNormFolds.size() == 1);
    CHECK(countType(g, "BatchNormalization") == 0);
    CHECK(closeExact(run(g, xin), ref));
}

TEST_CASE("simplify rejects invalid options before changing anything", "[recipes][Simplify]") {
    std::mt19937 rng(53);
    GraphView g;
    block(g, "Identity", rng);
    const std::size_t v = g.version();
    SimplifyOptions o;
    o.merge.maxMacGrowth = -1;
    CHECK_THROWS_AS(simplify(g, o), std::invalid_argument);
    CHECK(g.version() == v);
}
