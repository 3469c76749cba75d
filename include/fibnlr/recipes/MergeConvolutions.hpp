#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"

namespace fibnlr {

enum class MergeMode {
    Exact,        ///< merge only where the result equals the original on every input
    Approximate,  ///< also merge padded chains (border band differs); deviation measured
};
/// "exact" or "approximate"; throws std::invalid_argument otherwise.
MergeMode parseMergeMode(const std::string& mode);
std::string toString(MergeMode mode);

struct MergeOptions {
    MergeMode mode = MergeMode::Exact;
    /// A merge is skipped when its MACs exceed this factor times the MACs of
    /// the layers it replaces (1.0: never make a layer more expensive;
    /// infinity: no limit). Must be > 0.
    double maxMacGrowth = 1.0;
    /// Graph input dims. When given (or when the graph is compiled), MACs are
    /// per image with the real feature-map sizes and the approximate-mode
    /// probe uses the real input size of each chain; otherwise MACs are per
    /// output position of the chain (interior, borders ignored). Dims that
    /// do not fit the graph throw std::invalid_argument.
    std::vector<Shape> inputDims;
    std::uint32_t probeSeed = 0;
};

struct MergeRecord {
    std::vector<std::string> nodes;  ///< merged layers, first to last
    std::string newNode;
    double macsBefore = 0, macsAfter = 0;
    bool macsPerImage = false;  ///< false: per output position (no input dims known)
    bool exact = true;          ///< the merged layer equals the chain on every input
    /// Approximate mode: max |merged - original| on a probe input (N(0,1), batch 1); NaN in exact mode.
    double maxDeviation = std::numeric_limits<double>::quiet_NaN();
};

struct SkippedMerge {
    std::vector<std::string> nodes;  ///< the two layers that stay apart
    std::string reason;
};

struct MergeResult {
    std::vector<MergeRecord> merged;
    std::vector<SkippedMerge> skipped;
};

/// Merges chains of linear layers that are back to back into one layer.
///
/// Anchor: Conv (or Gemm) whose output feeds only the next Conv (Gemm) of
/// the chain, on its data input, and is not a graph output. For each maximal
/// chain, picks the partition into merged segments with the fewest layers
/// (then the fewest MACs) such that every segment is mergeable: constant
/// weights, explicit padding, matching channels, MACs within maxMacGrowth,
/// and in exact mode no padded layer after a layer of extent > 1 or with a
/// bias (DESIGN section 5). Conv maths: see ConvMerge.hpp; Gemm: W = W1·W2,
/// C = C1·W2 + C2. Merged nodes are named "<first>+<last>" (deterministic)
/// and take over the last layer's output.
///
/// Every adjacent pair left apart (and every conv whose output also goes
/// elsewhere) is listed in `skipped` with the reason. All weights and probes
/// are computed before the graph changes; bad input (mismatched channels,
/// computed weights, a failed probe) is skipped, never half-applied. Throws
/// std::invalid_argument for maxMacGrowth <= 0 or NaN, or input dims that do
/// not fit the graph.
MergeResult mergeConvolutions(GraphView& graph, const MergeOptions& options = {});

} // namespace fibnlr
