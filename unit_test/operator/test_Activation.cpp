#include <catch2/catch.hpp>
#include <cmath>

#include "fibnlr/operator/Activation.hpp"
#include "fibnlr/operator/OperatorList.hpp"

using namespace fibnlr;

TEST_CASE("Unary operators keep the input shape", "[operator][Activation]") {
    for (const std::string& type : activationTypes()) {
        INFO(type);
        const OperatorPtr op = makeOperator(type);
        CHECK(op->type() == type);
        CHECK(op->nbInputs() == 1);
        CHECK(op->inferShapes({{2, 13, 5}}).at(0) == Shape{2, 13, 5});
        CHECK(op->inferShapes({{}}).at(0) == Shape{});
    }
}

TEST_CASE("Unary operators: attribute defaults and checks", "[operator][Activation]") {
    CHECK(LeakyReLUOp().attrs.alpha == 0.01f);
    CHECK(GELUOp().attrs.approximate == "none");
    CHECK(std::isinf(ClipOp().attrs.min));
    CHECK(HardSigmoidOp().attrs.alpha == 0.2f);
    REQUIRE_THROWS_WITH(makeOperator("LeakyReLU", {{"alpha", std::nanf("")}}), Catch::Contains("alpha"));
    REQUIRE_THROWS_WITH(makeOperator("GELU", {{"approximate", std::string("erf")}}), Catch::Contains("'erf'"));
    REQUIRE_THROWS_WITH(makeOperator("Clip", {{"min", 6.f}, {"max", 0.f}}), Catch::Contains("min 6"));
    REQUIRE_THROWS_WITH(makeOperator("Dropout", {{"ratio", 1.f}}), Catch::Contains("ratio 1"));
    REQUIRE_THROWS_AS(makeOperator("HardSigmoid", {{"beta", INFINITY}}), std::invalid_argument);
    REQUIRE_THROWS_WITH(makeOperator("CELU", {{"alpha", 0.f}}), Catch::Contains("alpha 0"));
    REQUIRE_THROWS_WITH(makeOperator("ELU", {{"alpha", INFINITY}}), Catch::Contains("alpha inf"));
    REQUIRE_THROWS_WITH(makeOperator("SELU", {{"gamma", NAN}}), Catch::Contains("gamma"));
    CHECK(SELUOp().attrs.alpha == Approx(1.6732632));
    CHECK(SELUOp().attrs.gamma == Approx(1.0507010));
    // validate() runs in setAttribute (which then keeps the old value) and in inferShapes
    ClipOp clip;
    clip.setAttribute("min", std::int64_t{3});
    REQUIRE_THROWS_AS(clip.setAttribute("max", std::int64_t{2}), std::invalid_argument);
    CHECK(std::isinf(clip.attrs.max));
    clip.attrs.max = 2.f;
    REQUIRE_THROWS_AS(clip.inferShapes({{4}}), std::invalid_argument);
}

TEST_CASE("Unary operators: attributes round-trip", "[operator][Activation]") {
    ClipOp a;
    a.attrs.min = 0.f;
    a.attrs.max = 6.f;
    ClipOp b;
    for (const auto& kv : a.attributes()) b.setAttribute(kv.first, kv.second);
    CHECK(b.sameAttributes(a));
    CHECK(b.toString() == "Clip(min=0, max=6)");
    CHECK_FALSE(ReLUOp().hasAttribute("alpha"));
    CHECK(ReLUOp().attributes().empty());
}

TEST_CASE("Every activation says what it computes, and other operators are not activations", "[operator][Activation]") {
    Activation act;
    for (const std::string& type : activationTypes()) {
        INFO(type);
        REQUIRE(activationOf(*makeOperator(type), act));
        CHECK(toString(act).rfind(toString(act.kind), 0) == 0);
    }
    REQUIRE(activationOf(*makeOperator("ReLU6"), act));
    CHECK((act.kind == ActKind::Clip && act.a == 0.f && act.b == 6.f));
    REQUIRE(activationOf(*makeOperator("GELU", {{"approximate", std::string("tanh")}}), act));
    CHECK(act.kind == ActKind::GELUTanh);
    REQUIRE(activationOf(*makeOperator("Dropout"), act));
    CHECK(act.kind == ActKind::None);
    CHECK_FALSE(activationOf(*makeOperator("Add"), act));
    CHECK_FALSE(activationOf(*makeOperator("Conv"), act));
}

TEST_CASE("PReLU: the slope must broadcast to the input, never the other way", "[operator][PReLU]") {
    const OperatorPtr op = makeOperator("PReLU");
    CHECK(op->nbInputs() == 2);
    CHECK(op->inferShapes({{2, 3, 4, 4}, {3, 1, 1}}).at(0) == Shape{2, 3, 4, 4});
    CHECK(op->inferShapes({{2, 3, 4, 4}, {1}}).at(0) == Shape{2, 3, 4, 4});
    REQUIRE_THROWS_WITH(op->inferShapes({{2, 3, 4, 4}, {4, 1, 1}}), Catch::Contains("slope [4, 1, 1] does not broadcast"));
    REQUIRE_THROWS_WITH(op->inferShapes({{3, 4}, {2, 3, 4}}), Catch::Contains("does not broadcast to the input [3, 4]"));
}
