#include <catch2/catch.hpp>

#include "fibnlr/operator/Elementwise.hpp"
#include "fibnlr/operator/OperatorList.hpp"

using namespace fibnlr;

TEST_CASE("Binary operators: numpy broadcasting", "[operator][Elementwise]") {
    for (const char* type : {"Add", "Sub", "Mul", "Div"}) {
        INFO(type);
        const OperatorPtr op = makeOperator(type);
        CHECK(op->nbInputs() == 2);
        CHECK(op->inferShapes({{2, 13, 5, 5}, {13, 1, 1}}).at(0) == Shape{2, 13, 5, 5});
        CHECK(op->inferShapes({{2, 1}, {1, 3}}).at(0) == Shape{2, 3});
        CHECK(op->inferShapes({{}, {4}}).at(0) == Shape{4});
        REQUIRE_THROWS_WITH(op->inferShapes({{2, 3}, {4, 3}}), Catch::Contains("[2, 3] and [4, 3] do not broadcast"));
    }
}

TEST_CASE("SumOp: variadic", "[operator][Elementwise]") {
    SumOp op(3);
    CHECK(op.nbInputs() == 3);
    CHECK(op.inputSpecs()[1].name == "data_1");
    CHECK(op.inferShapes({{2, 1, 3}, {4, 1}, {3}}).at(0) == Shape{2, 4, 3});
    REQUIRE_THROWS_AS(op.inferShapes({{2}, {3}, {1}}), std::invalid_argument);
    REQUIRE_THROWS_AS(op.setNbInputs(0), std::invalid_argument);
    REQUIRE_THROWS_WITH(AddOp().setNbInputs(3), Catch::Contains("Add has a fixed number of inputs"));
}

TEST_CASE("numberedDataInputs", "[operator][Elementwise]") {
    const std::vector<InputSpec> specs = numberedDataInputs("x", 2);
    REQUIRE(specs.size() == 2);
    CHECK(specs[1].name == "x1");
    CHECK(specs[1].category == InputCategory::Data);
}
