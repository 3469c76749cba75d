// The FIBNLR recipe from a C++ program: a small residual CNN built in code,
// calibration data in a TensorDatabase read by a DataProvider, then
// prepare + compute + prune in one call, and the per-node report.
#include <cstdio>
#include <random>

#include <fibnlr/data/TensorDatabase.hpp>
#include <fibnlr/graph/Builder.hpp>
#include <fibnlr/recipes/FIBNLR.hpp>
#include <fibnlr/scheduler/Scheduler.hpp>

using namespace fibnlr;

static Tensor randomTensor(Shape dims, unsigned seed, float scale = 1.f) {
    Tensor t(std::move(dims));
    std::mt19937 rng(seed);
    std::normal_distribution<float> d(0.f, scale);
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] = d(rng);
    return t;
}

int main() {
    const std::vector<std::int64_t> pad1{1, 1, 1, 1};
    GraphView g("residual");
    NodePtr x = addInput(g, "x");
    NodePtr c1 = addNode(g, "Conv", "conv1", {out(x)}, {{"W", randomTensor({8, 3, 3, 3}, 1, 0.3f)}}, {{"pads", pad1}});
    NodePtr r1 = addNode(g, "ReLU", "relu1", {out(c1)});
    NodePtr c2 = addNode(g, "Conv", "conv2", {out(r1)}, {{"W", randomTensor({8, 8, 3, 3}, 2, 0.2f)}}, {{"pads", pad1}});
    NodePtr r2 = addNode(g, "ReLU", "relu2", {out(c2)});
    NodePtr c3 = addNode(g, "Conv", "conv3", {out(r2)}, {{"W", randomTensor({8, 8, 3, 3}, 3, 0.2f)}}, {{"pads", pad1}});
    NodePtr add = addNode(g, "Add", "add", {out(c3), out(r1)});
    NodePtr r3 = addNode(g, "ReLU", "relu3", {out(add)});
    NodePtr gap = addNode(g, "GlobalAveragePool", "gap", {out(r3)});
    g.setOutputs({out(gap)});
    compile(g, CompileOptions{"cpu", DataType::Float32, {{16, 3, 16, 16}}});

    auto database = std::make_shared<TensorDatabase>(std::vector<Tensor>{randomTensor({100, 3, 16, 16}, 7)});
    DataProvider provider(database, 16, /*shuffle=*/true, /*dropLast=*/false, /*seed=*/0);

    FIBNLRParameters params;  // defaults as upstream
    params.ablationThreshold = 0.3;
    const std::vector<NodePtr> order{r1, r2, r3};
    const std::set<NodePtr> pruned = fibnlrRun(g, provider, params);

    std::printf("%-8s %6s %10s %10s %14s  pruned\n", "node", "group", "NPR", "NNPR", "dead/channels");
    for (const NodePtr& n : order) {
        const ActivityTracker& t = get<ActivityTracker>(*n);
        std::printf("%-8s %6lld %10.4f %10.4f %8zu/%-5zu  %s\n", n->name().c_str(),
                    static_cast<long long>(get<Group>(*n).id), get<NPR>(*n).value(), get<NNPR>(*n).value,
                    t.countDeadNeurons(), t.neurons.size(), pruned.count(n) ? "yes" : "no");
    }
    const auto y = forward(g, {randomTensor({16, 3, 16, 16}, 9)});
    std::printf("%zu pruned; the pruned graph runs: output %s\n", pruned.size(), toString(y[0].dims()).c_str());
    return 0;
}
