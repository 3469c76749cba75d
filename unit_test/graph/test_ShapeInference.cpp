#include <catch2/catch.hpp>

#include "GraphTestUtils.hpp"

#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/graph/ShapeInference.hpp"
#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

using namespace fibnlr;
using fibnlr::test::filled;

namespace {
/// x [N, 2, H, W] -> conv 3x3 pad 1 (no bias: B, an optional input, is
/// unconnected) -> relu -> add(relu, x) -> pool: a residual block in miniature.
struct Residual {
    GraphView g{"residual"};
    NodePtr x, conv, relu, add, pool;
    Residual() {
        x = addInput(g, "x");
        conv = addNode(g, "Conv", "conv", {out(x)}, {{"W", filled({2, 2, 3, 3}, -1.f, 0.1f)}},
                       {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
        relu = addNode(g, "ReLU", "relu", {out(conv)});
        add = addNode(g, "Add", "add", {out(relu), out(x)});
        pool = addNode(g, "GlobalAveragePool", "pool", {out(add)});
        g.setOutputs({out(pool)});
    }
};
} // namespace

TEST_CASE("inferShapes gives every node's output shapes through a residual Add", "[graph][shapes]") {
    Residual r;
    REQUIRE_FALSE(r.conv->input(2).node);  // B is not connected
    const NodeShapes shapes = inferShapes(r.g, {{3, 2, 5, 7}});
    CHECK(shapes.at(r.x.get()) == std::vector<Shape>{{3, 2, 5, 7}});
    CHECK(shapes.at(r.conv->producer(1).get()) == std::vector<Shape>{{2, 2, 3, 3}});
    CHECK(shapes.at(r.conv.get()) == std::vector<Shape>{{3, 2, 5, 7}});
    CHECK(shapes.at(r.relu.get()) == std::vector<Shape>{{3, 2, 5, 7}});
    CHECK(shapes.at(r.add.get()) == std::vector<Shape>{{3, 2, 5, 7}});
    CHECK(shapes.at(r.pool.get()) == std::vector<Shape>{{3, 2, 1, 1}});
    CHECK(shapes.size() == r.g.size());
    // inputShape reads through the links; an unconnected or absent input is unknown (empty).
    CHECK(inputShape(shapes, *r.add, 1) == Shape{3, 2, 5, 7});
    CHECK(inputShape(shapes, *r.conv, 2).empty());
    CHECK(inputShape(shapes, *r.conv, 7).empty());
}

TEST_CASE("inferShapes gives what compile() infers, for every node", "[graph][shapes]") {
    Residual r;
    const std::vector<Shape> dims{{2, 2, 6, 4}};
    const NodeShapes shapes = inferShapes(r.g, dims);
    for (const std::string backend : {"cpu", "ref"}) {
        Scheduler& s = compile(r.g, CompileOptions{backend, DataType::Float32, dims});
        for (const NodePtr& n : r.g.getNodes()) {
            INFO(describe(*n) << " on " << backend);
            REQUIRE(shapes.at(n.get()).size() == n->nbOutputs());
            for (std::size_t i = 0; i < n->nbOutputs(); ++i) CHECK(shapes.at(n.get())[i] == s.outputShape(*n, i));
        }
    }
    // And the graph runs with the shapes it was given.
    const auto y = forward(r.g, {filled({2, 2, 6, 4}, -1.f, 0.05f)});
    CHECK(y.at(0).dims() == shapes.at(r.pool.get()).at(0));
}

TEST_CASE("inferShapes names the node and its input shapes when a shape rule fails", "[graph][shapes]") {
    Residual r;
    // 3 channels: the conv's weight expects 2.
    CHECK_THROWS_AS(inferShapes(r.g, {{1, 3, 5, 5}}), std::invalid_argument);
    CHECK_THROWS_WITH(inferShapes(r.g, {{1, 3, 5, 5}}),
                      Catch::StartsWith("node 'conv'") && Catch::Contains("with input shapes [1, 3, 5, 5], [2, 2, 3, 3], []") &&
                          Catch::Contains("input channels"));
    ShapeInferenceOptions o;
    o.context = "here";
    CHECK_THROWS_WITH(inferShapes(r.g, {{1, 3, 5, 5}}, o), Catch::StartsWith("here: node 'conv'"));
    CHECK_THROWS_WITH(inferShapes(r.g, {}, o), Catch::StartsWith("here: graph 'residual' has 1 inputs but 0 input shapes"));
    // The conv fits, the residual Add does not: 3 output channels against 2 input channels.
    GraphView g("bad_add");
    NodePtr x = addInput(g, "x");
    NodePtr conv = addNode(g, "Conv", "conv3", {out(x)}, {{"W", filled({3, 2, 1, 1}, 0.f, 1.f)}});
    NodePtr add = addNode(g, "Add", "sum", {out(conv), out(x)});
    g.setOutputs({out(add)});
    CHECK_THROWS_WITH(inferShapes(g, {{1, 2, 4, 4}}),
                      Catch::StartsWith("node 'sum'") && Catch::Contains("[1, 3, 4, 4], [1, 2, 4, 4]"));
}

TEST_CASE("inferShapes: unconnected inputs are errors, or unknown shapes when allowed", "[graph][shapes]") {
    Residual r;
    r.relu->unlinkInput(0);  // a required data input
    CHECK_THROWS_WITH(inferShapes(r.g, {{1, 2, 5, 5}}),
                      Catch::Contains("input 0 (") && Catch::Contains("of node 'relu'") && Catch::Contains("not connected"));
    ShapeInferenceOptions lenient;
    lenient.requireConnected = false;
    // ReLU's rule passes the unknown (empty) shape on; Add's broadcast accepts it, so shapes stay known below.
    const NodeShapes shapes = inferShapes(r.g, {{1, 2, 5, 5}}, lenient);
    CHECK(shapes.at(r.relu.get()) == std::vector<Shape>{Shape{}});
    CHECK(shapes.at(r.conv.get()) == std::vector<Shape>{{1, 2, 5, 5}});

    // An Input node that is not a graph input never gets a value: an error, or unknown when allowed.
    GraphView g("stray");
    NodePtr x = addInput(g, "x");
    NodePtr y = addInput(g, "y");
    NodePtr relu = addNode(g, "ReLU", "ry", {out(y)});
    NodePtr rx = addNode(g, "ReLU", "rx", {out(x)});
    g.setInputs({x});
    g.setOutputs({out(rx), out(relu)});
    CHECK_THROWS_WITH(inferShapes(g, {{1, 2}}), Catch::Contains("node 'y'") && Catch::Contains("not one of the graph's inputs"));
    const NodeShapes s2 = inferShapes(g, {{1, 2}}, lenient);
    CHECK(s2.count(y.get()) == 0);
    CHECK(s2.at(relu.get()) == std::vector<Shape>{Shape{}});
    CHECK(s2.at(rx.get()) == std::vector<Shape>{{1, 2}});
}

TEST_CASE("inferShapes calls the checks in topological order, before consumers", "[graph][shapes]") {
    Residual r;
    std::vector<std::string> seen;
    ShapeInferenceOptions o;
    o.checkInput = [&](const Node& n, std::size_t i, const Port& from) {
        seen.push_back("in " + n.name() + "." + std::to_string(i) + "<-" + from.node->name());
    };
    o.checkOutputs = [&](const Node& n, const std::vector<Shape>& outs) {
        REQUIRE(outs.size() == n.nbOutputs());
        seen.push_back("out " + n.name());
    };
    inferShapes(r.g, {{1, 2, 3, 3}}, o);
    auto at = [&](const std::string& s) { return std::find(seen.begin(), seen.end(), s) - seen.begin(); };
    CHECK(at("out x") < at("in conv.0<-x"));
    CHECK(at("out conv_W") < at("in conv.1<-conv_W"));
    CHECK(at("in conv.1<-conv_W") < at("out conv"));
    CHECK(at("out conv") < at("in relu.0<-conv"));
    CHECK(at("out relu") < at("in add.0<-relu"));
    CHECK(at("in add.1<-x") < at("out add"));
    CHECK(at("out pool") == static_cast<long>(seen.size()) - 1);
    // A check that throws stops inference with its own error.
    o.checkOutputs = [](const Node& n, const std::vector<Shape>&) {
        if (n.name() == "relu") throw std::invalid_argument("no relu today");
    };
    CHECK_THROWS_WITH(inferShapes(r.g, {{1, 2, 3, 3}}, o), "no relu today");
}
