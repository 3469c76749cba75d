#include <catch2/catch.hpp>

#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Pool.hpp"

using namespace fibnlr;
using Ints = std::vector<std::int64_t>;

namespace {
Shape outShape(const std::string& type, const Shape& x, const AttrList& attrs) {
    return makeOperator(type, attrs)->inferShapes({x}).at(0);
}
} // namespace

TEST_CASE("MaxPoolOp / AveragePoolOp: output shapes", "[operator][Pool]") {
    for (const std::string type : {"MaxPool", "AveragePool"}) {
        INFO(type);
        CHECK(outShape(type, {2, 13, 8, 8}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}) == Shape{2, 13, 4, 4});
        CHECK(outShape(type, {1, 3, 7, 7}, {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}) ==
              Shape{1, 3, 4, 4});
        // ceil mode: floor((6 − 3) / 2) + 1 = 2, ceil gives 3
        const AttrList k3s2{{"kernel_shape", Ints{3}}, {"strides", Ints{2}}};
        CHECK(outShape(type, {1, 1, 6}, k3s2) == Shape{1, 1, 2});
        AttrList ceil = k3s2;
        ceil.emplace_back("ceil_mode", std::int64_t{1});
        CHECK(outShape(type, {1, 1, 6}, ceil) == Shape{1, 1, 3});
        CHECK(outShape(type, {1, 1, 7}, ceil) == Shape{1, 1, 3});  // divides evenly: no extra window
    }
    CHECK(outShape("MaxPool", {1, 1, 9, 9}, {{"kernel_shape", Ints{3, 3}}, {"dilations", Ints{2, 3}}}) == Shape{1, 1, 5, 3});
}

TEST_CASE("MaxPoolOp / AveragePoolOp: bad attributes and inputs", "[operator][Pool]") {
    REQUIRE_THROWS_WITH(outShape("MaxPool", {1, 1, 4, 4}, {{"kernel_shape", Ints{5, 5}}}), Catch::Contains("does not fit"));
    CHECK(outShape("MaxPool", {1, 1, 4, 4}, {{"kernel_shape", Ints{5, 5}}, {"pads", Ints{1, 1, 0, 0}}}) == Shape{1, 1, 1, 1});
    REQUIRE_THROWS_WITH(outShape("AveragePool", {4, 4}, {{"kernel_shape", Ints{2}}}), Catch::Contains("rank >= 3"));
    REQUIRE_THROWS_WITH(outShape("MaxPool", {1, 1, 4, 4}, {{"kernel_shape", Ints{2}}}), Catch::Contains("kernel_shape [2]"));
    REQUIRE_THROWS_AS(outShape("MaxPool", {1, 1, 4, 4}, {}), std::invalid_argument);  // kernel_shape is required
    // validate() runs from makeOperator, before any shape is known
    REQUIRE_THROWS_WITH(makeOperator("MaxPool", {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, -1}}}),
                        Catch::Contains("strides [2, -1]"));
    REQUIRE_THROWS_WITH(makeOperator("AveragePool", {{"strides", Ints{0}}}), Catch::Contains("strides [0]"));
    REQUIRE_THROWS_WITH(makeOperator("MaxPool", {{"ceil_mode", std::int64_t{2}}}), Catch::Contains("ceil_mode 2"));
    REQUIRE_THROWS_WITH(makeOperator("AveragePool", {{"count_include_pad", std::int64_t{-1}}}),
                        Catch::Contains("count_include_pad -1"));
    REQUIRE_THROWS_WITH(makeOperator("AveragePool", {{"dilations", Ints{1}}}), Catch::Contains("no attribute 'dilations'"));
}

TEST_CASE("GlobalAveragePoolOp: shapes", "[operator][Pool]") {
    GlobalAveragePoolOp op;
    CHECK(op.inferShapes({{2, 13, 7, 5}}).at(0) == Shape{2, 13, 1, 1});
    CHECK(op.inferShapes({{2, 13, 7}}).at(0) == Shape{2, 13, 1});
    REQUIRE_THROWS_AS(op.inferShapes({{2, 13}}), std::invalid_argument);
}

TEST_CASE("Pool attributes round-trip", "[operator][Pool]") {
    AveragePoolOp op;
    op.attrs.kernelShape = {3, 3};
    op.attrs.countIncludePad = 1;
    AveragePoolOp copy;
    for (const auto& kv : op.attributes()) copy.setAttribute(kv.first, kv.second);
    CHECK(copy.attrs.kernelShape == Ints{3, 3});
    CHECK(copy.attrs.countIncludePad == 1);
    CHECK(copy.sameAttributes(op));
    CHECK(op.window({1, 1, 5, 5}).outDims == Shape{3, 3});
}
