#include <catch2/catch.hpp>

#include "MergeTestUtils.hpp"
#include "fibnlr/operator/Conv.hpp"
#include "fibnlr/recipes/FoldResidual.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

TEST_CASE("fold_residual folds an identity skip into the centre tap", "[recipes][FoldResidual]") {
    std::mt19937 rng(41);
    struct Case {
        ConvSpec spec;
        bool skipFirst;
    };
    // dense 3x3, depthwise 5x5 dilated (tap 1 at offset 2), asymmetric-pad 2x2 (tap 0 with pads 0+1), 1x1
    std::vector<Case> cases{{{4, {3, 3}, {}, {1, 1, 1, 1}, {}, 1, true}, false},
                            {{4, {3, 3}, {}, {2, 2, 2, 2}, {2, 2}, 4, false}, true},
                            {{4, {2, 2}, {}, {0, 0, 1, 1}, {}, 2, true}, false},
                            {{4, {1, 1}, {}, {}, {}, 1, true}, true}};
    for (const Case& c : cases) {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr conv = addConv(g, out(x), "conv", 4, c.spec, rng);
        NodePtr add = c.skipFirst ? addNode(g, "Add", "add", {out(x), out(conv)}) : addNode(g, "Add", "add", {out(conv), out(x)});
        NodePtr r = addNode(g, "ReLU", "relu", {out(add)});
        g.setOutputs({out(r)});
        Tensor in = randomTensor({2, 4, 7, 8}, rng);
        Tensor ref = run(g, in);
        auto folds = foldResidual(g);
        REQUIRE(folds.size() == 1);
        CHECK(folds[0].skip == "identity");
        CHECK(folds[0].add == "add");
        CHECK(countType(g, "Add") == 0);
        CHECK(countType(g, "Conv") == 1);
        CHECK(closeExact(run(g, in), ref));
        const std::size_t v = g.version();
        CHECK(foldResidual(g).empty());
        CHECK(g.version() == v);
    }
}

TEST_CASE("fold_residual folds a 1x1 projection skip", "[recipes][FoldResidual]") {
    std::mt19937 rng(42);
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr conv = addConv(g, out(x), "conv", 3, {6, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 1, true}, rng);
    NodePtr proj = addConv(g, out(x), "proj", 3, {6, {1, 1}, {2, 2}, {}, {}, 1, true}, rng);
    NodePtr add = addNode(g, "Add", "add", {out(proj), out(conv)});
    g.setOutputs({out(add)});
    Tensor in = randomTensor({1, 3, 9, 10}, rng);
    Tensor ref = run(g, in);
    auto folds = foldResidual(g);
    REQUIRE(folds.size() == 1);
    CHECK(folds[0].skip == "projection");
    CHECK(folds[0].projection == "proj");
    CHECK(countType(g, "Conv") == 1);
    CHECK(closeExact(run(g, in), ref));
}

TEST_CASE("fold_residual must not fire", "[recipes][FoldResidual]") {
    std::mt19937 rng(43);
    SECTION("an activation inside the span keeps the skip") {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr a = addConv(g, out(x), "a", 4, {4, {3, 3}, {}, {1, 1, 1, 1}}, rng);
        NodePtr r = addNode(g, "ReLU", "relu", {out(a)});
        NodePtr b = addConv(g, out(r), "b", 4, {4, {3, 3}, {}, {1, 1, 1, 1}}, rng);
        NodePtr add = addNode(g, "Add", "add", {out(b), out(x)});
        g.setOutputs({out(add)});
        CHECK(foldResidual(g).empty());
        CHECK(countType(g, "Add") == 1);
    }
    SECTION("a strided conv cannot absorb an identity skip; unequal channels neither") {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr a = addConv(g, out(x), "a", 4, {4, {3, 3}, {1, 1}, {0, 0, 0, 0}}, rng);  // output smaller
        NodePtr add = addNode(g, "Add", "add", {out(a), out(x)});
        g.setOutputs({out(add)});
        CHECK(foldResidual(g).empty());
    }
    SECTION("the conv output is used elsewhere too") {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr a = addConv(g, out(x), "a", 4, {4, {1, 1}}, rng);
        NodePtr add = addNode(g, "Add", "add", {out(a), out(x)});
        g.setOutputs({out(add), out(a)});
        CHECK(foldResidual(g).empty());
    }
}
