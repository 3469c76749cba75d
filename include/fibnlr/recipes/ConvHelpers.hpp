#pragma once
// Convolution helpers of the FIBNLR recipe library (as upstream), with the
// exact composition geometry of docs/merging.md (composeGeometry, ConvMerge.hpp).
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "fibnlr/graph/Node.hpp"
#include "fibnlr/operator/Conv.hpp"
#include "fibnlr/recipes/ConvMerge.hpp"

namespace fibnlr {

/// True for a Conv node.
bool isConv(const NodePtr& node);
/// True for a constant (Producer) node, i.e. a tensor held by the graph.
bool isTensor(const NodePtr& node);
/// True when an output of `parent` feeds an input of `child`.
bool isChildOf(const NodePtr& child, const NodePtr& parent);

namespace detail {
const ConvOp& convOp(const Node& node);
/// The weight dims [M, C/group, k...] of a Conv node (from its W producer).
Shape convWeightDims(const Node& node);
std::vector<std::int64_t> perAxis(const std::vector<std::int64_t>& values, std::size_t nbAxes, std::int64_t dflt,
                                  const Node& node, const char* what);
std::size_t nbSpatial(const Node& node);
} // namespace detail

namespace detail {
template <std::size_t DIM> std::array<std::size_t, DIM> toArray(const std::vector<std::int64_t>& v) {
    std::array<std::size_t, DIM> a{};
    for (std::size_t i = 0; i < DIM; ++i) a[i] = static_cast<std::size_t>(v.at(i));
    return a;
}
template <std::size_t N> std::array<std::size_t, N> toArray(const Shape& v) {
    std::array<std::size_t, N> a{};
    for (std::size_t i = 0; i < N; ++i) a[i] = v.at(i);
    return a;
}
template <std::size_t DIM> void checkDim(const Node& node) {
    if (nbSpatial(node) != DIM)
        throw std::invalid_argument(describe(node) + " has " + std::to_string(nbSpatial(node)) +
                                    " spatial axes, expected " + std::to_string(DIM));
}
inline std::vector<std::int64_t> kernelOf(const Node& node) {
    const ConvOp& op = convOp(node);
    if (!op.attrs.kernelShape.empty()) return op.attrs.kernelShape;
    const Shape w = convWeightDims(node);
    return std::vector<std::int64_t>(w.begin() + 2, w.end());
}
} // namespace detail

/// Kernel size per spatial axis.
template <std::size_t DIM> std::array<std::size_t, DIM> getKernelDims(const NodePtr& conv) {
    detail::checkDim<DIM>(*conv);
    return detail::toArray<DIM>(detail::kernelOf(*conv));
}
template <std::size_t DIM> std::array<std::size_t, DIM> getKernelStrides(const NodePtr& conv) {
    detail::checkDim<DIM>(*conv);
    return detail::toArray<DIM>(detail::perAxis(detail::convOp(*conv).attrs.strides, DIM, 1, *conv, "strides"));
}
template <std::size_t DIM> std::array<std::size_t, DIM> getKernelDilations(const NodePtr& conv) {
    detail::checkDim<DIM>(*conv);
    return detail::toArray<DIM>(detail::perAxis(detail::convOp(*conv).attrs.dilations, DIM, 1, *conv, "dilations"));
}
/// Begin padding per axis (ONNX pads are [begin..., end...]).
template <std::size_t DIM> std::array<std::size_t, DIM> getKernelPads(const NodePtr& conv) {
    detail::checkDim<DIM>(*conv);
    auto pads = detail::perAxis(detail::convOp(*conv).attrs.pads, 2 * DIM, 0, *conv, "pads");
    return detail::toArray<DIM>(pads);
}
/// Input channels (weight dim 1 times group).
template <std::size_t DIM> std::size_t inChannels(const NodePtr& conv) {
    detail::checkDim<DIM>(*conv);
    return detail::convWeightDims(*conv)[1] * static_cast<std::size_t>(detail::convOp(*conv).attrs.group);
}
/// Output channels (weight dim 0).
template <std::size_t DIM> std::size_t outChannels(const NodePtr& conv) {
    detail::checkDim<DIM>(*conv);
    return detail::convWeightDims(*conv)[0];
}

/// The geometry of `a` then `b`, read from the nodes (attributes and W's
/// dims, no weights) and composed by composeGeometry (ConvMerge.hpp, which
/// states the formulas and the group rule). Throws std::invalid_argument
/// naming the nodes when either is not a Conv of `dim` spatial axes, has an
/// auto_pad other than NOTSET, negative or miscounted strides, dilations or
/// pads, or when b's input channels differ from a's output channels.
ConvLayer composedGeometry(const NodePtr& a, const NodePtr& b, std::size_t dim);

/// Kernel of `a` then `b` per axis: K = e1 + (e2 − 1)·s1 with extent
/// e = (k − 1)·d + 1 (upstream's (k1 − 1)·s2 + k2 is wrong when s1 != 1).
template <std::size_t DIM> std::array<std::size_t, DIM> computeKernelDims(const NodePtr& a, const NodePtr& b) {
    return detail::toArray<DIM>(composedGeometry(a, b, DIM).kernel);
}
/// Stride of `a` then `b` per axis: S = s1·s2.
template <std::size_t DIM> std::array<std::size_t, DIM> computeKernelStrides(const NodePtr& a, const NodePtr& b) {
    return detail::toArray<DIM>(composedGeometry(a, b, DIM).strides);
}
/// Padding of `a` then `b` per axis, begins then ends (ONNX order): P = p1 + s1·p2.
template <std::size_t DIM> std::array<std::size_t, 2 * DIM> computeKernelPads(const NodePtr& a, const NodePtr& b) {
    const ConvLayer g = composedGeometry(a, b, DIM);
    Shape pads = g.padBegin;
    pads.insert(pads.end(), g.padEnd.begin(), g.padEnd.end());
    return detail::toArray<2 * DIM>(pads);
}

/// Builds a node for `a` then `b` with composedGeometry's kernel, stride,
/// padding and group (dilation 1; no weights connected); channels in of `a`,
/// out of `b`. Throws as composedGeometry.
NodePtr convFromImpl(const NodePtr& a, const NodePtr& b, std::size_t dim);
template <std::size_t DIM> NodePtr convFrom(const NodePtr& a, const NodePtr& b) { return convFromImpl(a, b, DIM); }

} // namespace fibnlr
