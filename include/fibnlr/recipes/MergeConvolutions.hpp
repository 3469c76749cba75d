#pragma once
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"
#include "fibnlr/recipes/MergeLatency.hpp"

namespace fibnlr {

enum class MergeMode {
    Exact,        ///< merge only where the result equals the original on every input
    Approximate,  ///< also merge padded chains (border band differs); deviation measured
};
/// "exact" or "approximate"; throws std::invalid_argument otherwise.
MergeMode parseMergeMode(const std::string& mode);
std::string toString(MergeMode mode);

/// What the merge plan of a chain minimises.
enum class MergeObjective {
    Macs,     ///< multiply-accumulates per image (then the fewest layers)
    Latency,  ///< measured time of each candidate segment at the input dims (then the fewest layers)
    Layers,   ///< the fewest layers, then MACs (max_mac_growth bounds each merge)
};
/// "macs", "latency" or "layers"; throws std::invalid_argument naming the value otherwise.
MergeObjective parseMergeObjective(const std::string& objective);
std::string toString(MergeObjective objective);

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
    /// What each chain's merge plan minimises (then the fewest layers).
    MergeObjective objective = MergeObjective::Macs;
    /// Latency objective: times a candidate; null: timeOnBackend. Timings are
    /// cached per (timerName, kernel set, layer geometry, input dims).
    LatencyTimer timer;
    std::string timerName = "fibnlr";
};

struct MergeRecord {
    std::vector<std::string> nodes;  ///< merged layers, first to last
    std::string newNode;
    double macsBefore = 0, macsAfter = 0;
    bool macsPerImage = false;  ///< false: per output position (no input dims known)
    /// The objective's cost of the layers merged and of the merged layer
    /// (MACs as above, or seconds per forward for the latency objective).
    double costBefore = 0, costAfter = 0;
    bool exact = true;          ///< the merged layer equals the chain on every input (of the merged size when biasMap)
    /// The merged conv's bias is the chain's f(0) per output position (valid
    /// only at the input size it was merged for), not a per-channel bias.
    bool biasMap = false;
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
/// the chain, on its data input (directly or through Identity / inference
/// Dropout nodes used once, which the merge removes), and is not a graph
/// output. For each maximal chain, picks by dynamic programming the partition
/// into merged segments of least total cost (objective: MACs, measured
/// latency, or layers; ties go to fewer layers) such that every segment is mergeable: constant
/// weights, explicit padding, matching channels, MACs within maxMacGrowth,
/// and in exact mode no padded layer after a layer of extent > 1
/// (docs/merging.md). A bias before a padded layer makes the composed
/// per-channel bias wrong in the border band: when the input size is known
/// (inputDims or a compiled graph) the merged conv then carries the chain's
/// output on zeros, f(0), as a bias map [M, *S'] (exact, but only at that
/// size; a per-channel bias when f(0) is constant per channel); without it
/// exact mode keeps such layers apart. Conv maths: see ConvMerge.hpp; Gemm:
/// W = W1·W2, C = C1·W2 + C2. Merged nodes are named "<first>+<last>"
/// (deterministic) and take over the last layer's output.
///
/// Every adjacent pair left apart (and every conv whose output also goes
/// elsewhere) is listed in `skipped` with the reason. All weights and probes
/// are computed before the graph changes; bad input (mismatched channels,
/// computed weights, a failed probe) is skipped, never half-applied. Throws
/// std::invalid_argument for maxMacGrowth <= 0 or NaN, input dims that do
/// not fit the graph, or the latency objective without input dims.
MergeResult mergeConvolutions(GraphView& graph, const MergeOptions& options = {});

} // namespace fibnlr
