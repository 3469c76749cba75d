#include <catch2/catch.hpp>
#include <limits>

#include "fibnlr/operator/Window.hpp"

using namespace fibnlr;
using Ints = std::vector<std::int64_t>;

TEST_CASE("resolveWindow: explicit pads, strides, dilations", "[operator][Window]") {
    const Window w = resolveWindow({13, 10}, {3, 2}, {2, 1}, {1, 0, 1, 1}, {1, 2}, "NOTSET");
    CHECK(w.kernel == Shape{3, 2});
    CHECK(w.strides == Shape{2, 1});
    CHECK(w.dilations == Shape{1, 2});
    CHECK(w.padBegin == Shape{1, 0});
    CHECK(w.padEnd == Shape{1, 1});
    CHECK(w.inDims == Shape{13, 10});
    CHECK(w.outDims == Shape{7, 9});  // (13 + 2 − 3) / 2 + 1, (10 + 1 − 3) / 1 + 1
    const Window d = resolveWindow({5}, {5}, {}, {}, {}, "NOTSET");
    CHECK(d.outDims == Shape{1});
    CHECK(d.strides == Shape{1});
}

TEST_CASE("resolveWindow: ceil mode", "[operator][Window]") {
    CHECK(resolveWindow({6}, {3}, {2}, {}, {}, "NOTSET", true).outDims == Shape{3});
    CHECK(resolveWindow({6}, {3}, {2}, {}, {}, "NOTSET", false).outDims == Shape{2});
    // the last window would start in the end padding: dropped (ONNX, PyTorch)
    CHECK(resolveWindow({5}, {2}, {2}, {0, 1}, {}, "NOTSET", true).outDims == Shape{3});
    CHECK(resolveWindow({4}, {2}, {3}, {1, 1}, {}, "NOTSET", true).outDims == Shape{2});
}

TEST_CASE("resolveWindow: auto_pad", "[operator][Window]") {
    // in 7, stride 2, kernel 4: out 4, total pad (4 − 1)·2 + 4 − 7 = 3
    const Window up = resolveWindow({7}, {4}, {2}, {}, {}, "SAME_UPPER");
    CHECK(up.outDims == Shape{4});
    CHECK(up.padBegin == Shape{1});
    CHECK(up.padEnd == Shape{2});
    const Window lo = resolveWindow({7}, {4}, {2}, {}, {}, "SAME_LOWER");
    CHECK(lo.padBegin == Shape{2});
    CHECK(lo.padEnd == Shape{1});
    const Window valid = resolveWindow({7}, {4}, {2}, {3, 3}, {}, "VALID");
    CHECK(valid.padBegin == Shape{0});
    CHECK(valid.outDims == Shape{2});
    CHECK(resolveWindow({8}, {1}, {3}, {}, {}, "SAME_UPPER").padEnd == Shape{0});
}

TEST_CASE("resolveWindow / validateWindowAttrs: errors", "[operator][Window]") {
    REQUIRE_THROWS_WITH(resolveWindow({4}, {5}, {}, {}, {}, "NOTSET"),
                        Catch::Contains("window of extent 5 (kernel 5, dilation 1) does not fit spatial size 4"));
    REQUIRE_THROWS_WITH(resolveWindow({4, 4}, {3}, {}, {}, {}, "NOTSET"), Catch::Contains("kernel_shape [3]"));
    REQUIRE_THROWS_WITH(validateWindowAttrs(2, {3, 3}, {1, 0}, {}, {}, "NOTSET"), Catch::Contains("strides [1, 0]"));
    REQUIRE_THROWS_WITH(validateWindowAttrs(1, {3}, {}, {1}, {}, "NOTSET"), Catch::Contains("pads [1] must have 2 values"));
    REQUIRE_THROWS_WITH(validateWindowAttrs(1, {3}, {}, {}, {}, "same"), Catch::Contains("auto_pad 'same'"));
    // rank not known yet: the lists must agree with each other
    CHECK_NOTHROW(validateWindowAttrs(0, {}, {2, 2}, {1, 1, 1, 1}, {1, 1}, "NOTSET"));
    REQUIRE_THROWS_AS(validateWindowAttrs(0, {}, {2, 2}, {1, 1}, {}, "NOTSET"), std::invalid_argument);
    REQUIRE_THROWS_WITH(validateWindowAttrs(0, {}, {}, {}, {-1}, "NOTSET"), Catch::Contains("dilations [-1]"));
}

TEST_CASE("resolveWindow: sizes near 2^63 are refused, not wrapped", "[operator][Window]") {
    const std::int64_t big = std::numeric_limits<std::int64_t>::max(), p62 = std::int64_t(1) << 62;
    // (k - 1) * d = 2^62 * 4 wraps to 0: an extent of 1 that a kernel would loop 2^62 times over.
    REQUIRE_THROWS_WITH(resolveWindow({8}, {p62 + 1}, {}, {}, {4}, "NOTSET"), Catch::Contains("overflows"));
    // in + pads = 16 + 2 (2^63 - 1) wraps to 14.
    REQUIRE_THROWS_WITH(resolveWindow({16}, {3}, {}, {big, big}, {}, "NOTSET"), Catch::Contains("padded size overflows"));
    // SAME padding with a huge stride: (out - 1) * s stays exact.
    CHECK(resolveWindow({7}, {3}, {big}, {}, {}, "SAME_UPPER").outDims == Shape{1});
    // ceil mode with a huge stride.
    CHECK(resolveWindow({7}, {3}, {big}, {}, {}, "NOTSET", true).outDims == Shape{1});
    // No overflow, but the padded plane is larger than any tensor may be.
    REQUIRE_THROWS_WITH(resolveWindow({8, 8}, {1, 1}, {}, {p62, 0, 0, 0}, {}, "NOTSET"),
                        Catch::Contains("padded spatial size"));
    // Large but sane pads still resolve.
    CHECK(resolveWindow({8}, {3}, {}, {1000, 1000}, {}, "NOTSET").outDims == Shape{2006});
}
