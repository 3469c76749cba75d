#include <catch2/catch.hpp>

#include "fibnlr/operator/ShapeCheck.hpp"

using namespace fibnlr;

TEST_CASE("require", "[operator][ShapeCheck]") {
    CHECK_NOTHROW(require(true, "never"));
    REQUIRE_THROWS_AS(require(false, "boom"), std::invalid_argument);
    REQUIRE_THROWS_WITH(require(false, "boom"), "boom");
}

TEST_CASE("normalizeAxis", "[operator][ShapeCheck]") {
    CHECK(normalizeAxis(0, 3, "x") == 0);
    CHECK(normalizeAxis(-1, 3, "x") == 2);
    CHECK(normalizeAxis(-3, 3, "x") == 0);
    REQUIRE_THROWS_WITH(normalizeAxis(3, 3, "Op"), "Op axis 3 is out of range for rank 3");
    REQUIRE_THROWS_AS(normalizeAxis(-4, 3, "Op"), std::invalid_argument);
    REQUIRE_THROWS_AS(normalizeAxis(0, 0, "Op"), std::invalid_argument);
}

TEST_CASE("broadcastShapes", "[operator][ShapeCheck]") {
    CHECK(broadcastShapes({2, 1, 5}, {3, 1}) == Shape{2, 3, 5});
    CHECK(broadcastShapes({}, {4, 2}) == Shape{4, 2});
    CHECK(broadcastShapes({0, 1}, {1, 3}) == Shape{0, 3});
    REQUIRE_THROWS_WITH(broadcastShapes({2, 3}, {2}), Catch::Contains("[2, 3] and [2] do not broadcast"));
}
