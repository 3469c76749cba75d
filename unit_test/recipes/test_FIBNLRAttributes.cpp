#include <catch2/catch.hpp>

#include <cfloat>

#include "fibnlr/operator/Activation.hpp"
#include "fibnlr/recipes/FIBNLRAttributes.hpp"

using namespace fibnlr;

TEST_CASE("NPR value is (neg + eps) / (pos + eps), 1.0 when empty", "[recipes][attributes]") {
    NPR empty;
    CHECK(empty.value() == 1.0);
    NPR n;
    n.add(3.0, 1.0);
    n.add(1.0, 1.0);
    CHECK(n.neg == 4.0);
    CHECK(n.pos == 2.0);
    CHECK(n.value() == Approx((4.0 + DBL_EPSILON) / (2.0 + DBL_EPSILON)));
    NPR dead;
    dead.add(2.0, 0.0);
    CHECK(dead.value() == Approx(2.0 / DBL_EPSILON));
}

TEST_CASE("attribute equality, ordering and repr", "[recipes][attributes]") {
    NPR a, b;
    a.add(1.0, 4.0);  // 0.25
    b.add(1.0, 2.0);  // 0.5
    CHECK(a < b);
    CHECK_FALSE(b < a);
    CHECK(a != b);
    NPR a2;
    a2.add(1.0, 4.0);
    CHECK(a == a2);
    CHECK(NNPR{0.1} < NNPR{0.2});
    CHECK(NNPR{0.1} == NNPR{0.1});
    CHECK(Group{1} < Group{4});
    CHECK(Group{3} == Group{3});
    CHECK(a.repr().find("NPR(neg=1") == 0);
    CHECK(NNPR{0.5}.repr() == "NNPR(0.5)");
    CHECK(Group{16}.repr() == "Group(16)");
    ActivityTracker t;
    const std::uint8_t alive[3] = {1, 0, 0};
    t.add(alive, 3);
    CHECK(t.repr() == "ActivityTracker(dead=2/3)");
}

TEST_CASE("ActivityTracker marks channels alive and counts the dead", "[recipes][attributes]") {
    ActivityTracker t;
    CHECK(t.countDeadNeurons() == 0);
    const std::uint8_t a1[4] = {0, 1, 0, 0};
    const std::uint8_t a2[4] = {0, 0, 0, 1};
    t.add(a1, 4);
    t.add(a2, 4);
    CHECK(t.neurons == std::vector<bool>{true, false, true, false});
    CHECK(t.isDead(0));
    CHECK_FALSE(t.isDead(1));
    CHECK(t.countDeadNeurons() == 2);
    CHECK_THROWS_AS(t.add(a1, 3), std::invalid_argument);
}

TEST_CASE("typed helpers add/set/has/get/tryGet use namespaced keys and live references", "[recipes][attributes]") {
    NodePtr n = Node::create(std::make_shared<ReLUOp>(), "r");
    CHECK_FALSE(has<NPR>(*n));
    CHECK(tryGet<NPR>(*n) == nullptr);
    CHECK_THROWS_WITH(get<NPR>(*n), Catch::Contains("'r'") && Catch::Contains("fibnlr.npr"));
    NPR& ref = add<NPR>(*n);
    CHECK(has<NPR>(*n));
    CHECK(n->annotations().has("fibnlr.npr"));
    ref.add(1.0, 2.0);
    CHECK(get<NPR>(*n).pos == 2.0);  // the stored object itself
    set<Group>(*n, Group{64});
    CHECK(n->annotations().has("fibnlr.group"));
    Group* g = tryGet<Group>(*n);
    REQUIRE(g != nullptr);
    set<Group>(*n, Group{16});  // set assigns in place: old references see it
    CHECK(g->id == 16);
    set<NNPR>(*n, NNPR{0.3});
    add<ActivityTracker>(*n);
    CHECK(n->annotations().has("fibnlr.nnpr"));
    CHECK(n->annotations().has("fibnlr.activity"));
}
