#include "fibnlr/scheduler/Scheduler.hpp"

#include <stdexcept>

#include <algorithm>
#include <chrono>
#include <new>

#include "fibnlr/data/Allocation.hpp"
#include "fibnlr/data/CheckedMath.hpp"
#include "fibnlr/graph/ShapeInference.hpp"
#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/Micro.hpp"
#include "fibnlr/scheduler/Cancellation.hpp"
#include "fibnlr/operator/BatchNorm.hpp"
#include "fibnlr/operator/Fused.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/scheduler/Plan.hpp"
#include <cmath>

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
    for (std::size_t i = 0; i < o.dims.size(); ++i) {
        for (std::size_t d : o.dims[i])
            if (d == 0)
                throw std::invalid_argument("compile: dims " + toString(o.dims[i]) + " for input '" +
                                            g.inputs()[i]->name() + "' must be positive");
        checkedTensorBytes(o.dims[i], sizeof(float), "compile: input '" + g.inputs()[i]->name() + "'");
    }
}
} // namespace

Scheduler::Scheduler(GraphView& graph, CompileOptions options) : mGraph(graph), mOptions(std::move(options)) {
    GraphLock lock(mGraph.mutex());
    checkOptions(mGraph, mOptions);
    plan();
}

std::string Scheduler::effectiveBackend() const { return kernels() == "ref" ? "ref" : mOptions.backend; }

/// A compiled step before buffers exist: its nodes, operator and operands
/// (graph ports; an absent optional input has a null port).
struct Scheduler::Proto {
    struct Operand {
        Port port;
    };
    std::vector<NodePtr> chain;
    OperatorPtr op;
    std::vector<Operand> inputs;
};

namespace {


const char* const kEpilogueProducers[] = {"Conv", "Gemm", "BatchNormalization", "Add", "Sub", "Mul", "Div", "Sum"};
// Ops whose output may overwrite their first input, besides every activation (operator/Activation.hpp).
const char* const kInPlaceTypes[] = {"BatchNormalization", "Add", "Sub", "Mul", "Div", "Sum", "PReLU"};
// Ops whose output is their input's bytes: planned as views of it. Identity and Dropout are
// listed because pruning leaves one Identity per removed activation; as views they cost
// no buffer and no copy (their cpu kernel copies only when the source is not planned).
const char* const kViewTypes[] = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"};

template <std::size_t N> bool oneOf(const std::string& t, const char* const (&list)[N]) {
    for (const char* s : list)
        if (t == s) return true;
    return false;
}

bool runsInPlace(const Node& n) {
    Activation act;
    return oneOf(n.type(), kInPlaceTypes) || activationOf(n.getOperator(), act);
}

} // namespace

void Scheduler::plan() {
    const std::string backend = effectiveBackend();
    ValueMap values;
    for (std::size_t i = 0; i < mGraph.inputs().size(); ++i) values[mGraph.inputs()[i].get()] = {Tensor(mOptions.dims[i])};

    // 1. Order and shapes.
    ShapeMap shapes;
    const std::vector<NodePtr> compute = planShapes(shapes);
    for (const NodePtr& node : mGraph.nodesUnordered())
        if (node->type() == "Producer") values[node.get()] = {static_cast<const ProducerOp&>(node->getOperator()).value()};
    // 2. Steps: fuse Conv+BatchNorm (folded weights) and producer+activation chains.
    const std::vector<Proto> protos = planFusion(compute, shapes, backend == "cpu");
    // 3. Buffers: one value per step output; shared slots.
    const std::size_t planned = planBuffers(protos, shapes, values);
    // 4. Kernels and operand pointers (values no longer change shape or place).
    std::vector<Step> steps = planKernels(protos, values, backend);

    for (const Port& o : mGraph.outputs())
        if (!values.count(o.node.get()))
            throw std::invalid_argument("compile: graph output " + describe(*o.node) + " is not computed");
    mValues = std::move(values);
    // Operand pointers referred to the local map's vectors, which moved with it
    // (std::unordered_map move keeps element addresses).
    mShapes = std::move(shapes);
    mSteps = std::move(steps);
    mPlannedFloats = planned;
    mGraphVersion = mGraph.version();
    mOperatorRevision = operatorRevision();
    mKernelsRevision = kernelsRevision();
}

