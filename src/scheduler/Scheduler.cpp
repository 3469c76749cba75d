#include "fibnlr/scheduler/Scheduler.hpp"

#include <stdexcept>

#include "fibnlr/operator/Producer.hpp"

namespace fibnlr {

namespace {
const char* const kValidBackends[] = {"cpu", "ref"};

void checkOptions(const GraphView& g, const CompileOptions& o) {
    bool known = false;
    for (const char* b : kValidBackends) known = known || o.backend == b;
    if (!known) throw std::invalid_argument("compile: backend '" + o.backend + "' is not one of: cpu, ref");
    if (o.dataType != DataType::Float32)
        throw std::invalid_argument("compile: datatype " + toString(o.dataType) + " is not supported; expected float32");
    if (o.dims.size() != g.inputs().size())
        throw std::invalid_argument("compile: graph '" + g.name() + "' has " + std::to_string(g.inputs().size()) +
                                    " inputs but dims has " + std::to_string(o.dims.size()) + " shapes");
    for (std::size_t i = 0; i < o.dims.size(); ++i)
        for (std::size_t d : o.dims[i])
            if (d == 0)
                throw std::invalid_argument("compile: dims " + toString(o.dims[i]) + " for input '" +
                                            g.inputs()[i]->name() + "' must be positive");
}
} // namespace

Scheduler::Scheduler(GraphView& graph, CompileOptions options) : mGraph(graph), mOptions(std::move(options)) {
    checkOptions(mGraph, mOptions);
    plan();
}

void Scheduler::plan() {
    std::unordered_map<const Node*, std::vector<Tensor>> values;
    std::vector<Step> steps;
    for (std::size_t i = 0; i < mGraph.inputs().size(); ++i)
        values[mGraph.inputs()[i].get()] = {Tensor(mOptions.dims[i])};

    for (const NodePtr& node : mGraph.getNodes()) {
        const Operator& op = node->getOperator();
        if (node->type() == "Input") {
            if (!values.count(node.get()))
                throw std::invalid_argument("compile: " + describe(*node) + " is not one of the graph's inputs");
            continue;
        }
        if (node->type() == "Producer") {
            values[node.get()] = {static_cast<const ProducerOp&>(op).value()};
            if (values[node.get()][0].empty())
                throw std::invalid_argument("compile: " + describe(*node) + " holds no tensor");
            continue;
        }
        std::vector<Shape> inShapes;
        Step step{node, findKernel(node->type(), mOptions.backend), {}, {}};
        for (std::size_t i = 0; i < node->nbInputs(); ++i) {
            const Port& p = node->input(i);
            if (!p.node || !mGraph.contains(p.node)) {
                if (op.inputSpecs()[i].category == InputCategory::OptionalParam) {
                    inShapes.emplace_back();
                    step.inputs.push_back(nullptr);
                    continue;
                }
                throw std::invalid_argument("compile: input " + std::to_string(i) + " (" + op.inputSpecs()[i].name +
                                            ") of " + describe(*node) + " is not connected");
            }
            const Tensor& t = values.at(p.node.get()).at(p.index);
            if (t.dataType() != DataType::Float32)
                throw std::invalid_argument("compile: input " + op.inputSpecs()[i].name + " of " + describe(*node) +
                                            " is " + toString(t.dataType()) + ", expected float32");
            inShapes.push_back(t.dims());
            step.inputs.push_back(&t);
        }
        std::vector<Shape> outShapes;
        try {
            outShapes = op.inferShapes(inShapes);
        } catch (const std::invalid_argument& e) {
            std::string shapes;
            for (const Shape& s : inShapes) shapes += (shapes.empty() ? "" : ", ") + toString(s);
            throw std::invalid_argument("compile: " + describe(*node) + " with input shapes " + shapes + ": " + e.what());
        }
        if (!step.kernel)
            throw std::invalid_argument("compile: no kernel for " + describe(*node) + " on backend '" +
                                        mOptions.backend + "'");
        auto& outs = values[node.get()];
        for (const Shape& s : outShapes) outs.emplace_back(s);
        steps.push_back(std::move(step));
    }
    // Tensors are stored in vectors that no longer grow: take output pointers now.
    for (Step& s : steps)
        for (Tensor& t : values.at(s.node.get())) s.outputs.push_back(&t);
    for (const Port& o : mGraph.outputs())
        if (!values.count(o.node.get()))
            throw std::invalid_argument("compile: graph output " + describe(*o.node) + " is not computed");
    mValues = std::move(values);
    // Input pointers referred to the local map's vectors, which moved with it
    // (std::unordered_map move keeps element addresses).
    mSteps = std::move(steps);
    mGraphVersion = mGraph.version();
    mOperatorRevision = operatorRevision();
}

std::size_t Scheduler::operatorRevision() const {
    std::size_t sum = 0;
    for (const NodePtr& n : mGraph.nodesUnordered()) sum += n->getOperator().revision();
    return sum;
}

std::vector<Tensor> Scheduler::forward(const std::vector<Tensor>& inputs) {
    const auto& gin = mGraph.inputs();
    if (inputs.size() != gin.size())
        throw std::invalid_argument("forward: graph '" + mGraph.name() + "' takes " + std::to_string(gin.size()) +
                                    " inputs, got " + std::to_string(inputs.size()));
    bool replan = mGraph.version() != mGraphVersion || operatorRevision() != mOperatorRevision;
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const Tensor& x = inputs[i];
        const Shape& want = mOptions.dims[i];
        if (x.dataType() != DataType::Float32)
            throw std::invalid_argument("forward: input '" + gin[i]->name() + "' is " + toString(x.dataType()) +
                                        ", expected float32");
        bool sameButBatch = x.nbDims() == want.size() && x.nbDims() > 0 && x.dim(0) > 0;
        for (std::size_t d = 1; sameButBatch && d < want.size(); ++d) sameButBatch = x.dim(d) == want[d];
        if (!sameButBatch)
            throw std::invalid_argument("forward: input '" + gin[i]->name() + "' has shape " + toString(x.dims()) +
                                        ", expected " + toString(want) + " (compiled dims; only the batch size may differ)");
        if (x.dim(0) != want[0]) {
            mOptions.dims[i][0] = x.dim(0);
            replan = true;
        }
    }
    if (replan) plan();
    for (std::size_t i = 0; i < inputs.size(); ++i) mValues.at(gin[i].get())[0] = inputs[i];

