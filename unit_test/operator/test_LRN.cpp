#include <catch2/catch.hpp>

#include "fibnlr/operator/LRN.hpp"
#include "fibnlr/operator/OperatorList.hpp"

using namespace fibnlr;

TEST_CASE("LRNOp: shapes and checks", "[operator][LRN]") {
    LRNOp op;
    CHECK(op.inferShapes({{2, 13, 5, 5}}).at(0) == Shape{2, 13, 5, 5});
    REQUIRE_THROWS_WITH(op.inferShapes({{13}}), Catch::Contains("rank >= 2"));
    REQUIRE_THROWS_WITH(makeOperator("LRN", {{"size", std::int64_t{0}}}), Catch::Contains("size 0"));
    LRNOp copy;
    op.attrs.beta = 0.5f;
    op.attrs.size = 5;
    for (const auto& kv : op.attributes()) copy.setAttribute(kv.first, kv.second);
    CHECK(copy.sameAttributes(op));
}

TEST_CASE("SoftmaxOp: shapes and axis", "[operator][LRN]") {
    SoftmaxOp op;
    CHECK(op.inferShapes({{2, 13}}).at(0) == Shape{2, 13});
    op.attrs.axis = -3;
    REQUIRE_THROWS_WITH(op.inferShapes({{2, 13}}), Catch::Contains("axis -3 is out of range for rank 2"));
    op.attrs.axis = 1;
    CHECK(op.inferShapes({{2, 13, 4}}).at(0) == Shape{2, 13, 4});
}
