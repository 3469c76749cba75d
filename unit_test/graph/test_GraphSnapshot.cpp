#include <catch2/catch.hpp>

#include "../recipes/FIBNLRTestGraphs.hpp"
#include "fibnlr/graph/GraphSnapshot.hpp"
#include "fibnlr/operator/Activation.hpp"
#include "fibnlr/operator/Producer.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

TEST_CASE("GraphSnapshot::restore undoes structural, annotation, attribute and parameter changes",
          "[graph][snapshot]") {
    ResidualGraph r;
    compile(r.g, {"cpu", DataType::Float32, {{1, 4, 5, 5}}});
    const Tensor x = randomTensor({1, 4, 5, 5}, 3);
    const Tensor before = forward(r.g, {x})[0];
    const auto nodes = r.g.getNodes();
    r.relu1->annotations().set<double>("note", 1.5);
    auto& w = static_cast<ProducerOp&>(r.conv1->producer(1)->getOperator());
    const Tensor weight = w.value();

    GraphSnapshot snap(r.g);
    r.g.replace({r.relu1}, {Node::create(std::make_shared<IdentityOp>(), "relu1")});
    r.g.remove(r.relu2);
    r.conv2->setName("renamed");
    r.conv2->getOperator().setAttribute("pads", std::vector<std::int64_t>{0, 0, 0, 0});
    w.setValue(randomTensor(weight.dims(), 99));
    r.relu1->annotations().erase("note");
    r.x->annotations().set<double>("new", 2.0);
    snap.restore();

    CHECK(r.g.getNodes() == nodes);
    CHECK(r.relu1->getParent(0) == r.conv1);
    CHECK(r.conv2->getParent(0) == r.relu1);
    CHECK(r.relu2->getParent(0) == r.add);
    CHECK(r.conv2->name() == "conv2");
    CHECK(r.relu1->annotations().get<double>("note") == 1.5);
    CHECK_FALSE(r.x->annotations().has("new"));
    CHECK(w.value().sharesStorageWith(weight));
    const Tensor after = forward(r.g, {x})[0];
    CHECK(after.toVector<float>() == before.toVector<float>());
}

TEST_CASE("GraphSnapshot::restore leaves the name index matching the restored nodes", "[graph][snapshot]") {
    ResidualGraph r;
    GraphSnapshot snap(r.g);
    // No rename: the graph's name index stays in use across the rewrite.
    r.g.replace({r.relu1}, {Node::create(std::make_shared<IdentityOp>(), "relu1")});
    r.g.add(Node::create(std::make_shared<IdentityOp>(), "added_then_undone"));
    snap.restore();

    CHECK(r.g.getNode("relu1") == r.relu1);
    CHECK(r.g.getNode("added_then_undone") == nullptr);
    // The names the undone rewrite used are free again, the restored ones are taken.
    CHECK_NOTHROW(r.g.add(Node::create(std::make_shared<IdentityOp>(), "added_then_undone")));
    CHECK_THROWS_AS(r.g.add(Node::create(std::make_shared<IdentityOp>(), "relu2")), std::invalid_argument);
}
