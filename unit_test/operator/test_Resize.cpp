#include <catch2/catch.hpp>

#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Resize.hpp"

using namespace fibnlr;

TEST_CASE("ResizeOp: shapes from scales (floor) or sizes", "[operator][Resize]") {
    const OperatorPtr up = makeOperator("Resize", {{"scales", std::vector<float>{1, 1, 2, 2}}});
    CHECK(up->inferShapes({{2, 3, 5, 7}}).at(0) == Shape{2, 3, 10, 14});
    const OperatorPtr down = makeOperator("Resize", {{"scales", std::vector<float>{1, 1, 0.5f, 0.3f}}});
    CHECK(down->inferShapes({{2, 3, 5, 7}}).at(0) == Shape{2, 3, 2, 2});  // floor(2.5), floor(2.1)
    const OperatorPtr sized = makeOperator("Resize", {{"sizes", std::vector<std::int64_t>{2, 3, 9, 4}}});
    CHECK(sized->inferShapes({{2, 3, 5, 7}}).at(0) == Shape{2, 3, 9, 4});
}

TEST_CASE("ResizeOp: bad attributes are refused with the value and what is expected", "[operator][Resize]") {
    REQUIRE_THROWS_WITH(makeOperator("Resize", {{"mode", std::string("cubic")}, {"scales", std::vector<float>{2}}}),
                        Catch::Contains("mode 'cubic'") && Catch::Contains("'nearest', 'linear'"));
    REQUIRE_THROWS_WITH(
        makeOperator("Resize", {{"coordinate_transformation_mode", std::string("tf_crop_and_resize")}, {"scales", std::vector<float>{2}}}),
        Catch::Contains("tf_crop_and_resize"));
    REQUIRE_THROWS_WITH(makeOperator("Resize", {{"scales", std::vector<float>{1, 0}}}), Catch::Contains("scale 0"));
    REQUIRE_THROWS_WITH(makeOperator("Resize")->inferShapes({{1, 3}}), Catch::Contains("neither scales nor sizes"));
    REQUIRE_THROWS_WITH(makeOperator("Resize", {{"scales", std::vector<float>{2}}, {"sizes", std::vector<std::int64_t>{2}}}),
                        Catch::Contains("both given"));
    const OperatorPtr op = makeOperator("Resize", {{"scales", std::vector<float>{1, 2}}});
    REQUIRE_THROWS_WITH(op->inferShapes({{1, 2, 3}}), Catch::Contains("2 scales for an input of rank 3"));
    const OperatorPtr tiny = makeOperator("Resize", {{"scales", std::vector<float>{1, 0.1f}}});
    REQUIRE_THROWS_WITH(tiny->inferShapes({{1, 3}}), Catch::Contains("axis 1 of size 3 resizes to 0"));
}
