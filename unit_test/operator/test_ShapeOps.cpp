#include <catch2/catch.hpp>

#include "fibnlr/operator/ShapeOps.hpp"

using namespace fibnlr;

namespace {
template <class Op> Shape shapeOf(const Op& op, const Shape& x) { return op.inferShapes({x}).at(0); }
} // namespace

TEST_CASE("FlattenOp", "[operator][ShapeOps]") {
    FlattenOp op;
    CHECK(shapeOf(op, {2, 13, 5, 7}) == Shape{2, 455});
    op.attrs.axis = 0;
    CHECK(shapeOf(op, {2, 13, 5}) == Shape{1, 130});
    op.attrs.axis = -1;
    CHECK(shapeOf(op, {2, 13, 5}) == Shape{26, 5});
    op.attrs.axis = 3;
    CHECK(shapeOf(op, {2, 13, 5}) == Shape{130, 1});
    op.attrs.axis = 4;
    REQUIRE_THROWS_WITH(shapeOf(op, {2, 13, 5}), Catch::Contains("axis 4"));
}

TEST_CASE("ReshapeOp", "[operator][ShapeOps]") {
    ReshapeOp op;
    op.attrs.shape = {0, -1};
    CHECK(shapeOf(op, {2, 13, 5}) == Shape{2, 65});
    op.attrs.shape = {5, 0, 2};
    CHECK(shapeOf(op, {2, 13, 5}) == Shape{5, 13, 2});
    op.attrs.shape = {-1};
    CHECK(shapeOf(op, {2, 13, 5}) == Shape{130});
    op.attrs.shape = {-1, -1};
    REQUIRE_THROWS_WITH(shapeOf(op, {2, 13, 5}), Catch::Contains("more than one -1"));
    op.attrs.shape = {7, -1};
    REQUIRE_THROWS_AS(shapeOf(op, {2, 13, 5}), std::invalid_argument);
    op.attrs.shape = {2, 13};
    REQUIRE_THROWS_WITH(shapeOf(op, {2, 13, 5}), Catch::Contains("(130 elements) to [2, 13]"));
    op.attrs.shape = {-2, 65};
    REQUIRE_THROWS_WITH(shapeOf(op, {2, 13, 5}), Catch::Contains("shape value -2"));
    op.attrs.shape = {0, 0, 0, 0};
    REQUIRE_THROWS_WITH(shapeOf(op, {2, 13, 5}), Catch::Contains("beyond the rank"));
    op.attrs.shape = {0, 4};
    op.attrs.allowzero = 1;  // 0 is a real zero-size dim
    CHECK(shapeOf(op, {0, 3}) == Shape{0, 4});
}

TEST_CASE("TransposeOp", "[operator][ShapeOps]") {
    TransposeOp op;
    CHECK(shapeOf(op, {2, 13, 5}) == Shape{5, 13, 2});
    op.attrs.perm = {0, 2, 3, 1};
    CHECK(shapeOf(op, {2, 13, 5, 7}) == Shape{2, 5, 7, 13});
    CHECK(op.permutation(4) == std::vector<std::size_t>{0, 2, 3, 1});
    op.attrs.perm = {0, 2, 2, 1};
    REQUIRE_THROWS_WITH(shapeOf(op, {2, 13, 5, 7}), Catch::Contains("perm repeats axis 2"));
    op.attrs.perm = {0, 1};
    REQUIRE_THROWS_WITH(shapeOf(op, {2, 13, 5}), Catch::Contains("perm has 2 values for rank 3"));
    op.attrs.perm = {0, 1, 3};
    REQUIRE_THROWS_WITH(shapeOf(op, {2, 13, 5}), Catch::Contains("axis 3"));
}

TEST_CASE("SqueezeOp / UnsqueezeOp", "[operator][ShapeOps]") {
    SqueezeOp sq;
    CHECK(shapeOf(sq, {1, 13, 1, 5}) == Shape{13, 5});
    sq.attrs.axes = {-2};
    CHECK(shapeOf(sq, {1, 13, 1, 5}) == Shape{1, 13, 5});
    sq.attrs.axes = {1};
    REQUIRE_THROWS_WITH(shapeOf(sq, {1, 13, 1, 5}), Catch::Contains("cannot squeeze axis 1 of size 13"));
    UnsqueezeOp un;
    un.attrs.axes = {0, -1};
    CHECK(shapeOf(un, {13, 5}) == Shape{1, 13, 5, 1});
    un.attrs.axes = {1, 1};
    REQUIRE_THROWS_WITH(shapeOf(un, {13, 5}), Catch::Contains("repeats axis 1"));
    un.attrs.axes = {4};
    REQUIRE_THROWS_AS(shapeOf(un, {13, 5}), std::invalid_argument);
}

TEST_CASE("ReshapeOp and FlattenOp: element counts that wrap are refused", "[operator][ShapeOps]") {
    ReshapeOp op;
    // (2^62 + 192) * 4 = 2^64 + 768: without checks, accepted as a view of 768 elements.
    op.attrs.shape = {(std::int64_t(1) << 62) + 192, 4};
    REQUIRE_THROWS_WITH(shapeOf(op, {1, 3, 16, 16}), Catch::Contains("overflows"));
    op.attrs.shape = {std::int64_t(1) << 32, std::int64_t(1) << 32, -1};
    REQUIRE_THROWS_WITH(shapeOf(op, {1, 3, 16, 16}), Catch::Contains("overflows"));
    op.attrs.shape = {3, 256};
    CHECK(shapeOf(op, {1, 3, 16, 16}) == Shape{3, 256});
    FlattenOp flat;
    const std::size_t p32 = std::size_t(1) << 32;
    REQUIRE_THROWS_WITH(shapeOf(flat, {1, p32, p32}), Catch::Contains("overflows"));
}
