#include "fibnlr/recipes/ConvHelpers.hpp"

#include "fibnlr/operator/Producer.hpp"

namespace fibnlr {

bool isConv(const NodePtr& node) { return node && node->type() == "Conv"; }
bool isTensor(const NodePtr& node) { return node && node->type() == "Producer"; }

bool isChildOf(const NodePtr& child, const NodePtr& parent) {
    if (!child || !parent) return false;
    for (std::size_t i = 0; i < child->nbInputs(); ++i)
        if (child->input(i).node == parent) return true;
    return false;
}

namespace detail {

const ConvOp& convOp(const Node& node) {
    if (node.type() != "Conv") throw std::invalid_argument(describe(node) + " is not a Conv");
    return static_cast<const ConvOp&>(node.getOperator());
}

Shape convWeightDims(const Node& node) {
    convOp(node);
    NodePtr w = node.producer(1);
    if (!w) throw std::invalid_argument(describe(node) + " has no weight W producer");
    return static_cast<const ProducerOp&>(w->getOperator()).value().dims();
}

std::size_t nbSpatial(const Node& node) {
    const ConvOp& op = convOp(node);
    if (!op.attrs.kernelShape.empty()) return op.attrs.kernelShape.size();
    const Shape w = convWeightDims(node);
    if (w.size() < 3) throw std::invalid_argument(describe(node) + " weight has rank " + std::to_string(w.size()) + ", expected >= 3");
    return w.size() - 2;
}

std::vector<std::int64_t> perAxis(const std::vector<std::int64_t>& values, std::size_t n, std::int64_t dflt,
                                  const Node& node, const char* what) {
    if (values.empty()) return std::vector<std::int64_t>(n, dflt);
    if (values.size() != n)
        throw std::invalid_argument(describe(node) + " has " + std::to_string(values.size()) + " " + what +
                                    ", expected " + std::to_string(n));
    for (std::int64_t v : values)
        if (v < 0) throw std::invalid_argument(describe(node) + " has a negative value in " + what);
    return values;
}

} // namespace detail

NodePtr convFromImpl(const NodePtr& a, const NodePtr& b, std::size_t dim) {
    if (!isConv(a) || !isConv(b))
        throw std::invalid_argument("convFrom: expected two Conv nodes, got " + (a ? describe(*a) : "null") + " and " +
                                    (b ? describe(*b) : "null"));
    if (detail::nbSpatial(*a) != dim || detail::nbSpatial(*b) != dim)
        throw std::invalid_argument("convFrom: " + describe(*a) + " and " + describe(*b) + " must have " +
                                    std::to_string(dim) + " spatial axes");
    const ConvOp& opA = detail::convOp(*a);
    const ConvOp& opB = detail::convOp(*b);
    for (const ConvOp* op : {&opA, &opB})
        if (op->attrs.autoPad != "NOTSET")
            throw std::invalid_argument("convFrom: auto_pad " + op->attrs.autoPad + " is not supported, expected NOTSET");
    const Shape wa = detail::convWeightDims(*a), wb = detail::convWeightDims(*b);
    const std::size_t inA = wa[1] * static_cast<std::size_t>(opA.attrs.group), outA = wa[0];
    const std::size_t inB = wb[1] * static_cast<std::size_t>(opB.attrs.group), outB = wb[0];
    if (inB != outA)
        throw std::invalid_argument("convFrom: " + describe(*b) + " takes " + std::to_string(inB) + " channels but " +
                                    describe(*a) + " gives " + std::to_string(outA));
    ConvAttrs attrs;
    const auto kA = detail::kernelOf(*a), kB = detail::kernelOf(*b);
    const auto dA = detail::perAxis(opA.attrs.dilations, dim, 1, *a, "dilations");
    const auto dB = detail::perAxis(opB.attrs.dilations, dim, 1, *b, "dilations");
    const auto sA = detail::perAxis(opA.attrs.strides, dim, 1, *a, "strides");
    const auto sB = detail::perAxis(opB.attrs.strides, dim, 1, *b, "strides");
    const auto pA = detail::perAxis(opA.attrs.pads, 2 * dim, 0, *a, "pads");
    const auto pB = detail::perAxis(opB.attrs.pads, 2 * dim, 0, *b, "pads");
    attrs.kernelShape.resize(dim);
    attrs.strides.resize(dim);
    attrs.dilations.assign(dim, 1);
    attrs.pads.resize(2 * dim);
    for (std::size_t i = 0; i < dim; ++i) {
        const std::int64_t e1 = (kA[i] - 1) * dA[i] + 1, e2 = (kB[i] - 1) * dB[i] + 1;
        attrs.kernelShape[i] = e1 + (e2 - 1) * sA[i];
        attrs.strides[i] = sA[i] * sB[i];
        attrs.pads[i] = pA[i] + sA[i] * pB[i];
        attrs.pads[i + dim] = pA[i + dim] + sA[i] * pB[i + dim];
    }
    const bool dwA = opA.attrs.group > 1 && static_cast<std::size_t>(opA.attrs.group) == inA && outA == inA;
    const bool dwB = opB.attrs.group > 1 && static_cast<std::size_t>(opB.attrs.group) == inB && outB == inB;
    attrs.group = dwA && dwB ? opA.attrs.group : 1;
    (void)outB;
    return Node::create(std::make_shared<ConvOp>(attrs), a->name() + "_" + b->name());
}

} // namespace fibnlr
