// Builds a small CNN in code (conv -> ReLU -> conv, a residual add, global
// pooling), runs it with fibnlr, checks one value by hand and prints the output.
#include <cmath>
#include <cstdio>
#include <fibnlr/graph/Builder.hpp>
#include <fibnlr/scheduler/Scheduler.hpp>

using namespace fibnlr;

int main() {
    GraphView g("example");
    NodePtr x = addInput(g, "x");
    // 1x1 conv doubling channel 0 and negating channel 1 (so the ReLU kills it).
    Tensor w1 = Tensor::fromVector<float>({2, 2, 1, 1}, {2.f, 0.f, 0.f, -1.f});
    Tensor b1 = Tensor::fromVector<float>({2}, {0.f, 0.f});
    NodePtr conv1 = addNode(g, "Conv", "conv1", {out(x)}, {{"W", w1}, {"B", b1}});
    NodePtr relu = addNode(g, "ReLU", "relu1", {out(conv1)});
    NodePtr add = addNode(g, "Add", "skip", {out(relu), out(x)});
    NodePtr pool = addNode(g, "GlobalAveragePool", "pool", {out(add)});
    g.setOutputs({out(pool)});

    compile(g, CompileOptions{"cpu", DataType::Float32, {{1, 2, 2, 2}}});
    Tensor input = Tensor::fromVector<float>({1, 2, 2, 2}, {1.f, 2.f, 3.f, 4.f, 1.f, 1.f, 1.f, 1.f});
    Tensor y = forward(g, {input})[0];

    // Channel 0: mean(2·x + x) = 3·2.5; channel 1: mean(relu(-x) + x) = 1.
    const float* v = y.data<float>();
    std::printf("graph '%s' with %zu nodes -> output %s = [%g, %g]\n", g.name().c_str(), g.size(),
                toString(y.dims()).c_str(), v[0], v[1]);
    const bool ok = std::fabs(v[0] - 7.5f) < 1e-6f && std::fabs(v[1] - 1.f) < 1e-6f;
    std::printf("%s\n", ok ? "example OK" : "example FAILED");
    return ok ? 0 : 1;
}