std::vector<NodePtr> Scheduler::planShapes(ShapeMap& shapes) const {
    ShapeInferenceOptions options;
    options.context = "compile";
    options.requireConnected = true;
    // Kernels read float32 only. Graph inputs are float32 by construction
    // (forward checks what it is given); a Producer may hold any type.
    options.checkInput = [](const Node& node, std::size_t i, const Port& from) {
        if (from.node->type() != "Producer") return;
        const Tensor& t = static_cast<const ProducerOp&>(from.node->getOperator()).value();
        if (t.dataType() != DataType::Float32)
            throw std::invalid_argument("compile: input " + node.getOperator().inputSpecs()[i].name + " of " +
                                        describe(node) + " is " + toString(t.dataType()) + ", expected float32");
    };
    options.checkOutputs = [](const Node& node, const std::vector<Shape>& outputs) {
        if (node.type() == "Input") return;  // checkOptions checked the dims
        if (node.type() == "Producer") {
            if (static_cast<const ProducerOp&>(node.getOperator()).value().empty())
                throw std::invalid_argument("compile: " + describe(node) + " holds no tensor");
            checkedTensorBytes(outputs.at(0), sizeof(float), "compile: " + describe(node));
            return;
        }
        // Every output gets a buffer: refuse sizes that overflow or exceed the memory limit here,
        // naming the node, rather than in the allocator.
        for (const Shape& sh : outputs) {
            checkedTensorBytes(sh, sizeof(float), "compile: " + describe(node));
            // Kernels divide by dims (rows = size / width, ...); an empty tensor would divide by zero.
            // Like an empty graph input, it is refused.
            if (std::find(sh.begin(), sh.end(), std::size_t(0)) != sh.end())
                throw std::invalid_argument("compile: " + describe(node) + " produces the empty tensor " +
                                            toString(sh) + "; fibnlr does not run tensors with a 0 dimension");
        }
    };
    shapes = inferShapes(mGraph, mOptions.dims, options);
    std::vector<NodePtr> compute;
    for (const NodePtr& node : mGraph.getNodes())
        if (node->type() != "Input" && node->type() != "Producer") compute.push_back(node);
    return compute;
}

