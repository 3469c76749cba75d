#pragma once
#include <string>
#include <vector>

#include <fibnlr/graph/GraphView.hpp>

/// Folds a constant per-channel (or scalar) Mul that follows a Conv into the
/// convolution: Conv(x; W, B) · s  ==  Conv(x; W·s, B·s), with s[o] scaling
/// output channel o's kernel W[o, ...] and bias B[o] (or bias-map row B[o, ...]).
/// PyTorch writes such a Mul for a layer scale (`x * self.gamma`) or a fixed
/// rescaling (`conv(x) * 0.5`).
///
/// Pattern: Mul whose one operand is output 0 of a Conv and whose other is a
/// float32 Producer holding one value, or M values along the channel axis of
/// the conv output (shapes [M, 1, 1], [1, M, 1, 1], ... for a 2-D conv).
/// Conditions, structural first: the Conv has the Mul as its only consumer
/// and is no graph output (else its unscaled value is still needed); its W is
/// a Producer; its B, if connected, is a Producer too. A Mul that does not
/// match is left alone: that is not an error.
///
/// Rewrites through GraphView::replace (all checks before any change), so the
/// graph is either fully rewritten or unchanged. Returns the names of the
/// folded Mul nodes, in topological order; a second call returns none.
std::vector<std::string> foldConvScale(fibnlr::GraphView& graph);
