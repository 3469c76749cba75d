#include <catch2/catch.hpp>

#include "GraphTestUtils.hpp"

#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

using namespace fibnlr;
using fibnlr::test::filled;

namespace {
/// x -> conv -> relu -> add(relu, x) -> output: a residual block in miniature.
struct Residual {
    GraphView g{"residual"};
    NodePtr x, conv, relu, add;
    Residual() {
        x = addInput(g, "x");
        conv = addNode(g, "Conv", "conv", {out(x)}, {{"W", filled({2, 2, 1, 1}, -1.f, 0.7f)}, {"B", filled({2}, 0.1f, 0.f)}});
        relu = addNode(g, "ReLU", "relu", {out(conv)});
        add = addNode(g, "Add", "add", {out(relu), out(x)});
        g.setOutputs({out(add)});
    }
    std::vector<float> run() {
        compile(g, CompileOptions{"cpu", DataType::Float32, {{1, 2, 2, 2}}});
        return forward(g, {filled({1, 2, 2, 2}, -2.f, 0.5f)})[0].toVector<float>();
    }
};

std::vector<std::string> names(const std::vector<NodePtr>& nodes) {
    std::vector<std::string> out;
    for (const auto& n : nodes) out.push_back(n->name());
    return out;
}
} // namespace

TEST_CASE("GraphView orders nodes topologically and finds them", "[graph][GraphView]") {
    Residual r;
    auto order = names(r.g.getNodes());
    auto pos = [&](const std::string& n) { return std::find(order.begin(), order.end(), n) - order.begin(); };
    REQUIRE(order.size() == 6);  // x, conv, conv_W, conv_B, relu, add
    REQUIRE(pos("conv_W") < pos("conv"));
    REQUIRE(pos("x") < pos("conv"));
    REQUIRE(pos("conv") < pos("relu"));
    REQUIRE(pos("relu") < pos("add"));
    REQUIRE(r.g.getNode("relu") == r.relu);
    REQUIRE(r.g.getNode("nope") == nullptr);
    REQUIRE(r.g.getNodesByType("Producer").size() == 2);
    REQUIRE(r.relu->getParents() == std::vector<NodePtr>{r.conv});
    REQUIRE(r.x->getChildren() == std::vector<NodePtr>{r.conv, r.add});
    REQUIRE(r.conv->producer(1)->name() == "conv_W");
}

TEST_CASE("GraphView rejects duplicate names and reports cycles", "[graph][GraphView]") {
    Residual r;
    auto dup = Node::create(makeOperator("ReLU"), "relu");
    REQUIRE_THROWS_WITH(r.g.add(dup), Catch::Contains("'relu' already exists"));
    // Close a cycle: relu's output feeds conv's data input.
    Node::link(r.relu, 0, r.conv, 0);
    REQUIRE_THROWS_WITH(r.g.getNodes(), Catch::Contains("cycle") && Catch::Contains("'conv'") && Catch::Contains("'relu'"));
    r.conv->unlinkInput(0);  // parents are owning links: break the cycle so the nodes can be freed
}

TEST_CASE("replace swaps a ReLU for an Identity and keeps outputs consistent", "[graph][GraphView][replace]") {
    Residual r;
    auto before = r.run();
    auto id = Node::create(makeOperator("Identity"), "relu");
    r.g.replace({r.relu}, {id});
    REQUIRE(r.g.getNode("relu") == id);
    REQUIRE(id->getParent(0) == r.conv);
    REQUIRE(r.add->getParent(0) == id);
    auto after = r.run();
    // Where the ReLU was active nothing changes; where it clipped, the output now
    // differs by exactly the clipped (negative) conv value.
    Residual plain;
    plain.g.replace({plain.relu}, {});
    auto expect = plain.run();
    REQUIRE(after == expect);
    bool someDiffer = false;
    for (std::size_t i = 0; i < before.size(); ++i) someDiffer = someDiffer || before[i] != after[i];
    REQUIRE(someDiffer);
}

TEST_CASE("replace with nothing removes a node in front of a residual Add", "[graph][GraphView][replace]") {
    Residual r;
    r.g.replace({r.relu}, {});
    REQUIRE_FALSE(r.g.contains(r.relu));
    REQUIRE(r.add->getParent(0) == r.conv);
    REQUIRE(r.g.size() == 5);
}

TEST_CASE("replace removes orphaned producers and adds the new node's", "[graph][GraphView][replace]") {
    Residual r;
    auto conv2 = Node::create(makeOperator("Conv"), "conv2");
    Node::link(makeProducer(filled({2, 2, 1, 1}, 0.f, 1.f), "conv2_W"), 0, conv2, 1);
    r.g.replace({r.conv}, {conv2});
    REQUIRE(r.g.getNode("conv_W") == nullptr);
    REQUIRE(r.g.getNode("conv_B") == nullptr);
    REQUIRE(r.g.getNode("conv2_W") != nullptr);
    REQUIRE(conv2->getParent(0) == r.x);
    REQUIRE(r.relu->getParent(0) == conv2);
    REQUIRE(r.run().size() == 8);
}

