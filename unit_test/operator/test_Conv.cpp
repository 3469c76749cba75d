#include <catch2/catch.hpp>

#include "fibnlr/operator/Conv.hpp"

using namespace fibnlr;
using Ints = std::vector<std::int64_t>;

namespace {
Shape convShape(const ConvOp& op, const Shape& x, const Shape& w, const Shape& b = {}) {
    return op.inferShapes({x, w, b}).at(0);
}
ConvOp conv(Ints strides = {}, Ints pads = {}, Ints dilations = {}, std::int64_t group = 1) {
    ConvOp op;
    op.attrs.strides = std::move(strides);
    op.attrs.pads = std::move(pads);
    op.attrs.dilations = std::move(dilations);
    op.attrs.group = group;
    return op;
}
} // namespace

TEST_CASE("ConvOp: output shapes", "[operator][Conv]") {
    CHECK(convShape(conv(), {2, 3, 7, 9}, {8, 3, 3, 3}, {8}) == Shape{2, 8, 5, 7});
    CHECK(convShape(conv({2, 2}, {1, 1, 1, 1}), {1, 3, 7, 8}, {4, 3, 3, 3}) == Shape{1, 4, 4, 4});
    CHECK(convShape(conv({}, {0, 1, 2, 0}), {1, 3, 5, 5}, {4, 3, 3, 3}) == Shape{1, 4, 5, 4});  // asymmetric pads
    CHECK(convShape(conv({}, {}, {2, 3}), {1, 1, 9, 9}, {1, 1, 3, 3}) == Shape{1, 1, 5, 3});     // extents 5 and 7
    CHECK(convShape(conv({}, {}, {}, 4), {1, 8, 5, 5}, {12, 2, 3, 3}) == Shape{1, 12, 3, 3});    // groups
    CHECK(convShape(conv({}, {1, 1, 1, 1}, {}, 13), {1, 13, 6, 6}, {13, 1, 3, 3}) == Shape{1, 13, 6, 6});  // depthwise
    CHECK(convShape(conv({3}), {2, 4, 10}, {5, 4, 2}) == Shape{2, 5, 3});                       // 1-D
    ConvOp same;
    same.attrs.autoPad = "SAME_UPPER";
    same.attrs.strides = {2, 2};
    CHECK(convShape(same, {1, 3, 7, 8}, {4, 3, 3, 3}) == Shape{1, 4, 4, 4});
    same.attrs.autoPad = "VALID";
    same.attrs.pads = {5, 5, 5, 5};  // ignored with VALID
    CHECK(convShape(same, {1, 3, 7, 8}, {4, 3, 3, 3}) == Shape{1, 4, 3, 3});
}

TEST_CASE("ConvOp: window() resolves kernel from the weights", "[operator][Conv]") {
    const Window w = conv({1, 2}, {1, 0, 1, 0}).window({1, 3, 6, 6}, {4, 3, 3, 2});
    CHECK(w.kernel == Shape{3, 2});
    CHECK(w.strides == Shape{1, 2});
    CHECK(w.padBegin == Shape{1, 0});
    CHECK(w.outDims == Shape{6, 3});
}

TEST_CASE("ConvOp: bad inputs", "[operator][Conv]") {
    REQUIRE_THROWS_WITH(convShape(conv(), {1, 4, 5, 5}, {8, 3, 3, 3}), Catch::Contains("has 4"));
    REQUIRE_THROWS_AS(convShape(conv({}, {}, {}, 3), {1, 8, 5, 5}, {6, 2, 3, 3}), std::invalid_argument);
    REQUIRE_THROWS_WITH(convShape(conv({}, {}, {}, 3), {1, 8, 5, 5}, {6, 2, 3, 3}), Catch::Contains("group 3"));
    REQUIRE_THROWS_WITH(convShape(conv({}, {}, {}, 2), {1, 8, 5, 5}, {5, 4, 3, 3}), Catch::Contains("output channels 5"));
    // kernel larger than the padded input
    REQUIRE_THROWS_WITH(convShape(conv(), {1, 1, 4, 4}, {1, 1, 5, 5}), Catch::Contains("does not fit spatial size 4"));
    CHECK(convShape(conv({}, {1, 1, 0, 0}), {1, 1, 4, 4}, {1, 1, 5, 5}) == Shape{1, 1, 1, 1});
    REQUIRE_THROWS_AS(convShape(conv({}, {}, {3, 3}), {1, 1, 6, 6}, {1, 1, 3, 3}), std::invalid_argument);
    REQUIRE_THROWS_WITH(convShape(conv(), {1, 3, 5}, {4, 3, 3, 3}), Catch::Contains("rank of X"));
    REQUIRE_THROWS_WITH(convShape(conv(), {3, 5}, {4, 3}), Catch::Contains("rank >= 3"));
    REQUIRE_THROWS_WITH(convShape(conv(), {1, 3, 5, 5}, {4, 3, 3, 3}, {3}), Catch::Contains("bias B [3]"));
    ConvOp k;
    k.attrs.kernelShape = {3, 3};
    REQUIRE_THROWS_WITH(convShape(k, {1, 3, 5, 5}, {4, 3, 2, 2}), Catch::Contains("kernel_shape"));
    k.attrs.kernelShape = {3};  // wrong length: an invalid_argument, not an out_of_range
    REQUIRE_THROWS_AS(convShape(k, {1, 3, 5, 5}, {4, 3, 3, 3}), std::invalid_argument);
}