std::vector<Scheduler::Proto> Scheduler::planFusion(const std::vector<NodePtr>& compute, const ShapeMap& shapes, bool fuse) const {
    using Operand = Proto::Operand;
    const std::vector<Port>& graphOutputs = mGraph.outputs();
    auto soleConsumer = [&](const NodePtr& n) -> NodePtr {
        if (n->nbOutputs() != 1) return nullptr;
        for (const Port& o : graphOutputs)
            if (o.node == n) return nullptr;
        NodePtr found;
        std::size_t count = 0;
        for (const Port& c : n->outputConsumers(0)) {
            if (!c.node || !mGraph.contains(c.node)) continue;
            ++count;
            if (c.index == 0) found = c.node;
        }
        return count == 1 ? found : nullptr;
    };
    std::vector<Proto> protos;
    std::unordered_map<const Node*, bool> absorbed;
    for (const NodePtr& node : compute) {
        if (absorbed.count(node.get())) continue;
        Proto pr;
        pr.chain = {node};
        pr.op = node->getOperatorPtr();
        for (std::size_t i = 0; i < node->nbInputs(); ++i) {
            Operand o;
            if (node->input(i).node && mGraph.contains(node->input(i).node)) o.port = node->input(i);
            pr.inputs.push_back(o);
        }
        NodePtr cur = node;
        bool withBn = false;
        float bnEps = 0.f;
        if (fuse && node->type() == "Conv") {
            // Conv → BatchNormalization: the BN becomes the conv's per-channel epilogue.
            NodePtr bn = soleConsumer(node);
            bool ok = bn && bn->type() == "BatchNormalization";
            for (std::size_t i = 1; ok && i < 5; ++i) ok = bn->input(i).node && mGraph.contains(bn->input(i).node);
            if (ok) {
                pr.inputs.resize(3);
                for (std::size_t i = 1; i < 5; ++i) pr.inputs.push_back(Operand{bn->input(i)});
                withBn = true;
                bnEps = static_cast<const BatchNormOp&>(bn->getOperator()).attrs.epsilon;
                pr.op = std::make_shared<FusedOp>(node->getOperatorPtr(), Activation{}, true, bnEps);
                pr.chain.push_back(bn);
                absorbed[bn.get()] = true;
                cur = bn;
            }
        }
        if (fuse && (oneOf(node->type(), kEpilogueProducers))) {
            NodePtr a = soleConsumer(cur);
            Activation act;
            if (a && a->nbInputs() == 1 && activationOf(a->getOperator(), act) &&
                act.kind != ActKind::None) {
                pr.op = std::make_shared<FusedOp>(node->getOperatorPtr(), act, withBn, bnEps);
                pr.chain.push_back(a);
                absorbed[a.get()] = true;
            }
        }
        if (fuse && node->type() == "Conv") {
            // Conv (→ BatchNorm) → PReLU with one slope per channel: LeakyReLU per channel in the
            // epilogue, the slope tensor appended as the step's last input (read live by the kernel).
            NodePtr a = soleConsumer(cur);
            const Port slope = a && a->type() == "PReLU" ? a->input(1) : Port{};
            if (slope.node && mGraph.contains(slope.node) && shapes.count(slope.node.get()) &&
                supportsPReLUPerChannel(a->getOperator(), {shapes.at(cur.get())[0], shapes.at(slope.node.get())[slope.index]})) {
                pr.inputs.resize(withBn ? 7 : 3);
                pr.inputs.push_back(Operand{slope});
                pr.op = std::make_shared<FusedOp>(node->getOperatorPtr(), Activation{ActKind::LeakyReLU}, withBn, bnEps, true);
                pr.chain.push_back(a);
                absorbed[a.get()] = true;
            }
        }
        protos.push_back(std::move(pr));
    }

    return protos;
}

