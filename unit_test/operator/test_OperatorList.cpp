#include <algorithm>
#include <catch2/catch.hpp>

#include "fibnlr/operator/OperatorList.hpp"

using namespace fibnlr;
using Ints = std::vector<std::int64_t>;

TEST_CASE("makeOperator: every listed type", "[operator][OperatorList]") {
    const std::vector<std::string>& types = operatorTypes();
    CHECK(std::find(types.begin(), types.end(), "Conv") != types.end());
    CHECK(std::find(types.begin(), types.end(), "BatchNormalization") != types.end());
    for (const std::string& type : types) {
        INFO(type);
        const OperatorPtr op = makeOperator(type);
        REQUIRE(op);
        CHECK(op->type() == type);
        // every attribute a fresh operator reports can be set back
        for (const auto& kv : op->attributes()) CHECK_NOTHROW(op->setAttribute(kv.first, kv.second));
    }
}

TEST_CASE("makeOperator: attributes and input count", "[operator][OperatorList]") {
    const OperatorPtr conv = makeOperator("Conv", {{"strides", Ints{2, 2}}, {"group", std::int64_t{2}}});
    CHECK(conv->getAttribute("strides") == AttrValue(Ints{2, 2}));
    CHECK(conv->getAttribute("group") == AttrValue(std::int64_t{2}));
    CHECK(makeOperator("Sum", {}, 5)->nbInputs() == 5);
    CHECK(makeOperator("Concat", {{"axis", std::int64_t{0}}}, 3)->nbInputs() == 3);
}

TEST_CASE("makeOperator: errors", "[operator][OperatorList]") {
    REQUIRE_THROWS_WITH(makeOperator("Convolution"), Catch::Contains("unknown operator type 'Convolution'") &&
                                                         Catch::Contains("Conv"));
    REQUIRE_THROWS_WITH(makeOperator("ReLU", {{"alpha", 0.1f}}), Catch::Contains("ReLU has no attribute 'alpha'"));
    REQUIRE_THROWS_WITH(makeOperator("Conv", {{"group", 1.5f}}), Catch::Contains("cannot take the value 1.5"));
    REQUIRE_THROWS_WITH(makeOperator("Conv", {{"strides", Ints{-1, 1}}}), Catch::Contains("strides [-1, 1]"));
    REQUIRE_THROWS_AS(makeOperator("Conv", {}, 4), std::invalid_argument);  // fixed number of inputs
}