TEST_CASE("ConvOp: validate() checks attributes before any input is known", "[operator][Conv]") {
    CHECK_NOTHROW(conv({2, 2}, {1, 1, 1, 1}, {1, 1}).validate());
    REQUIRE_THROWS_WITH(conv({-1, 1}).validate(), Catch::Contains("strides [-1, 1]"));
    REQUIRE_THROWS_WITH(conv({}, {}, {0, 1}).validate(), Catch::Contains("dilations [0, 1]"));
    REQUIRE_THROWS_WITH(conv({}, {-1, 0, 0, 0}).validate(), Catch::Contains("pads [-1, 0, 0, 0]"));
    REQUIRE_THROWS_AS(conv({1, 1}, {}, {1, 1, 1}).validate(), std::invalid_argument);  // lists disagree on the rank
    REQUIRE_THROWS_AS(conv({}, {1, 1, 1}).validate(), std::invalid_argument);          // odd pads
    REQUIRE_THROWS_WITH(conv({}, {}, {}, 0).validate(), Catch::Contains("group 0"));
    ConvOp bad;
    bad.attrs.autoPad = "SAME";
    REQUIRE_THROWS_WITH(bad.validate(), Catch::Contains("'SAME'"));
    bad.attrs.autoPad = "NOTSET";
    bad.attrs.kernelShape = {3, 0};
    REQUIRE_THROWS_WITH(bad.validate(), Catch::Contains("kernel_shape [3, 0]"));
    bad.attrs.kernelShape = {3, 3};
    bad.attrs.strides = {1};
    REQUIRE_THROWS_WITH(bad.validate(), Catch::Contains("must have 2 values"));
}

TEST_CASE("ConvOp: attributes round-trip and input specs", "[operator][Conv]") {
    ConvOp op;
    op.setAttribute("strides", Ints{2, 2});
    op.setAttribute("group", std::int64_t{4});
    op.setAttribute("auto_pad", std::string("SAME_LOWER"));
    CHECK(op.attrs.strides == Ints{2, 2});
    CHECK(op.attrs.group == 4);
    CHECK(op.getAttribute("auto_pad") == AttrValue(std::string("SAME_LOWER")));
    const AttrList list = op.attributes();
    REQUIRE(list.size() == 6);
    CHECK(list[0].first == "kernel_shape");
    ConvOp copy;
    for (const auto& kv : list) copy.setAttribute(kv.first, kv.second);
    CHECK(copy.sameAttributes(op));
    CHECK(op.nbInputs() == 3);
    CHECK_FALSE(op.isParamInput(0));
    CHECK(op.isParamInput(1));
    CHECK(op.inputSpecs()[2].category == InputCategory::OptionalParam);
    REQUIRE_THROWS_WITH(op.setAttribute("group", 2.5f), Catch::Contains("group"));
}

TEST_CASE("ConvOp: a channel product that wraps does not match", "[operator][Conv]") {
    // w[1] * group = (2^62 + 1) * 4 wraps to 4 = x[1]: compared as w[1] == x[1] / group instead.
    ConvOp op = conv({}, {}, {}, 4);
    const std::size_t p62 = std::size_t(1) << 62;
    REQUIRE_THROWS_WITH(convShape(op, {1, 4, 8, 8}, {4, p62 + 1, 1, 1}), Catch::Contains("input channels"));
    CHECK(convShape(op, {1, 4, 8, 8}, {4, 1, 1, 1}) == Shape{1, 4, 8, 8});
}
