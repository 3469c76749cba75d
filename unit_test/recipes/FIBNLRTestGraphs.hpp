#pragma once
// Small graphs built in code for the FIBNLR tests.
#include <random>
#include <vector>

#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

namespace fibnlr::test {

inline Tensor scalar(float v) { return Tensor::fromVector<float>({1}, {v}); }

inline Tensor randomTensor(Shape dims, unsigned seed, float shift = 0.f) {
    Tensor t(std::move(dims));
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.f, 1.f);
    float* p = t.data<float>();
    for (std::size_t i = 0; i < t.size(); ++i) p[i] = d(rng) + shift;
    return t;
}

/// x → ReLU "relu"; x·2 → LeakyReLU "leaky"; x·(−1) → GELU "gelu"; x → Clip "clip".
/// Outputs: relu, leaky, gelu, clip. The activations read x (or a scaled x)
/// directly, so expected NPR follows from the data by hand.
struct DirectGraph {
    GraphView g{"direct"};
    NodePtr x, relu, leaky, gelu, clip;
    DirectGraph() {
        x = addInput(g, "x");
        relu = addNode(g, "ReLU", "relu", {out(x)});
        NodePtr twice = addNode(g, "Mul", "twice", {out(x)}, {{"B", scalar(2.f)}});
        leaky = addNode(g, "LeakyReLU", "leaky", {out(twice)});
        NodePtr neg = addNode(g, "Mul", "neg", {out(x)}, {{"B", scalar(-1.f)}});
        gelu = addNode(g, "GELU", "gelu", {out(neg)});
        clip = addNode(g, "Clip", "clip", {out(x)}, {}, {{"min", 0.f}, {"max", 6.f}});
        g.setOutputs({out(relu), out(leaky), out(gelu), out(clip)});
    }
};

/// A residual block: x → conv1 (3×3, pad 1) → relu1 → conv2 (3×3, pad 1) → add(·, x) → relu2 → GAP → flatten.
/// With `stride2`, conv1 has stride 2 and a 1×1 stride-2 projection feeds the skip.
struct ResidualGraph {
    GraphView g{"residual"};
    NodePtr x, conv1, relu1, conv2, add, relu2;
    explicit ResidualGraph(std::size_t c = 4, unsigned seed = 7) {
        x = addInput(g, "x");
        conv1 = addNode(g, "Conv", "conv1", {out(x)},
                        {{"W", randomTensor({c, c, 3, 3}, seed)}, {"B", randomTensor({c}, seed + 1)}},
                        {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
        relu1 = addNode(g, "ReLU", "relu1", {out(conv1)});
        conv2 = addNode(g, "Conv", "conv2", {out(relu1)},
                        {{"W", randomTensor({c, c, 3, 3}, seed + 2)}, {"B", randomTensor({c}, seed + 3)}},
                        {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
        add = addNode(g, "Add", "add", {out(conv2), out(x)});
        relu2 = addNode(g, "ReLU", "relu2", {out(add)});
        NodePtr gap = addNode(g, "GlobalAveragePool", "gap", {out(relu2)});
        NodePtr flat = addNode(g, "Flatten", "flatten", {out(gap)});
        g.setOutputs({out(flat)});
    }
};

} // namespace fibnlr::test
