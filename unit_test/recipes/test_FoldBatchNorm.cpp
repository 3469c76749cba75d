#include <catch2/catch.hpp>

#include "MergeTestUtils.hpp"
#include "fibnlr/recipes/FoldBatchNorm.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
NodePtr addBN(GraphView& g, const Port& in, const std::string& name, std::size_t c, float eps, std::mt19937& rng) {
    Tensor var = randomTensor({c}, rng);
    for (std::size_t i = 0; i < c; ++i) var.data<float>()[i] = 0.1f + std::abs(var.data<float>()[i]);
    return addNode(g, "BatchNormalization", name, {in},
                   {{"scale", randomTensor({c}, rng)}, {"B", randomTensor({c}, rng)},
                    {"input_mean", randomTensor({c}, rng)}, {"input_var", var}},
                   {{"epsilon", eps}});
}
} // namespace

TEST_CASE("fold_batchnorm folds BN after Conv and Gemm with the BN's own epsilon", "[recipes][FoldBatchNorm]") {
    std::mt19937 rng(21);
    for (bool bias : {true, false}) {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr c = addConv(g, out(x), "conv", 3, {5, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 1, bias}, rng);
        NodePtr bn = addBN(g, out(c), "bn", 5, 0.3f, rng);  // a large epsilon: a wrong one shows
        NodePtr r = addNode(g, "ReLU", "relu", {out(bn)});
        g.setOutputs({out(r)});
        Tensor in = randomTensor({2, 3, 9, 9}, rng);
        Tensor ref = run(g, in);
        auto folds = foldBatchNorm(g);
        REQUIRE(folds.size() == 1);
        CHECK(folds[0].batchNorm == "bn");
        CHECK(folds[0].into == "conv");
        CHECK(countType(g, "BatchNormalization") == 0);
        CHECK(g.getNode("conv")->getChildren().at(0)->name() == "relu");
        CHECK(closeExact(run(g, in), ref));
        const std::size_t v = g.version();
        CHECK(foldBatchNorm(g).empty());
        CHECK(g.version() == v);
    }
    SECTION("Gemm, transB 0 and 1") {
        for (std::int64_t transB : {0, 1}) {
            GraphView g;
            NodePtr x = addInput(g, "x");
            Shape wd = transB ? Shape{4, 6} : Shape{6, 4};
            NodePtr m = addNode(g, "Gemm", "fc", {out(x)}, {{"B", randomTensor(wd, rng)}, {"C", randomTensor({4}, rng)}},
                                {{"transB", transB}, {"beta", 0.5f}, {"alpha", 1.5f}});
            NodePtr bn = addBN(g, out(m), "bn", 4, 1e-3f, rng);
            g.setOutputs({out(bn)});
            Tensor in = randomTensor({3, 6}, rng);
            Tensor ref = run(g, in);
            REQUIRE(foldBatchNorm(g).size() == 1);
            CHECK(countType(g, "BatchNormalization") == 0);
            CHECK(closeExact(run(g, in), ref));
        }
    }
}

TEST_CASE("fold_batchnorm must not fire", "[recipes][FoldBatchNorm]") {
    std::mt19937 rng(22);
    SECTION("the conv output also feeds another node") {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr c = addConv(g, out(x), "conv", 3, {4, {1, 1}}, rng);
        NodePtr bn = addBN(g, out(c), "bn", 4, 1e-5f, rng);
        NodePtr r = addNode(g, "ReLU", "relu", {out(c)});
        g.setOutputs({out(bn), out(r)});
        CHECK(foldBatchNorm(g).empty());
        CHECK(countType(g, "BatchNormalization") == 1);
    }
    SECTION("BN after a non-linear node") {
        GraphView g;
        NodePtr x = addInput(g, "x");
        NodePtr r = addNode(g, "ReLU", "relu", {out(x)});
        NodePtr bn = addBN(g, out(r), "bn", 3, 1e-5f, rng);
        g.setOutputs({out(bn)});
        CHECK(foldBatchNorm(g).empty());
    }
}
