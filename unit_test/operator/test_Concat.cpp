#include <catch2/catch.hpp>
#include <limits>

#include "fibnlr/operator/Concat.hpp"
#include "fibnlr/operator/OperatorList.hpp"

using namespace fibnlr;
using Ints = std::vector<std::int64_t>;

TEST_CASE("ConcatOp: shapes", "[operator][Concat]") {
    ConcatOp op(3);
    CHECK(op.nbInputs() == 3);
    CHECK(op.inputSpecs()[2].name == "inputs_2");
    CHECK(op.isVariadic());
    CHECK(op.inferShapes({{2, 13, 5}, {2, 1, 5}, {2, 7, 5}}).at(0) == Shape{2, 21, 5});
    op.attrs.axis = -1;
    CHECK(op.inferShapes({{2, 3, 5}, {2, 3, 1}, {2, 3, 0}}).at(0) == Shape{2, 3, 6});
    op.setNbInputs(1);
    CHECK(op.inferShapes({{4, 4}}).at(0) == Shape{4, 4});
    CHECK(makeOperator("Concat", {}, 4)->nbInputs() == 4);
}

TEST_CASE("ConcatOp: bad inputs", "[operator][Concat]") {
    ConcatOp op;
    REQUIRE_THROWS_WITH(op.inferShapes({{2, 3, 5}, {2, 3, 4}}), Catch::Contains("input 1 [2, 3, 4] does not match"));
    REQUIRE_THROWS_AS(op.inferShapes({{2, 3, 5}, {2, 3}}), std::invalid_argument);
    op.attrs.axis = 3;
    REQUIRE_THROWS_WITH(op.inferShapes({{2, 3, 5}, {2, 3, 5}}), Catch::Contains("axis 3"));
    REQUIRE_THROWS_AS(op.setNbInputs(0), std::invalid_argument);
}

TEST_CASE("SplitOp: parts and shapes", "[operator][Concat]") {
    SplitOp op;
    CHECK(op.nbOutputs() == 2);
    CHECK(op.parts(8) == std::vector<std::size_t>{4, 4});
    CHECK(op.parts(7) == std::vector<std::size_t>{4, 3});
    op.attrs.numOutputs = 3;
    CHECK(op.parts(7) == std::vector<std::size_t>{3, 3, 1});
    op.attrs.split = {1, 0, 6};
    CHECK(op.parts(7) == std::vector<std::size_t>{1, 0, 6});
    op.attrs.axis = -1;
    const std::vector<Shape> out = op.inferShapes({{2, 7}});
    REQUIRE(out.size() == 3);
    CHECK(out[0] == Shape{2, 1});
    CHECK(out[1] == Shape{2, 0});
    CHECK(out[2] == Shape{2, 6});
}

TEST_CASE("SplitOp: bad attributes", "[operator][Concat]") {
    SplitOp op;
    op.attrs.split = {2, 3};
    REQUIRE_THROWS_WITH(op.parts(6), Catch::Contains("add up to 5 but the axis has 6"));
    op.attrs.split = {2, 3, 1};
    REQUIRE_THROWS_WITH(op.validate(), Catch::Contains("3 sizes for 2 outputs"));
    op.attrs.split = {-1, 7};
    REQUIRE_THROWS_AS(op.validate(), std::invalid_argument);
    op.attrs.split.clear();
    op.attrs.numOutputs = 4;
    REQUIRE_THROWS_WITH(op.parts(5), Catch::Contains("cannot split 5 into 4"));
    REQUIRE_THROWS_WITH(makeOperator("Split", {{"num_outputs", std::int64_t{0}}}), Catch::Contains("num_outputs 0"));
    op.attrs.numOutputs = 2;
    op.attrs.axis = 2;
    REQUIRE_THROWS_AS(op.inferShapes({{4, 4}}), std::invalid_argument);
}

TEST_CASE("ConcatOp and SplitOp: sums that wrap are refused", "[operator][Concat]") {
    const std::size_t p63 = std::size_t(1) << 63;
    ConcatOp op(2);
    op.attrs.axis = 0;
    REQUIRE_THROWS_WITH(op.inferShapes({{p63}, {p63}}), Catch::Contains("overflows"));
    SplitOp split;
    split.attrs.axis = 0;
    split.attrs.numOutputs = 3;
    // 3 (2^63 - 1) = 2^64 + 2^63 - 3 wraps.
    const std::int64_t big = std::numeric_limits<std::int64_t>::max();
    split.attrs.split = {big, big, big};
    REQUIRE_THROWS_WITH(split.inferShapes({{1}}), Catch::Contains("overflows"));
    SplitOp many;
    many.attrs.numOutputs = std::int64_t(1) << 62;
    REQUIRE_THROWS_WITH(many.inferShapes({{0}}), Catch::Contains("num_outputs"));
}
