#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"
#include "fibnlr/kernels/Kernel.hpp"

namespace fibnlr {

struct CompileOptions {
    std::string backend = "cpu";  ///< "cpu" (fast kernels where available) or "ref"
    DataType dataType = DataType::Float32;
    /// One shape per graph input; overrides whatever the model file declared.
    std::vector<Shape> dims;
};

/// Runs a graph: compile() orders the nodes, infers every shape once and
/// allocates every buffer; forward() then only runs kernels.
///
/// forward() accepts inputs whose batch size (dim 0) differs from the
/// compiled one (a partial last batch) by re-planning; any other difference
/// is an error. When the graph changed since compile (a recipe rewrote it),
/// forward() compiles again with the same options.
class Scheduler : public Executor {
public:
    Scheduler(GraphView& graph, CompileOptions options);

    std::vector<Tensor> forward(const std::vector<Tensor>& inputs);

    const CompileOptions& options() const { return mOptions; }
    /// The shape of output `index` of `node`, as inferred at compile time.
    const Shape& outputShape(const Node& node, std::size_t index = 0) const;

private:
    struct Step {
        NodePtr node;
        KernelFn kernel;
        std::vector<const Tensor*> inputs;
        std::vector<Tensor*> outputs;
    };
    void plan();
    /// Sum of the revisions of every operator: changes when any attribute or parameter changed.
    std::size_t operatorRevision() const;

    GraphView& mGraph;
    CompileOptions mOptions;
    std::size_t mGraphVersion = 0, mOperatorRevision = 0;
    std::unordered_map<const Node*, std::vector<Tensor>> mValues;
    std::vector<Step> mSteps;
};

/// Compiles `graph` and attaches the result to it (replacing any previous one).
Scheduler& compile(GraphView& graph, CompileOptions options);
/// Runs the scheduler attached by compile(); throws when the graph was never compiled.
std::vector<Tensor> forward(GraphView& graph, const std::vector<Tensor>& inputs);

} // namespace fibnlr
