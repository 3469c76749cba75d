#include <catch2/catch.hpp>

#include "MergeTestUtils.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/recipes/MergeUtils.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
/// x [N, 3, H, W] -> c0 (3x3, 3 -> 4) -> c1 (1x1, 4 -> 2, no bias: B unconnected).
struct Chain {
    GraphView g{"chain"};
    NodePtr x, c0, c1;
    explicit Chain(std::mt19937& rng) {
        x = addInput(g, "x");
        c0 = addConv(g, out(x), "c0", 3, {4, {3, 3}, {}, {}, {}, 1, true}, rng);
        c1 = addConv(g, out(c0), "c1", 4, {2, {1, 1}, {}, {}, {}, 1, false}, rng);
        g.setOutputs({out(c1)});
    }
};
} // namespace

TEST_CASE("knownShapes: given dims, else compiled dims that still fit, else unknown", "[recipes][MergeUtils]") {
    std::mt19937 rng(4);
    Chain c(rng);
    SECTION("given dims that fit") {
        const NodeShapes s = knownShapes(c.g, {{2, 3, 7, 6}});
        CHECK(s.at(c.c0.get()) == std::vector<Shape>{{2, 4, 5, 4}});
        CHECK(s.at(c.c1.get()) == std::vector<Shape>{{2, 2, 5, 4}});
    }
    SECTION("given dims that do not fit: an error naming the graph, the node and its input shapes") {
        CHECK_THROWS_WITH(knownShapes(c.g, {{2, 5, 7, 6}}),
                          Catch::StartsWith("input dims do not fit graph 'chain': node 'c0'") &&
                              Catch::Contains("[2, 5, 7, 6], [4, 3, 3, 3], [4]"));
        CHECK_THROWS_WITH(knownShapes(c.g, {{2, 3, 7, 6}, {1}}), Catch::Contains("has 1 inputs but 2 input shapes"));
    }
    SECTION("no dims: unknown until compiled, then the compiled dims") {
        CHECK(knownShapes(c.g, {}).empty());
        CHECK(compiledDims(c.g).empty());
        compile(c.g, CompileOptions{"ref", DataType::Float32, {{1, 3, 9, 9}}});
        CHECK(knownShapes(c.g, {}).at(c.c1.get()) == std::vector<Shape>{{1, 2, 7, 7}});
        CHECK(compiledDims(c.g) == std::vector<Shape>{{1, 3, 9, 9}});
        // A weight changed since compile: the compiled dims no longer fit, so shapes are unknown again.
        static_cast<ProducerOp&>(c.c0->producer(1)->getOperator()).setValue(randomTensor({4, 5, 3, 3}, rng));
        CHECK(knownShapes(c.g, {}).empty());
        CHECK(compiledDims(c.g).empty());
    }
}
