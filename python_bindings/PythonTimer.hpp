#pragma once
// The latency timer a latency_runtime name stands for, shared by the merge and plan_depth bindings.
#include <string>

#include "fibnlr/recipes/MergeLatency.hpp"

namespace fibnlr::bindings {

/// null for "fibnlr" (the core times on its own backend); for "onnxruntime"
/// fibnlr.merge_latency.onnxruntime_timer(), called with the GIL (ValueError
/// there when onnxruntime is not installed); std::invalid_argument naming any other name.
LatencyTimer pythonTimer(const std::string& runtime);

} // namespace fibnlr::bindings
