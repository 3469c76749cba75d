#pragma once
// The constant part f(0) of a chain of linear layers, carried by the merged
// conv as its bias (docs/merging.md): a chain with no non-linearity is affine,
// f(x) = L(x) + f(0), and the merged kernel computes L; its bias is f(0).
#include <string>
#include <vector>

#include "fibnlr/graph/Node.hpp"

namespace fibnlr {

/// Runs a copy of `chain` (nodes fed one after the other on input 0, every
/// other input a constant Producer) on the cpu backend, fed `x` of dims
/// `inDims`; returns the chain's output. The graph holding `chain` is untouched.
Tensor runLayers(const std::vector<NodePtr>& chain, const Shape& inDims, const Tensor& x);

/// f(0) of `chain` for one image of input dims `inDims` (batch ignored):
/// the chain's output on an all-zero input, shape [M, *S'] (batch dim dropped).
Tensor chainBiasMap(const std::vector<NodePtr>& chain, const Shape& inDims);

/// True when `bias` is a bias map (rank > 1), not a per-channel bias [M].
inline bool isBiasMap(const Tensor& bias) { return bias.nbDims() > 1; }

/// `map` [M, *S'] as a per-channel bias [M] when every channel holds one value
/// exactly; otherwise `map` itself. A per-channel bias keeps the conv free of
/// any input size.
Tensor compactBias(const Tensor& map);

} // namespace fibnlr
