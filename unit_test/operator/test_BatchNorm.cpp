#include <catch2/catch.hpp>

#include "fibnlr/operator/BatchNorm.hpp"

using namespace fibnlr;

TEST_CASE("BatchNormOp: shapes and parameters", "[operator][BatchNorm]") {
    BatchNormOp op;
    const Shape c{13};
    CHECK(op.inferShapes({{2, 13, 5, 7}, c, c, c, c}).at(0) == Shape{2, 13, 5, 7});
    CHECK(op.inferShapes({{4, 13}, c, c, c, c}).at(0) == Shape{4, 13});
    CHECK(op.nbInputs() == 5);
    for (std::size_t i = 1; i < 5; ++i) CHECK(op.isParamInput(i));
    CHECK(op.inputIndex("input_var") == 4);
}

TEST_CASE("BatchNormOp: bad inputs", "[operator][BatchNorm]") {
    BatchNormOp op;
    const Shape c{13};
    REQUIRE_THROWS_WITH(op.inferShapes({{2, 12, 5}, c, c, c, c}), Catch::Contains("parameter scale [13] must be [12]"));
    REQUIRE_THROWS_WITH(op.inferShapes({{2, 13, 5}, c, c, {13, 1}, c}), Catch::Contains("input_mean"));
    REQUIRE_THROWS_WITH(op.inferShapes({{13}, c, c, c, c}), Catch::Contains("rank >= 2"));
    REQUIRE_THROWS_WITH(op.setAttribute("epsilon", -1.f), Catch::Contains("epsilon -1"));
    op.attrs.epsilon = -1.f;
    REQUIRE_THROWS_AS(op.inferShapes({{2, 13, 5}, c, c, c, c}), std::invalid_argument);
}