std::size_t Scheduler::planBuffers(const std::vector<Proto>& protos, const ShapeMap& shapes, ValueMap& values) const {
    using Operand = Proto::Operand;
    const std::vector<Port>& graphOutputs = mGraph.outputs();
    std::unordered_map<const Node*, std::size_t> firstValue;  // last chain node -> index of its output 0
    std::vector<MemoryValue> mem;
    std::vector<std::pair<const Node*, std::size_t>> valueKey;
    for (std::size_t k = 0; k < protos.size(); ++k) {
        const NodePtr& last = protos[k].chain.back();
        firstValue[last.get()] = mem.size();
        for (std::size_t j = 0; j < shapes.at(last.get()).size(); ++j) {
            MemoryValue v;
            v.floats = numElements(shapes.at(last.get())[j]);
            v.def = v.lastUse = k;
            mem.push_back(v);
            valueKey.emplace_back(last.get(), j);
        }
    }
    auto valueOf = [&](const Port& p) -> std::size_t {
        auto it = p.node ? firstValue.find(p.node.get()) : firstValue.end();
        return it == firstValue.end() ? SIZE_MAX : it->second + p.index;
    };
    for (std::size_t k = 0; k < protos.size(); ++k)
        for (const Operand& o : protos[k].inputs) {
            const std::size_t v = valueOf(o.port);
            if (v != SIZE_MAX) mem[v].lastUse = std::max(mem[v].lastUse, k);
        }
    for (const Port& o : graphOutputs) {
        const std::size_t v = valueOf(o);
        if (v != SIZE_MAX) mem[v].lastUse = SIZE_MAX;
    }
    for (std::size_t k = 0; k < protos.size(); ++k) {
        const Proto& pr = protos[k];
        const std::string t = pr.chain.front()->type();
        const bool view = oneOf(t, kViewTypes), inPlace = runsInPlace(*pr.chain.front());
        if (!view && !inPlace) continue;
        const std::size_t out = firstValue.at(pr.chain.back().get());
        const std::size_t candidates = view || t == "Sum" || t == "BatchNormalization" || pr.inputs.size() == 1 ? 1 : 2;
        for (std::size_t i = 0; i < candidates && i < pr.inputs.size(); ++i) {
            const std::size_t v = valueOf(pr.inputs[i].port);
            if (v == SIZE_MAX || mem[v].floats != mem[out].floats) continue;
            if (!view && shapes.at(pr.inputs[i].port.node.get())[pr.inputs[i].port.index] != shapes.at(pr.chain.back().get())[0])
                continue;
            mem[out].shareWith = v;
            mem[out].view = view;
            break;
        }
    }
    const MemoryPlan mp = planMemory(mem);
    std::vector<std::shared_ptr<void>> slots;
    std::size_t planned = 0;
    std::size_t planBytes = 0;
    for (std::size_t f : mp.slotFloats)
        planBytes = checkedAdd(planBytes, checkedMul(std::max<std::size_t>(f, 1), sizeof(float), "memory plan"),
                               "memory plan");
    if (planBytes > memoryLimit())
        throw std::invalid_argument("compile: graph '" + mGraph.name() + "' needs " + std::to_string(planBytes) +
                                    " bytes of activations, more than the memory limit of " +
                                    std::to_string(memoryLimit()) + " bytes (fibnlr.set_memory_limit)");
    for (std::size_t f : mp.slotFloats) {
        slots.push_back(allocateAligned(f * sizeof(float)));
        planned += f;
    }
    for (std::size_t v = 0; v < mem.size(); ++v) {
        const auto& key = valueKey[v];
        auto& vec = values[key.first];
        const Shape& sh = shapes.at(key.first)[key.second];
        if (vec.size() <= key.second) vec.resize(key.second + 1);
        vec[key.second] = Tensor::wrap(slots[mp.slotOf[v]].get(), sh, DataType::Float32, slots[mp.slotOf[v]]);
    }

    return planned;
}

std::vector<Scheduler::Step> Scheduler::planKernels(const std::vector<Proto>& protos, ValueMap& values,
                                                    const std::string& backend) const {
    using Operand = Proto::Operand;
    auto tensorOf = [&](const Operand& o) -> const Tensor* {
        if (!o.port.node) return nullptr;
        return &values.at(o.port.node.get()).at(o.port.index);
    };
    std::vector<Step> steps;
    for (const Proto& pr : protos) {
        Step st;
        st.node = pr.chain.front();
        st.op = pr.op;
        std::vector<Shape> inShapes;
        for (const Operand& o : pr.inputs) {
            const Tensor* t = tensorOf(o);
            st.inputs.push_back(t);
            inShapes.push_back(t ? t->dims() : Shape{});
        }
        const KernelEntry* k = selectKernel(*st.op, inShapes, backend);
        if (!k)
            throw std::invalid_argument("compile: no kernel for " + describe(*st.node) + " on backend '" + backend + "'");
        st.kernel = k->fn;
        st.kernelName = k->name.empty() ? k->opType + "_" + k->backend : k->name;
        for (Tensor& t : values.at(pr.chain.back().get())) st.outputs.push_back(&t);
        if (pr.chain.size() > 1)
            for (std::size_t c = 0; c < pr.chain.size(); ++c) {
                const NodePtr& n = pr.chain[c];
                Step u;
                u.node = n;
                u.op = n->getOperatorPtr();
                std::vector<Shape> us;
                for (std::size_t i = 0; i < n->nbInputs(); ++i) {
                    const Tensor* t = c > 0 && i == 0 ? st.outputs[0]
                                      : (n->input(i).node && mGraph.contains(n->input(i).node))
                                          ? &values.at(n->input(i).node.get()).at(n->input(i).index)
                                          : nullptr;
                    u.inputs.push_back(t);
                    us.push_back(t ? t->dims() : Shape{});
                }
                const KernelEntry* uk = selectKernel(*u.op, us, backend);
                if (!uk) throw std::invalid_argument("compile: no kernel for " + describe(*n) + " on backend '" + backend + "'");
                u.kernel = uk->fn;
                u.kernelName = uk->name;
                u.outputs = st.outputs;
                st.unfused.push_back(std::move(u));
            }
        if (const auto* f = dynamic_cast<const FusedOp*>(st.op.get());
            f && f->activation().kind != ActKind::None && pr.chain.size() > 1) {
            st.stats = std::make_shared<EpilogueStats>();
            st.countingOp = f->withStats(st.stats);
        }
        steps.push_back(std::move(st));
    }
    return steps;
}

