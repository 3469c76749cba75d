// Runs the foldConvScale recipe (FoldConvScale.hpp) on a small CNN built in
// code and checks what a recipe test checks: the outputs before and after
// agree, the expected Mul nodes were folded, a Mul that must not fold stayed,
// and a second run changes nothing. Exits 1 on any failure.
#include <cmath>
#include <cstdio>
#include <random>

#include <fibnlr/graph/Builder.hpp>
#include <fibnlr/operator/OperatorList.hpp>
#include <fibnlr/scheduler/Scheduler.hpp>

#include "FoldConvScale.hpp"

using namespace fibnlr;

static Tensor randomTensor(Shape dims, unsigned seed, float scale = 1.f) {
    Tensor t(std::move(dims));
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.f, scale);
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] = d(rng);
    return t;
}

static float maxAbsDiff(const Tensor& a, const Tensor& b) {
    float m = 0.f;
    for (std::size_t i = 0; i < a.size(); ++i) m = std::fmax(m, std::fabs(a.data<float>()[i] - b.data<float>()[i]));
    return m;
}

int main() {
    const std::vector<std::int64_t> pad1{1, 1, 1, 1};
    GraphView g("scaled");
    NodePtr x = addInput(g, "x");
    // conv1 · per-channel layer scale [1, 8, 1, 1] -> ReLU
    NodePtr c1 = addNode(g, "Conv", "conv1", {out(x)},
                         {{"W", randomTensor({8, 3, 3, 3}, 1, 0.3f)}, {"B", randomTensor({8}, 2, 0.1f)}},
                         {{"pads", pad1}});
    NodePtr s1 = addNode(g, "Mul", "scale1", {out(c1)}, {{"B", randomTensor({1, 8, 1, 1}, 3)}});
    NodePtr r1 = addNode(g, "ReLU", "relu1", {out(s1)});
    // 0.5 · conv2 (scalar operand first, no bias) -> ReLU
    NodePtr c2 = addNode(g, "Conv", "conv2", {out(r1)}, {{"W", randomTensor({8, 8, 3, 3}, 4, 0.2f)}}, {{"pads", pad1}});
    NodePtr s2 = Node::create(makeOperator("Mul"), "half");
    Node::link(makeProducer(Tensor::fromVector<float>({1}, {0.5f}), "half_A"), 0, s2, 0);
    Node::link(c2, 0, s2, 1);
    g.add(s2);
    NodePtr r2 = addNode(g, "ReLU", "relu2", {out(s2)});
    // conv3 also feeds a residual Add: its unscaled output is still needed, so "scale3" must stay.
    NodePtr c3 = addNode(g, "Conv", "conv3", {out(r2)}, {{"W", randomTensor({8, 8, 1, 1}, 5, 0.3f)}});
    NodePtr s3 = addNode(g, "Mul", "scale3", {out(c3)}, {{"B", randomTensor({8, 1, 1}, 6)}});
    NodePtr add = addNode(g, "Add", "add", {out(s3), out(c3)});
    NodePtr gap = addNode(g, "GlobalAveragePool", "gap", {out(add)});
    g.setOutputs({out(gap)});

    const CompileOptions options{"cpu", DataType::Float32, {{4, 3, 16, 16}}};
    const Tensor input = randomTensor({4, 3, 16, 16}, 7);
    compile(g, options);
    const Tensor before = forward(g, {input})[0].clone();

    const std::vector<std::string> folded = foldConvScale(g);
    compile(g, options);
    const Tensor after = forward(g, {input})[0];
    const std::vector<std::string> again = foldConvScale(g);

    std::printf("folded:");
    for (const std::string& n : folded) std::printf(" %s", n.c_str());
    const float diff = maxAbsDiff(before, after);
    std::printf("\nnodes: %zu, Mul left: %zu, max |before - after| = %.3g, second run folded %zu\n", g.size(),
                g.getNodesByType("Mul").size(), diff, again.size());
    const bool ok = folded == std::vector<std::string>{"scale1", "half"} && g.getNode("scale3") &&
                    !g.getNode("scale1") && again.empty() && diff < 1e-5f;
    std::printf("%s\n", ok ? "cpp_recipe OK" : "cpp_recipe FAILED");
    return ok ? 0 : 1;
}
