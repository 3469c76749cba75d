#include <catch2/catch.hpp>

#include "MergeTestUtils.hpp"
#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/recipes/RemoveIdentity.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

TEST_CASE("remove_identity removes Identity and Dropout and reconnects", "[recipes][RemoveIdentity]") {
    std::mt19937 rng(31);
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr a = addConv(g, out(x), "a", 3, {4, {1, 1}}, rng);
    NodePtr i1 = addNode(g, "Identity", "id1", {out(a)});
    NodePtr d = addNode(g, "Dropout", "drop", {out(i1)}, {}, {{"ratio", 0.3f}});
    NodePtr b = addConv(g, out(d), "b", 4, {4, {1, 1}}, rng);
    NodePtr add = addNode(g, "Add", "add", {out(d), out(b)});
    NodePtr i2 = addNode(g, "Identity", "id2", {out(add)});
    g.setOutputs({out(i2)});
    Tensor in = randomTensor({1, 3, 5, 5}, rng);
    Tensor ref = run(g, in);
    auto removed = removeIdentity(g);
    CHECK(removed == std::vector<std::string>{"id1", "drop", "id2"});
    CHECK(countType(g, "Identity") + countType(g, "Dropout") == 0);
    CHECK(b->getParent(0) == a);
    CHECK(add->getParent(0) == a);
    REQUIRE(g.outputs().size() == 1);
    CHECK(g.outputs()[0].node == add);
    CHECK(closeExact(run(g, in), ref));
    const std::size_t v = g.version();
    CHECK(removeIdentity(g).empty());
    CHECK(g.version() == v);
}

TEST_CASE("remove_identity leaves other types and constant-fed identities", "[recipes][RemoveIdentity]") {
    std::mt19937 rng(32);
    GraphView g;
    NodePtr x = addInput(g, "x");
    NodePtr r = addNode(g, "ReLU", "relu", {out(x)});
    NodePtr c = Node::create(makeOperator("Identity"), "const_id");
    Node::link(makeProducer(randomTensor({1, 3, 2, 2}, rng), "k"), 0, c, 0);
    g.add(c);
    NodePtr add = addNode(g, "Add", "add", {out(r), out(c)});
    g.setOutputs({out(add)});
    CHECK(removeIdentity(g).empty());
    CHECK(countType(g, "ReLU") == 1);
    CHECK(countType(g, "Identity") == 1);
}