    const Hooks& hooks = mGraph.hooks();
    for (const Step& s : mSteps) {
        if (!hooks.empty() && !s.inputs.empty() && s.inputs[0]) hooks.run(*s.node, *s.inputs[0]);
        s.kernel(s.node->getOperator(), s.inputs, s.outputs);
    }
    std::vector<Tensor> outs;
    for (const Port& o : mGraph.outputs()) outs.push_back(mValues.at(o.node.get()).at(o.index).clone());
    return outs;
}

const Shape& Scheduler::outputShape(const Node& node, std::size_t index) const {
    auto it = mValues.find(&node);
    if (it == mValues.end() || index >= it->second.size())
        throw std::invalid_argument("outputShape: " + describe(node) + " output " + std::to_string(index) +
                                    " is not part of the compiled graph");
    return it->second[index].dims();
}

Scheduler& compile(GraphView& graph, CompileOptions options) {
    auto s = std::make_shared<Scheduler>(graph, std::move(options));
    graph.setExecutor(s);
    return *s;
}

std::vector<Tensor> forward(GraphView& graph, const std::vector<Tensor>& inputs) {
    auto s = std::dynamic_pointer_cast<Scheduler>(graph.executor());
    if (!s) throw std::invalid_argument("forward: graph '" + graph.name() + "' is not compiled; call compile(dims) first");
    return s->forward(inputs);
}

} // namespace fibnlr
