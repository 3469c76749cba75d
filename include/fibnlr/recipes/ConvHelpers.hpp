#pragma once
// Convolution helpers of the FIBNLR recipe library (as upstream), with the
// exact composition geometry of docs/merging.md.
#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>

#include "fibnlr/graph/Node.hpp"
#include "fibnlr/operator/Conv.hpp"

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

/// Kernel of `a` then `b` per axis: K = e1 + (e2 − 1)·s1 with extent
/// e = (k − 1)·d + 1 (upstream's (k1 − 1)·s2 + k2 is wrong when s1 != 1).
template <std::size_t DIM> std::array<std::size_t, DIM> computeKernelDims(const NodePtr& a, const NodePtr& b) {
    const auto k1 = getKernelDims<DIM>(a), k2 = getKernelDims<DIM>(b);
    const auto d1 = getKernelDilations<DIM>(a), d2 = getKernelDilations<DIM>(b);
    const auto s1 = getKernelStrides<DIM>(a);
    std::array<std::size_t, DIM> k{};
    for (std::size_t i = 0; i < DIM; ++i) {
        const std::size_t e1 = (k1[i] - 1) * d1[i] + 1, e2 = (k2[i] - 1) * d2[i] + 1;
        k[i] = e1 + (e2 - 1) * s1[i];
    }
    return k;
}
/// Stride of `a` then `b` per axis: S = s1·s2.
template <std::size_t DIM> std::array<std::size_t, DIM> computeKernelStrides(const NodePtr& a, const NodePtr& b) {
    const auto s1 = getKernelStrides<DIM>(a), s2 = getKernelStrides<DIM>(b);
    std::array<std::size_t, DIM> s{};
    for (std::size_t i = 0; i < DIM; ++i) s[i] = s1[i] * s2[i];
    return s;
}
/// Padding of `a` then `b` per axis (begin and end): P = p1 + s1·p2.
template <std::size_t DIM> std::array<std::size_t, 2 * DIM> computeKernelPads(const NodePtr& a, const NodePtr& b) {
    detail::checkDim<DIM>(*a);
    detail::checkDim<DIM>(*b);
    const auto p1 = detail::perAxis(detail::convOp(*a).attrs.pads, 2 * DIM, 0, *a, "pads");
    const auto p2 = detail::perAxis(detail::convOp(*b).attrs.pads, 2 * DIM, 0, *b, "pads");
    const auto s1 = getKernelStrides<DIM>(a);
    std::array<std::size_t, 2 * DIM> p{};
    for (std::size_t i = 0; i < 2 * DIM; ++i) p[i] = static_cast<std::size_t>(p1[i] + static_cast<std::int64_t>(s1[i % DIM]) * p2[i]);
    return p;
}

/// Builds a node for `a` then `b` (no weights connected, dilation 1): the
/// composed kernel, stride and padding above; channels in of `a`, out of
/// `b`; depthwise∘depthwise stays depthwise, anything else is dense.
/// Throws std::invalid_argument when `a` and `b` are not Convs of DIM axes or
/// when b's input channels differ from a's output channels.
NodePtr convFromImpl(const NodePtr& a, const NodePtr& b, std::size_t dim);
template <std::size_t DIM> NodePtr convFrom(const NodePtr& a, const NodePtr& b) { return convFromImpl(a, b, DIM); }

} // namespace fibnlr
