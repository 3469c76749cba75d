#include <catch2/catch.hpp>

#include "fibnlr/operator/Gemm.hpp"

using namespace fibnlr;

TEST_CASE("GemmOp: shapes with transposes and C", "[operator][Gemm]") {
    GemmOp op;
    CHECK(op.inferShapes({{13, 7}, {7, 5}, {}}).at(0) == Shape{13, 5});
    CHECK(op.inferShapes({{13, 7}, {7, 5}}).at(0) == Shape{13, 5});
    op.attrs.transA = 1;
    op.attrs.transB = 1;
    CHECK(op.inferShapes({{7, 13}, {5, 7}, {5}}).at(0) == Shape{13, 5});
    CHECK(op.inferShapes({{7, 13}, {5, 7}, {13, 1}}).at(0) == Shape{13, 5});
    CHECK(op.inferShapes({{7, 13}, {5, 7}, {}}).at(0) == Shape{13, 5});
    CHECK(op.inputSpecs()[2].category == InputCategory::OptionalParam);
}

TEST_CASE("GemmOp: bad inputs", "[operator][Gemm]") {
    GemmOp op;
    REQUIRE_THROWS_WITH(op.inferShapes({{13, 7}, {6, 5}}), Catch::Contains("inner dimensions differ: A [13, 7] and B [6, 5]"));
    REQUIRE_THROWS_WITH(op.inferShapes({{13, 7}, {7, 5}, {13}}), Catch::Contains("bias C [13]"));
    REQUIRE_THROWS_AS(op.inferShapes({{13, 7}, {7, 5}, {1, 13, 5}}), std::invalid_argument);
    REQUIRE_THROWS_WITH(op.inferShapes({{2, 13, 7}, {7, 5}}), Catch::Contains("A must be 2-D"));
    REQUIRE_THROWS_WITH(op.inferShapes({{13, 7}, {7}}), Catch::Contains("B must be 2-D"));
    REQUIRE_THROWS_WITH(op.setAttribute("transA", std::int64_t{2}), Catch::Contains("transA 2"));
    CHECK(op.attrs.transA == 0);
    op.attrs.transB = -1;
    REQUIRE_THROWS_WITH(op.inferShapes({{13, 7}, {7, 5}}), Catch::Contains("transB -1"));
}

TEST_CASE("MatMulOp: numpy shapes", "[operator][Gemm]") {
    MatMulOp op;
    CHECK(op.inferShapes({{13, 7}, {7, 5}}).at(0) == Shape{13, 5});
    CHECK(op.inferShapes({{7}, {7, 5}}).at(0) == Shape{5});
    CHECK(op.inferShapes({{13, 7}, {7}}).at(0) == Shape{13});
    CHECK(op.inferShapes({{7}, {7}}).at(0) == Shape{});
    CHECK(op.inferShapes({{2, 1, 13, 7}, {3, 7, 5}}).at(0) == Shape{2, 3, 13, 5});
    CHECK(op.inferShapes({{7}, {3, 7, 5}}).at(0) == Shape{3, 5});
    REQUIRE_THROWS_WITH(op.inferShapes({{13, 7}, {5, 7}}), Catch::Contains("inner dimensions differ"));
    REQUIRE_THROWS_AS(op.inferShapes({{2, 13, 7}, {3, 7, 5}}), std::invalid_argument);  // batch 2 vs 3
    REQUIRE_THROWS_AS(op.inferShapes({{}, {7}}), std::invalid_argument);
}