TEST_CASE("replace is all or nothing", "[graph][GraphView][replace]") {
    Residual r;
    const std::size_t version = r.g.version();
    auto before = names(r.g.getNodes());
    // Two outputs used outside (relu feeds add, x feeds add) cannot map to one new output... here:
    // the span {conv, relu} has one output; a Split-like new node with 2 outputs must be refused.
    auto split = Node::create(makeOperator("Split", {{"num_outputs", std::int64_t(2)}, {"axis", std::int64_t(1)}}), "split");
    REQUIRE_THROWS_WITH(r.g.replace({r.conv, r.relu}, {split}), Catch::Contains("used outputs"));
    // A name clash with a surviving node is refused too.
    auto clash = Node::create(makeOperator("Identity"), "add");
    REQUIRE_THROWS_WITH(r.g.replace({r.relu}, {clash}), Catch::Contains("already used"));
    // Removing a span with two input sources is refused.
    REQUIRE_THROWS_WITH(r.g.replace({r.add}, {}), Catch::Contains("exactly one input source"));
    REQUIRE(names(r.g.getNodes()) == before);
    REQUIRE(r.g.version() == version);
    REQUIRE(r.relu->getParent(0) == r.conv);
}

TEST_CASE("clone is deep: parameters and annotations are copies", "[graph][GraphView]") {
    Residual r;
    r.relu->annotations().set("test.tag", 3.0);
    auto copy = r.g.clone();
    REQUIRE(names(copy->getNodes()) == names(r.g.getNodes()));
    auto w = static_cast<ProducerOp&>(copy->getNode("conv_W")->getOperator()).value();
    w.data<float>()[0] = 100.f;
    REQUIRE(static_cast<ProducerOp&>(r.g.getNode("conv_W")->getOperator()).value().data<float>()[0] == -1.f);
    copy->getNode("relu")->annotations().get<double>("test.tag") = 4.0;
    REQUIRE(r.relu->annotations().get<double>("test.tag") == 3.0);
    REQUIRE(copy->inputs().front()->name() == "x");
    REQUIRE(copy->outputs().front().node->name() == "add");
}

TEST_CASE("remove unlinks a node and its exclusive producers", "[graph][GraphView]") {
    Residual r;
    r.g.remove(r.conv);
    REQUIRE(r.g.getNode("conv_W") == nullptr);
    REQUIRE(r.relu->getParent(0) == nullptr);
    REQUIRE(r.x->getChildren() == std::vector<NodePtr>{r.add});
}

TEST_CASE("GraphView finds nodes by name after renames and removals", "[graph][GraphView]") {
    // The name index must follow Node::setName (which the graph does not see) and removals.
    Residual r;
    r.relu->setName("act");
    REQUIRE(r.g.getNode("act") == r.relu);
    REQUIRE(r.g.getNode("relu") == nullptr);
    REQUIRE_THROWS_WITH(r.g.add(Node::create(makeOperator("ReLU"), "act")), Catch::Contains("'act' already exists"));
    auto fresh = Node::create(makeOperator("ReLU"), "relu");  // the old name is free again
    r.g.add(fresh);
    REQUIRE(r.g.getNode("relu") == fresh);
    // Two nodes renamed to one name: lookups give the first added; removing it exposes the other.
    r.add->setName("twin");
    fresh->setName("twin");
    r.g.add(Node::create(makeOperator("ReLU"), "other"));  // rebuilds the index, which now has a clash
    REQUIRE(r.g.getNode("twin") == r.add);
    r.g.remove(r.add);
    REQUIRE(r.g.getNode("twin") == fresh);
    r.g.remove(fresh);
    REQUIRE(r.g.getNode("twin") == nullptr);
    REQUIRE(r.g.uniqueName("conv") == "conv_1");
}

TEST_CASE("GraphView builds a long chain and looks every node up", "[graph][GraphView]") {
    // 20k nodes: a quadratic name check would make this test crawl (timed in benchmarks/).
    GraphView g("chain");
    NodePtr prev = addInput(g, "x");
    const std::size_t n = 20000;
    for (std::size_t i = 0; i < n; ++i) prev = addNode(g, "ReLU", "r" + std::to_string(i), {out(prev)});
    g.setOutputs({out(prev)});
    REQUIRE(g.size() == n + 1);
    for (std::size_t i = 0; i < n; i += 997) REQUIRE(g.getNode("r" + std::to_string(i))->name() == "r" + std::to_string(i));
    REQUIRE(g.getNodes().back() == prev);
}