void Scheduler::runStep(const Step& s, const Hooks& hooks) const {
    StepStateScope scope(s.state.get());
    if (!hooks.empty()) {
        bool hookedInside = false, onlyStats = s.countingOp != nullptr;
        const Node* act = s.unfused.empty() ? nullptr : s.unfused.back().node.get();
        for (std::size_t c = 1; c < s.unfused.size(); ++c) {
            const Node* n = s.unfused[c].node.get();
            if (!hooks.has(n)) continue;
            hookedInside = true;
            onlyStats = onlyStats && n == act && hooks.allSignStats(n);
        }
        if (hookedInside && onlyStats) {
            // Fused measuring: the kernel counts the activation's input while it writes it.
            if (!s.inputs.empty() && s.inputs[0]) hooks.run(*s.node, *s.inputs[0]);
            if (!hooks.signStatsActive(*act)) {
                s.kernel(*s.op, s.inputs, s.outputs);
                return;
            }
            const Shape& d = s.outputs[0]->dims();
            s.stats->reset(d.size() >= 2 ? d[1] : 1);
            s.kernel(*s.countingOp, s.inputs, s.outputs);
            hooks.addSignStats(*act, s.stats->neg, s.stats->pos, s.stats->nonFinite, s.stats->alive.data(),
                               s.stats->alive.size());
            return;
        }
        if (hookedInside) {
            for (const Step& u : s.unfused) {
                if (!u.inputs.empty() && u.inputs[0]) hooks.run(*u.node, *u.inputs[0]);
                u.kernel(*u.op, u.inputs, u.outputs);
            }
            return;
        }
        if (!s.inputs.empty() && s.inputs[0]) hooks.run(*s.node, *s.inputs[0]);
    }
    s.kernel(*s.op, s.inputs, s.outputs);
}

std::vector<std::string> Scheduler::describePlan() const {
    std::vector<std::string> out;
    for (const Step& s : mSteps) {
        std::string names = s.node->name();
        for (std::size_t c = 1; c < s.unfused.size(); ++c) names += "+" + s.unfused[c].node->name();
        out.push_back(names + " : " + s.kernelName);
    }
    return out;
}

void Scheduler::setProfiling(bool on) {
    mProfiling = on;
    mProfiledRuns = 0;
    for (Step& s : mSteps) s.seconds = 0;
}

std::vector<double> Scheduler::stepSeconds() const {
    std::vector<double> out;
    for (const Step& s : mSteps) out.push_back(mProfiledRuns ? s.seconds / static_cast<double>(mProfiledRuns) : 0.0);
    return out;
}

void Scheduler::countNodeReferences(std::unordered_map<const Node*, std::size_t>& counts) const {
    for (const Step& s : mSteps) {
        ++counts[s.node.get()];
        for (const Step& u : s.unfused) ++counts[u.node.get()];
    }
}

std::size_t Scheduler::operatorRevision() const {
    std::size_t sum = 0;
    for (const NodePtr& n : mGraph.nodesUnordered()) sum += n->getOperator().revision();
    return sum;
}

