#pragma once
#include <string>
#include <vector>

#include "fibnlr/recipes/FoldBatchNorm.hpp"
#include "fibnlr/recipes/FoldResidual.hpp"
#include "fibnlr/recipes/MergeConvolutions.hpp"

namespace fibnlr {

struct SimplifyOptions {
    MergeOptions merge;  ///< mode, max_mac_growth, input dims (for per-image MACs), probe seed
    bool foldBatchNorm = true;
    bool removeIdentity = true;
    bool foldResidual = true;
    std::size_t maxRounds = 8;  ///< merge / fold-residual rounds (each round can enable the next)
};

/// One compute node (not Producer or Input) of the graph.
struct LayerCost {
    std::string name, type;
    double macs = 0;  ///< per image for Conv and Gemm when input dims are known, else 0
    std::size_t params = 0;
};

struct SimplifyResult {
    std::vector<BatchNormFold> batchNormFolds;
    std::vector<std::string> removedIdentities;
    std::vector<MergeRecord> merged;           ///< all rounds
    std::vector<ResidualFold> residualFolds;   ///< all rounds
    std::vector<SkippedMerge> skipped;         ///< from the last round: what stays apart, and why
    std::vector<LayerCost> before, after;      ///< per layer, in topological order
    std::vector<std::string> layersRemoved;    ///< compute nodes of `before` absent from `after`
    bool macsKnown = false;
};

/// The depth-merging pipeline to run after pruning: fold BatchNorm, remove
/// Identity/Dropout, then merge convolution chains and fold residual skips
/// until neither changes anything. Returns what each step changed and a
/// per-layer cost table before and after. Throws std::invalid_argument for
/// invalid options or input dims that do not fit the graph, before changing anything.
SimplifyResult simplify(GraphView& graph, const SimplifyOptions& options = {});

/// The cost table of `graph` (MACs need `inputDims`, or a compiled graph).
std::vector<LayerCost> layerCosts(const GraphView& graph, const std::vector<Shape>& inputDims, bool* macsKnown = nullptr);

} // namespace fibnlr
