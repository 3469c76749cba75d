#include <catch2/catch.hpp>

#include "fibnlr/graph/Annotations.hpp"

using namespace fibnlr;

namespace {
struct Counter {
    int value = 0;
};
} // namespace

TEST_CASE("Annotations are typed and references stay live", "[graph][Annotations]") {
    Annotations a;
    Counter& c = a.set("test.counter", Counter{1});
    std::shared_ptr<Counter> held = a.tryGetShared<Counter>("test.counter");
    a.set("test.counter", Counter{5});  // same type: assigned in place
    REQUIRE(c.value == 5);
    REQUIRE(held->value == 5);
    REQUIRE(a.get<Counter>("test.counter").value == 5);
    REQUIRE(a.tryGet<double>("test.counter") == nullptr);
    REQUIRE_THROWS_WITH(a.get<double>("test.counter"), Catch::Contains("another type"));
    REQUIRE_THROWS_WITH(a.get<double>("missing"), Catch::Contains("not set"));
}

TEST_CASE("Copied annotations hold copies, not the same objects", "[graph][Annotations]") {
    Annotations a;
    a.set("x", 1.5);
    Annotations b = a;
    b.get<double>("x") = 2.5;
    REQUIRE(a.get<double>("x") == 1.5);
    REQUIRE(b.keys() == std::vector<std::string>{"x"});
    REQUIRE(b.erase("x"));
    REQUIRE_FALSE(b.has("x"));
}
