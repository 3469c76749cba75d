#include <catch2/catch.hpp>

#include "fibnlr/operator/ReduceMean.hpp"

using namespace fibnlr;

TEST_CASE("ReduceMeanOp: shapes", "[operator][ReduceMean]") {
    ReduceMeanOp op;
    CHECK(op.inferShapes({{2, 13, 5}}).at(0) == Shape{1, 1, 1});
    op.attrs.axes = {-1, 1};
    CHECK(op.inferShapes({{2, 13, 5}}).at(0) == Shape{2, 1, 1});
    CHECK(op.reducedAxes(3) == std::vector<bool>{false, true, true});
    op.attrs.keepdims = 0;
    CHECK(op.inferShapes({{2, 13, 5}}).at(0) == Shape{2});
    op.attrs.axes.clear();
    CHECK(op.inferShapes({{2, 13, 5}}).at(0) == Shape{});
    op.attrs.axes = {3};
    REQUIRE_THROWS_WITH(op.inferShapes({{2, 13, 5}}), Catch::Contains("ReduceMean axis 3 is out of range for rank 3"));
}
