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

namespace {
/// The geometry of Conv `n` (already checked to have `dim` spatial axes and
/// auto_pad NOTSET) as composeGeometry takes it: no weights.
ConvLayer geometryOf(const Node& n, std::size_t dim) {
    const ConvOp& op = detail::convOp(n);
    const Shape w = detail::convWeightDims(n);
    ConvLayer l;
    l.group = static_cast<std::size_t>(op.attrs.group);
    l.outChannels = w[0];
    l.inChannels = w[1] * l.group;
    const auto k = detail::kernelOf(n);
    const auto d = detail::perAxis(op.attrs.dilations, dim, 1, n, "dilations");
    const auto s = detail::perAxis(op.attrs.strides, dim, 1, n, "strides");
    const auto p = detail::perAxis(op.attrs.pads, 2 * dim, 0, n, "pads");
    for (std::size_t i = 0; i < dim; ++i) {
        l.kernel.push_back(static_cast<std::size_t>(k.at(i)));
        l.dilations.push_back(static_cast<std::size_t>(d[i]));
        l.strides.push_back(static_cast<std::size_t>(s[i]));
        l.padBegin.push_back(static_cast<std::size_t>(p[i]));
        l.padEnd.push_back(static_cast<std::size_t>(p[i + dim]));
    }
    return l;
}
} // namespace

ConvLayer composedGeometry(const NodePtr& a, const NodePtr& b, std::size_t dim) {
    if (!isConv(a) || !isConv(b))
        throw std::invalid_argument("convFrom: expected two Conv nodes, got " + (a ? describe(*a) : "null") + " and " +
                                    (b ? describe(*b) : "null"));
    if (detail::nbSpatial(*a) != dim || detail::nbSpatial(*b) != dim)
        throw std::invalid_argument("convFrom: " + describe(*a) + " and " + describe(*b) + " must have " +
                                    std::to_string(dim) + " spatial axes");
    for (const NodePtr& n : {a, b})
        if (detail::convOp(*n).attrs.autoPad != "NOTSET")
            throw std::invalid_argument("convFrom: " + describe(*n) + " has auto_pad " + detail::convOp(*n).attrs.autoPad +
                                        ", which is not supported; expected NOTSET");
    const ConvLayer ga = geometryOf(*a, dim), gb = geometryOf(*b, dim);
    if (gb.inChannels != ga.outChannels)
        throw std::invalid_argument("convFrom: " + describe(*b) + " takes " + std::to_string(gb.inChannels) +
                                    " channels but " + describe(*a) + " gives " + std::to_string(ga.outChannels));
    return composeGeometry(ga, gb);  // cannot fail now: channels and ranks match
}

NodePtr convFromImpl(const NodePtr& a, const NodePtr& b, std::size_t dim) {
    const ConvLayer g = composedGeometry(a, b, dim);
    ConvAttrs attrs;
    attrs.kernelShape.assign(g.kernel.begin(), g.kernel.end());
    attrs.strides.assign(g.strides.begin(), g.strides.end());
    attrs.dilations.assign(g.dilations.begin(), g.dilations.end());
    attrs.pads.assign(g.padBegin.begin(), g.padBegin.end());
    attrs.pads.insert(attrs.pads.end(), g.padEnd.begin(), g.padEnd.end());
    attrs.group = static_cast<std::int64_t>(g.group);
    return Node::create(std::make_shared<ConvOp>(attrs), a->name() + "_" + b->name());
}

} // namespace fibnlr
