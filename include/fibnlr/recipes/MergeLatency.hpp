#pragma once
// Measured latency of candidate merge segments, for the "latency" merge objective.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "fibnlr/graph/GraphView.hpp"

namespace fibnlr {

/// Seconds per forward of `graph` (one candidate segment, or one layer, fed
/// by one input) at input dims `dims`.
using LatencyTimer = std::function<double(GraphView& graph, const Shape& dims)>;

/// The default timer: `graph` compiled on fibnlr's cpu backend at `dims`,
/// the minimum over several runs (at least 5, and at least ~20 ms in all) after a warm-up.
double timeOnBackend(GraphView& graph, const Shape& dims);

/// A new graph "segment" holding copies of `layers` (each fed by the previous
/// one on input 0, every other input a copy of its constant Producer) and one input.
std::shared_ptr<GraphView> layersGraph(const std::vector<NodePtr>& layers);

/// `timer` on layersGraph(layers) at `dims`, cached in this process under
/// `timerName`, the kernel set (set_kernels) and the layers' types,
/// attributes and parameter shapes with `dims`: timing depends on shapes, not
/// on weight values, so blocks of the same shape are timed once.
double segmentLatency(const std::vector<NodePtr>& layers, const Shape& dims, const LatencyTimer& timer,
                      const std::string& timerName);

} // namespace fibnlr
