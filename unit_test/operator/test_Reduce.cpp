#include <catch2/catch.hpp>

#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Reduce.hpp"

using namespace fibnlr;

TEST_CASE("ReduceMeanOp: shapes", "[operator][ReduceMean]") {
    ReduceMeanOp op;
    CHECK(op.inferShapes({{2, 13, 5}}).at(0) == Shape{1, 1, 1});
    op.attrs.axes = {-1, 1};
    CHECK(op.inferShapes({{2, 13, 5}}).at(0) == Shape{2, 1, 1});
    CHECK(op.reducedAxes(3) == std::vector<bool>{false, true, true});
    op.attrs.keepdims = 0;
    CHECK(op.inferShapes({{2, 13, 5}}).at(0) == Shape{2});
    op.attrs.axes.clear();
    CHECK(op.inferShapes({{2, 13, 5}}).at(0) == Shape{});
    op.attrs.axes = {3};
    REQUIRE_THROWS_WITH(op.inferShapes({{2, 13, 5}}), Catch::Contains("ReduceMean axis 3 is out of range for rank 3"));
}

TEST_CASE("Every reduction: registered, same shape rule, its kind", "[operator][Reduce]") {
    const std::vector<std::pair<std::string, ReduceKind>> want{
        {"ReduceMean", ReduceKind::Mean}, {"ReduceMax", ReduceKind::Max}, {"ReduceMin", ReduceKind::Min}, {"ReduceSum", ReduceKind::Sum}};
    for (const auto& [type, kind] : want) {
        INFO(type);
        const OperatorPtr op = makeOperator(type, {{"axes", std::vector<std::int64_t>{2}}, {"keepdims", std::int64_t(0)}});
        CHECK(op->inferShapes({{2, 13, 5}}).at(0) == Shape{2, 13});
        const auto* r = dynamic_cast<const ReduceOperator*>(op.get());
        REQUIRE(r);
        CHECK(r->reduceKind() == kind);
        REQUIRE_THROWS_WITH(makeOperator(type, {{"axes", std::vector<std::int64_t>{-4}}})->inferShapes({{2, 13, 5}}),
                            Catch::Contains(type + " axis -4 is out of range"));
    }
}