std::vector<Tensor> Scheduler::forward(const std::vector<Tensor>& inputs) {
    GraphLock lock(mGraph.mutex());
    const auto& gin = mGraph.inputs();
    if (inputs.size() != gin.size())
        throw std::invalid_argument("forward: graph '" + mGraph.name() + "' takes " + std::to_string(gin.size()) +
                                    " inputs, got " + std::to_string(inputs.size()));
    bool replan = mGraph.version() != mGraphVersion || operatorRevision() != mOperatorRevision ||
                  kernelsRevision() != mKernelsRevision;
    // The new dims live in a copy until the new plan has run: recording them
    // first would leave a plan sized for the old batch behind a failed call.
    std::vector<Shape> dims = mOptions.dims;
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
            dims[i][0] = x.dim(0);
            replan = true;
        }
    }
    if (!replan) return run(inputs);
    CompileOptions options = mOptions;
    options.dims = std::move(dims);
    Scheduler next(mGraph, std::move(options));
    next.mProfiling = mProfiling;
    std::vector<Tensor> outs = next.run(inputs);
    swapState(next);
    return outs;
}

std::vector<Tensor> Scheduler::run(const std::vector<Tensor>& inputs) {
    const auto& gin = mGraph.inputs();
    // Copies first (they may throw), then swaps that cannot: on failure the
    // previous inputs go back, so a failed run changes nothing observable.
    std::vector<Tensor> held(inputs);
    for (std::size_t i = 0; i < held.size(); ++i) std::swap(mValues.at(gin[i].get())[0], held[i]);
    try {
        const Hooks& hooks = mGraph.hooks();
        // Profiling: the step times are kept aside and added only once the run succeeded.
        std::vector<double> times(mProfiling ? mSteps.size() : 0);
        for (std::size_t i = 0; i < mSteps.size(); ++i) {
            checkStop();
            if (!mProfiling) {
                runStep(mSteps[i], hooks);
                continue;
            }
            const auto t0 = std::chrono::steady_clock::now();
            runStep(mSteps[i], hooks);
            times[i] = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        }
        std::vector<Tensor> outs;
        for (const Port& o : mGraph.outputs()) outs.push_back(mValues.at(o.node.get()).at(o.index).clone());
        for (std::size_t i = 0; i < times.size(); ++i) mSteps[i].seconds += times[i];
        if (mProfiling) ++mProfiledRuns;
        return outs;
    } catch (...) {
        for (std::size_t i = 0; i < held.size(); ++i) std::swap(mValues.at(gin[i].get())[0], held[i]);
        throw;
    }
}

void Scheduler::swapState(Scheduler& other) noexcept {
    std::swap(mOptions.backend, other.mOptions.backend);
    std::swap(mOptions.dataType, other.mOptions.dataType);
    std::swap(mOptions.dims, other.mOptions.dims);
    std::swap(mGraphVersion, other.mGraphVersion);
    std::swap(mOperatorRevision, other.mOperatorRevision);
    std::swap(mKernelsRevision, other.mKernelsRevision);
    std::swap(mPlannedFloats, other.mPlannedFloats);
    std::swap(mProfiledRuns, other.mProfiledRuns);
    mValues.swap(other.mValues);
    mShapes.swap(other.mShapes);
    mSteps.swap(other.mSteps);
}

const Shape& Scheduler::outputShape(const Node& node, std::size_t index) const {
    auto it = mShapes.find(&node);
    if (it == mShapes.end() || index >= it->second.size())
        throw std::invalid_argument("outputShape: " + describe(node) + " output " + std::to_string(index) +
                                    " is not part of the compiled graph");
    return it->second[index];
}

Scheduler& compile(GraphView& graph, CompileOptions options) {
    GraphLock lock(graph.mutex());
    // The previous scheduler stays attached until the new one is complete.
    auto s = std::make_shared<Scheduler>(graph, std::move(options));
    graph.setExecutor(s);
    return *s;
}

std::vector<Tensor> forward(GraphView& graph, const std::vector<Tensor>& inputs) {
    GraphLock lock(graph.mutex());
    auto s = std::dynamic_pointer_cast<Scheduler>(graph.executor());
    if (!s) throw std::invalid_argument("forward: graph '" + graph.name() + "' is not compiled; call compile(dims) first");
    return s->forward(inputs);
}

} // namespace fibnlr
