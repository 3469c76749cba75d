#pragma once
// Geometry and weights of two linear layers applied one after the other,
// as one layer (docs/merging.md). Pure maths on tensors: no graph rewiring.
#include <string>
#include <vector>

#include "fibnlr/graph/Node.hpp"

namespace fibnlr {

/// A Conv resolved for merging: every list has one value per spatial axis,
/// pads are explicit (auto_pad SAME_* cannot be resolved without input dims).
struct ConvLayer {
    std::size_t inChannels = 0, outChannels = 0, group = 1;
    Shape kernel, strides, dilations, padBegin, padEnd;
    Tensor weight;  ///< [outChannels, inChannels / group, *kernel]
    Tensor bias;    ///< [outChannels], a bias map [outChannels, *output size], or empty for no bias

    std::size_t nbSpatial() const { return kernel.size(); }
    /// (k - 1)·d + 1 on axis `a`.
    std::size_t extent(std::size_t a) const { return (kernel[a] - 1) * dilations[a] + 1; }
    bool hasPadding(std::size_t a) const { return padBegin[a] + padEnd[a] > 0; }
    /// Multiply-accumulates per output position (one image): out · in/group · prod(kernel).
    double macsPerOutput() const;
    std::size_t nbParameters() const { return weight.size() + bias.size(); }
};

/// A Gemm Y = A · W + C resolved for merging: W is [in, out] (transB applied,
/// alpha folded in), C is [out] (beta folded in) or empty. transA of the
/// original is kept in `transA`.
struct GemmLayer {
    std::size_t inFeatures = 0, outFeatures = 0;
    std::int64_t transA = 0;
    Tensor weight;  ///< [inFeatures, outFeatures]
    Tensor bias;    ///< [outFeatures] or empty
};

/// Reads a Conv node. Throws std::invalid_argument naming the node when it
/// cannot be merged: weights or bias not constant Producers, auto_pad SAME_*,
/// a weight shape that does not match the attributes.
ConvLayer readConv(const Node& conv);
/// Reads a Gemm node (same errors; C must be constant and of shape [N] or [1, N]).
GemmLayer readGemm(const Node& gemm);

/// Merged geometry of `first` then `second` (weights left empty): the one
/// composition rule, also behind ConvHelpers (convFrom, computeKernel*).
/// Throws std::invalid_argument when first's output channels differ from
/// second's input channels or the spatial ranks differ.
///
/// Per spatial axis, with extent e = (k - 1)·d + 1:
///   K = e1 + (e2 - 1)·s1,  S = s1·s2,  P = p1 + s1·p2 (begin and end apart),  dilation 1.
/// Groups: gcd(g1, g2). Why: a merged output channel depends on the input
/// channels its path reaches. The middle channels fall into g1 blocks of
/// M/g1 (first's groups) and g2 blocks of M/g2 (second's); blocks that share
/// a channel tie their groups together, and the tied sets are the gcd(g1, g2)
/// blocks of M/gcd. Each such set reads its own C/gcd inputs and writes its
/// own O/gcd outputs, so the merged conv is exact with that many groups and
/// with no more. So grouped∘grouped with matching groups stays grouped (g);
/// depthwise∘depthwise stays depthwise (g1 = C and g2 a multiple of C,
/// channel multipliers included); with a dense layer (group 1), or groups
/// with no common factor, it is dense.
ConvLayer composeGeometry(const ConvLayer& first, const ConvLayer& second);
/// Merged geometry and weights: W[o, c, a·d2·s1 + i·d1] += Σ_m W2[o, m, a]·W1[m, c, i],
/// B = b2 + Σ_{m, taps} W2·b1 (accumulated in double). That bias is right
/// only where exactnessProblem finds no bias problem; when either layer
/// carries a bias map the result has no bias: f(0) of the chain
/// (chainBiasMap, BiasMap.hpp) is the merged bias then.
ConvLayer composeConvs(const ConvLayer& first, const ConvLayer& second);
/// Empty when `second` after `first` equals the merged conv on every input;
/// otherwise why not. Exact iff on every axis where `second` pads, `first`
/// has extent 1 and `first` has no (or an all-zero) bias: then the values
/// the merged conv sees in the padded band are exactly the zeros `second` pads with.
/// With the bias test off (firstHasBias false) this is the test for the
/// linear part L alone, which is what a merge carrying f(0) as a bias map needs.
std::string exactnessProblem(const ConvLayer& first, const ConvLayer& second);
/// The same test from the geometry of `first` and whether its bias has a non-zero value.
std::string exactnessProblem(const ConvLayer& first, bool firstHasBias, const ConvLayer& second);
/// True when `bias` holds a non-zero value.
bool hasNonZero(const Tensor& bias);

GemmLayer composeGemms(const GemmLayer& first, const GemmLayer& second);

/// A new Conv node (with Producers "<name>_W" and "<name>_B", or the given names).
NodePtr makeConvNode(const ConvLayer& layer, const std::string& name, const std::string& weightName = "",
                     const std::string& biasName = "");
/// A new Gemm node computing A · W + C (transB = 1, alpha = beta = 1).
NodePtr makeGemmNode(const GemmLayer& layer, const std::string& name, const std::string& weightName = "",
                     const std::string& biasName = "");

} // namespace fibnlr
