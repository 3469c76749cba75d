#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"
#include "fibnlr/kernels/Kernel.hpp"
#include "fibnlr/kernels/StepState.hpp"
#include "fibnlr/operator/Fused.hpp"

namespace fibnlr {

struct CompileOptions {
    /// "cpu" (fast kernels where available, fused epilogues, BatchNorm folded
    /// into the conv epilogue) or "ref" (reference kernels, one step per node).
    /// setKernels("ref") (kernels/cpu/Micro.hpp) overrides it for every plan.
    std::string backend = "cpu";
    DataType dataType = DataType::Float32;
    /// One shape per graph input; overrides whatever the model file declared.
    std::vector<Shape> dims;
};

/// Runs a graph: compile() orders the nodes, infers every shape once and
/// allocates every buffer; forward() then only runs kernels.
///
/// The compiled plan (backend "cpu") differs from the graph without changing
/// it: a BatchNormalization that follows a Conv runs as the conv's
/// per-channel epilogue (scale and shift computed from its live parameters at
/// every run), and an activation whose input is only read by it runs in its producer's epilogue
/// (Conv, Gemm, BatchNormalization, Add/Sub/Mul/Div/Sum). Intermediate
/// tensors share a few buffers planned at compile time (element-wise steps
/// write in place when their input dies). When a hook (graph.hooks()) is
/// installed on a node that was fused away, that step runs unfused so the
/// hook sees the node's real input; when that node is the step's activation
/// and all its hooks have a SignStatsHook form (FIBNLR measuring), the step
/// stays fused and its kernel accumulates the statistics in its epilogue.
///
/// forward() accepts inputs whose batch size (dim 0) differs from the
/// compiled one (a partial last batch) by re-planning; any other difference
/// is an error. When the graph changed since compile (a recipe rewrote it),
/// forward() compiles again with the same options.
///
/// Threads and failures: the constructor and forward() hold the graph's lock
/// (GraphView::mutex), so one graph run from several threads runs one call at
/// a time; different graphs run in parallel. forward() gives the strong
/// guarantee: a new plan (new batch size, changed graph) is built and run
/// aside and replaces the current one only when the run succeeded, so after
/// any exception (std::bad_alloc, a stop check, a hook) the scheduler and its
/// compiled dims are exactly as before and the call can be retried.
class Scheduler : public Executor {
public:
    Scheduler(GraphView& graph, CompileOptions options);

    std::vector<Tensor> forward(const std::vector<Tensor>& inputs);

    const CompileOptions& options() const { return mOptions; }
    /// The shape of output `index` of `node`, as inferred at compile time.
    const Shape& outputShape(const Node& node, std::size_t index = 0) const;
    /// One line per step: node names, kernel name (for profiling and tests).
    std::vector<std::string> describePlan() const;
    /// Floats held by the planned intermediate buffers (not weights, not inputs).
    std::size_t plannedFloats() const { return mPlannedFloats; }
    /// Per-step timing, off by default (two clock reads per step when on).
    /// While on, every forward that succeeds adds each step's wall time; a
    /// re-plan (new batch size, changed graph) starts afresh. setProfiling
    /// also clears what was measured.
    void setProfiling(bool on);
    bool profiling() const { return mProfiling; }
    /// Forwards timed since profiling was (re)started or the plan was rebuilt.
    std::size_t profiledRuns() const { return mProfiledRuns; }
    /// Mean seconds per timed forward of each step, in describePlan() order
    /// (zeros when no forward was timed).
    std::vector<double> stepSeconds() const;
    void countNodeReferences(std::unordered_map<const Node*, std::size_t>& counts) const override;

private:
    struct Step {
        NodePtr node;       ///< first node of the step (its input 0 is the step's input 0)
        OperatorPtr op;     ///< what the kernel runs: node's operator or a FusedOp
        KernelFn kernel = nullptr;
        std::string kernelName;
        std::vector<const Tensor*> inputs;
        std::vector<Tensor*> outputs;
        /// For a fused step: each node of the chain with its own kernel and
        /// operands, writing the step's output in place; run when one of them has a hook.
        std::vector<Step> unfused;
        /// For a step ending in a fused activation: the same step also
        /// accumulating the activation's input statistics (for SignStatsHooks).
        OperatorPtr countingOp;
        std::shared_ptr<EpilogueStats> stats;
        /// What the step's kernel keeps between runs (kernels/StepState.hpp).
        std::shared_ptr<std::unique_ptr<StepState>> state = std::make_shared<std::unique_ptr<StepState>>();
        double seconds = 0;  ///< wall time summed over the timed forwards (setProfiling)
    };
    /// Builds the plan: planShapes, planFusion, planBuffers, planKernels in turn.
    void plan();
    /// A step before buffers exist (Scheduler.cpp).
    struct Proto;
    using ShapeMap = std::unordered_map<const Node*, std::vector<Shape>>;
    using ValueMap = std::unordered_map<const Node*, std::vector<Tensor>>;
    /// Phase 1: every node's output shapes at the compiled dims, refusing what
    /// the kernels cannot run; returns the operator nodes in execution order.
    std::vector<NodePtr> planShapes(ShapeMap& shapes) const;
    /// Phase 2: one step per node, or per fused chain (Conv+BatchNorm,
    /// producer+activation, Conv+per-channel PReLU) when `fuse`.
    std::vector<Proto> planFusion(const std::vector<NodePtr>& compute, const ShapeMap& shapes, bool fuse) const;
    /// Phase 3: a buffer for every step output in shared slots (in place and
    /// views where possible), added to `values`; returns the floats planned.
    std::size_t planBuffers(const std::vector<Proto>& protos, const ShapeMap& shapes, ValueMap& values) const;
    /// Phase 4: the kernel and operand pointers of every step (pointers into `values`).
    std::vector<Step> planKernels(const std::vector<Proto>& protos, ValueMap& values, const std::string& backend) const;
    /// Runs the current plan on `inputs` (already checked against it).
    std::vector<Tensor> run(const std::vector<Tensor>& inputs);
    /// Exchanges the compiled state (options, plan, buffers) with `other`, a
    /// scheduler of the same graph. Cannot fail.
    void swapState(Scheduler& other) noexcept;
    std::string effectiveBackend() const;
    void runStep(const Step& s, const Hooks& hooks) const;
    /// Sum of the revisions of every operator: changes when any attribute or parameter changed.
    std::size_t operatorRevision() const;

    GraphView& mGraph;
    CompileOptions mOptions;
    std::size_t mGraphVersion = 0, mOperatorRevision = 0, mKernelsRevision = 0, mPlannedFloats = 0;
    bool mProfiling = false;
    std::size_t mProfiledRuns = 0;
    ValueMap mValues;
    ShapeMap mShapes;
    std::vector<Step> mSteps;
};

/// Compiles `graph` and attaches the result to it (replacing any previous one).
Scheduler& compile(GraphView& graph, CompileOptions options);
/// Runs the scheduler attached by compile(); throws when the graph was never compiled.
std::vector<Tensor> forward(GraphView& graph, const std::vector<Tensor>& inputs);

} // namespace fibnlr
