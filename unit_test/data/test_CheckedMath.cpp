#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "fibnlr/data/CheckedMath.hpp"
#include "fibnlr/data/Tensor.hpp"

using namespace fibnlr;

namespace {
constexpr std::size_t kSizeMax = std::numeric_limits<std::size_t>::max();
constexpr std::size_t k2p62 = std::size_t(1) << 62;

/// Restores the memory limit when a test changes it.
struct LimitGuard {
    std::size_t saved = memoryLimit();
    ~LimitGuard() { setMemoryLimit(saved); }
};
} // namespace

TEST_CASE("checkedMul and checkedAdd return exact results or throw", "[data][CheckedMath]") {
    CHECK(checkedMul(k2p62, 3, "x") == 3 * k2p62);
    CHECK(checkedMul(0, kSizeMax, "x") == 0);
    CHECK(checkedAdd(kSizeMax - 1, 1, "x") == kSizeMax);
    REQUIRE_THROWS_WITH(checkedMul(k2p62, 4, "window extent"),
                        Catch::Contains("window extent overflows") && Catch::Contains("4611686018427387904 * 4"));
    REQUIRE_THROWS_AS(checkedAdd(kSizeMax, 1, "x"), std::invalid_argument);
    const std::int64_t big = std::numeric_limits<std::int64_t>::max();
    CHECK(checkedAdd64(big, -big, "x") == 0);
    REQUIRE_THROWS_AS(checkedAdd64(big, 1, "x"), std::invalid_argument);
    REQUIRE_THROWS_AS(checkedAdd64(std::numeric_limits<std::int64_t>::min(), -1, "x"), std::invalid_argument);
}

TEST_CASE("checkedProduct and numElements refuse products that wrap", "[data][CheckedMath]") {
    CHECK(checkedProduct({}, "x") == 1);
    CHECK(checkedProduct({k2p62, 2}, "x") == 2 * k2p62);
    // (2^62 + 192) * 4 = 2^64 + 768 wrapped to 768, the size of a small real tensor.
    REQUIRE_THROWS_WITH(numElements({k2p62 + 192, 4}), Catch::Contains("overflows"));
    REQUIRE_THROWS_AS(checkedProduct({std::size_t(1) << 32, std::size_t(1) << 32}, "x"), std::invalid_argument);
    CHECK(numElements({0, kSizeMax, kSizeMax}) == 0);  // 0 first: every partial product is 0
}

TEST_CASE("checkedTensorBytes bounds elements and the memory limit", "[data][CheckedMath]") {
    LimitGuard guard;
    CHECK(checkedTensorBytes({2, 3}, 4, "t") == 24);
    CHECK(checkedTensorBytes({0, kSizeMax}, 4, "t") == 0);
    REQUIRE_THROWS_WITH(checkedTensorBytes({std::size_t(1) << 31}, 4, "node 'n'"),
                        Catch::Contains("node 'n'") && Catch::Contains("2147483648 elements"));
    REQUIRE_THROWS_WITH(checkedTensorBytes({k2p62, 8, 1}, 4, "node 'n'"), Catch::Contains("more than 2^64"));
    setMemoryLimit(100);
    CHECK(memoryLimit() == 100);
    CHECK(checkedTensorBytes({25}, 4, "t") == 100);
    REQUIRE_THROWS_WITH(checkedTensorBytes({26}, 4, "node 'n'"),
                        Catch::Contains("node 'n'") && Catch::Contains("[26] needs 104 bytes") &&
                            Catch::Contains("memory limit of 100"));
    REQUIRE_THROWS_AS(Tensor({26}), std::invalid_argument);
    Tensor t({25});
    REQUIRE_THROWS_AS(t.resize({5, 6}), std::invalid_argument);
    CHECK(t.dims() == Shape{25});  // unchanged on error
    REQUIRE_THROWS_AS(setMemoryLimit(0), std::invalid_argument);
}
