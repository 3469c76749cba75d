#include <catch2/catch.hpp>

#include "fibnlr/operator/Attribute.hpp"

using namespace fibnlr;

TEST_CASE("Attribute: toString", "[operator][Attribute]") {
    CHECK(toString(AttrValue(std::int64_t{-3})) == "-3");
    CHECK(toString(AttrValue(0.25f)) == "0.25");
    CHECK(toString(AttrValue(std::string("SAME"))) == "'SAME'");
    CHECK(toString(AttrValue(std::vector<std::int64_t>{1, 2})) == "[1, 2]");
    CHECK(toString(AttrValue(std::vector<float>{})) == "[]");
}

TEST_CASE("Attribute: assignAttr conversions", "[operator][Attribute]") {
    std::int64_t i = 0;
    float f = 0;
    std::string s;
    std::vector<std::int64_t> is;
    std::vector<float> fs;
    CHECK(assignAttr(i, std::int64_t{4}));
    CHECK(i == 4);
    CHECK_FALSE(assignAttr(i, 1.5f));  // no silent truncation
    CHECK(assignAttr(f, std::int64_t{2}));
    CHECK(f == 2.f);
    CHECK_FALSE(assignAttr(f, std::string("x")));
    CHECK(assignAttr(s, std::string("edge")));
    CHECK_FALSE(assignAttr(s, std::int64_t{1}));
    is = {1};
    CHECK(assignAttr(is, std::vector<float>{}));  // an empty list has no element type
    CHECK(is.empty());
    CHECK_FALSE(assignAttr(is, std::vector<float>{1.f}));
    CHECK(assignAttr(fs, std::vector<std::int64_t>{1, 2}));
    CHECK(fs == std::vector<float>{1.f, 2.f});
}
