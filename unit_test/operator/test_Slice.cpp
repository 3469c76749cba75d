#include <catch2/catch.hpp>
#include <limits>

#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Slice.hpp"

using namespace fibnlr;
using Ints = std::vector<std::int64_t>;

namespace {
SliceOp slice(Ints starts, Ints ends, Ints axes = {}, Ints steps = {}) {
    SliceOp op;
    op.attrs = {std::move(starts), std::move(ends), std::move(axes), std::move(steps)};
    return op;
}
PadOp pad(Ints pads, const std::string& mode = "constant") {
    PadOp op;
    op.attrs.pads = std::move(pads);
    op.attrs.mode = mode;
    return op;
}
constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max(), kMin = std::numeric_limits<std::int64_t>::min();
} // namespace

TEST_CASE("SliceOp: resolve clamps as ONNX", "[operator][Slice]") {
    const Shape x{13, 10};
    CHECK(slice({1, 2}, {3, 8}).inferShapes({x}).at(0) == Shape{2, 6});
    CHECK(slice({-3}, {kMax}, {0}).inferShapes({x}).at(0) == Shape{3, 10});
    CHECK(slice({0}, {10}, {1}, {3}).inferShapes({x}).at(0) == Shape{13, 4});  // 0, 3, 6, 9
    CHECK(slice({5}, {1}, {0}).inferShapes({x}).at(0) == Shape{0, 10});     // empty, not negative
    CHECK(slice({0}, {1}, {1}, {kMax}).inferShapes({x}).at(0) == Shape{13, 1});
    const SliceRange r = slice({-1}, {kMin}, {-1}, {-3}).resolve(x);  // 9, 6, 3, 0
    CHECK(r.outDims == Shape{13, 4});
    CHECK(r.start == Ints{0, 9});
    CHECK(r.step == Ints{1, -3});
    CHECK(slice({100}, {-100}, {0}, {-1}).inferShapes({x}).at(0) == Shape{13, 10});
    CHECK(slice({0}, {-1}, {0}, {-1}).inferShapes({x}).at(0) == Shape{0, 10});
    CHECK(slice({0}, {kMin}, {0}, {-1}).inferShapes({{0, 4}}).at(0) == Shape{0, 4});  // empty axis stays empty
}

TEST_CASE("SliceOp: bad attributes", "[operator][Slice]") {
    const Shape x{13, 10};
    REQUIRE_THROWS_WITH(slice({0}, {1}, {0}, {0}).inferShapes({x}), Catch::Contains("steps must not be 0"));
    REQUIRE_THROWS_WITH(slice({0, 1}, {1}).inferShapes({x}), Catch::Contains("same length"));
    REQUIRE_THROWS_WITH(slice({0, 0}, {1, 1}, {1, -1}).inferShapes({x}), Catch::Contains("repeats axis 1"));
    REQUIRE_THROWS_WITH(slice({0}, {1}, {2}).inferShapes({x}), Catch::Contains("axis 2"));
    REQUIRE_THROWS_AS(slice({0}, {1}, {0}, {1, 1}).inferShapes({x}), std::invalid_argument);
}

TEST_CASE("PadOp: shapes, negative pads crop", "[operator][Slice]") {
    CHECK(pad({0, 1, 2, 3}).inferShapes({{2, 3}}).at(0) == Shape{4, 7});
    CHECK(pad({-1, 0, 0, -2}).inferShapes({{2, 3}}).at(0) == Shape{1, 1});
    CHECK(pad({-2, 5}).inferShapes({{2}}).at(0) == Shape{5});
    CHECK(pad({2, 2}, "reflect").inferShapes({{3}}).at(0) == Shape{7});
    CHECK(pad({3, 0}, "edge").inferShapes({{1}}).at(0) == Shape{4});
    PadOp copy;
    const PadOp p = pad({1, 1}, "edge");
    for (const auto& kv : p.attributes()) copy.setAttribute(kv.first, kv.second);
    CHECK(copy.sameAttributes(p));
}

TEST_CASE("PadOp: bad attributes", "[operator][Slice]") {
    REQUIRE_THROWS_WITH(pad({1, 1}).inferShapes({{2, 3}}), Catch::Contains("pads has 2 values for input [2, 3] (expected 4)"));
    REQUIRE_THROWS_WITH(pad({-3, 1}).inferShapes({{2}}), Catch::Contains("crop axis 0"));
    REQUIRE_THROWS_WITH(pad({3, 0}, "reflect").inferShapes({{3}}), Catch::Contains("reflect pad 3"));
    // reflect is checked against the axis left after cropping
    REQUIRE_THROWS_WITH(pad({2, -2}, "reflect").inferShapes({{4}}), Catch::Contains("size 2 of axis 0"));
    REQUIRE_THROWS_WITH(pad({1, 0}, "edge").inferShapes({{0}}), Catch::Contains("edge pad 1"));
    REQUIRE_THROWS_WITH(makeOperator("Pad", {{"mode", std::string("wrap")}}), Catch::Contains("mode 'wrap'"));
}

TEST_CASE("PadOp and SliceOp: int64 extremes neither wrap nor overflow", "[operator][Slice]") {
    const std::int64_t p62 = std::int64_t(1) << 62;
    // 2 + 2^62 + (2^62 - 3) = 2^63 - 1 fits int64 exactly; one more overflows.
    CHECK(pad({p62, p62 - 3}).inferShapes({{2}}).at(0) == Shape{static_cast<std::size_t>(kMax)});
    REQUIRE_THROWS_WITH(pad({p62, p62 - 2}).inferShapes({{2}}), Catch::Contains("overflows"));
    REQUIRE_THROWS_WITH(pad({kMax, kMax}).inferShapes({{2}}), Catch::Contains("overflows"));
    REQUIRE_THROWS_WITH(pad({kMin, 0}).inferShapes({{2}}), Catch::Contains("crop axis 0"));
    REQUIRE_THROWS_WITH(pad({0, 0}).inferShapes({{std::size_t(1) << 63}}), Catch::Contains("too large"));
    // step = INT64_MIN: -step is not representable; the length is still exact.
    CHECK(slice({kMax}, {kMin}, {0}, {kMin}).inferShapes({{13}}).at(0) == Shape{1});
}
