#include <catch2/catch.hpp>

#include "fibnlr/operator/Concat.hpp"
#include "fibnlr/operator/Conv.hpp"
#include "fibnlr/operator/Gemm.hpp"

using namespace fibnlr;

TEST_CASE("Operator: inputs by name and category", "[operator][Operator]") {
    ConvOp op;
    CHECK(op.inputIndex("W") == 1);
    REQUIRE_THROWS_WITH(op.inputIndex("Z"), Catch::Contains("Conv has no input named 'Z'"));
    CHECK_FALSE(op.isParamInput(0));
    CHECK(op.isParamInput(2));
    CHECK(op.nbOutputs() == 1);
    CHECK_FALSE(op.isVariadic());
    REQUIRE_THROWS_AS(op.setNbInputs(2), std::invalid_argument);
}

TEST_CASE("Operator: attribute access and errors", "[operator][Operator]") {
    GemmOp op;
    CHECK(op.hasAttribute("alpha"));
    CHECK_FALSE(op.hasAttribute("gamma"));
    CHECK(op.getAttribute("transB") == AttrValue(std::int64_t{0}));
    REQUIRE_THROWS_WITH(op.getAttribute("gamma"), Catch::Contains("Gemm has no attribute 'gamma'"));
    REQUIRE_THROWS_WITH(op.setAttribute("gamma", 1.f), Catch::Contains("Gemm has no attribute 'gamma'"));
    REQUIRE_THROWS_WITH(op.setAttribute("alpha", std::string("big")), Catch::Contains("'alpha' cannot take the value 'big'"));
    op.setAttribute("alpha", std::int64_t{2});  // an int where a float is expected converts
    CHECK(op.attrs.alpha == 2.f);
    CHECK(op.toString() == "Gemm(alpha=2, beta=1, transA=0, transB=0)");
}

TEST_CASE("Operator: clone copies attributes, sameAttributes compares them", "[operator][Operator]") {
    ConvOp op;
    op.attrs.strides = {2, 2};
    const OperatorPtr c = op.clone();
    CHECK(c->type() == "Conv");
    CHECK(c->sameAttributes(op));
    static_cast<ConvOp&>(*c).attrs.group = 2;
    CHECK_FALSE(c->sameAttributes(op));
    CHECK(op.attrs.group == 1);
    CHECK_FALSE(GemmOp().sameAttributes(MatMulOp()));
    const OperatorPtr cat = ConcatOp(3).clone();
    CHECK(cat->nbInputs() == 3);
}
