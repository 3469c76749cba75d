#include "fibnlr/recipes/FoldResidual.hpp"

#include "fibnlr/recipes/ConvMerge.hpp"
#include "fibnlr/recipes/MergeUtils.hpp"

namespace fibnlr {

namespace {

/// Per spatial axis, the tap of `c` that reads input position o·stride; false when none exists.
bool centreTaps(const ConvLayer& c, Shape& taps) {
    taps.clear();
    for (std::size_t a = 0; a < c.nbSpatial(); ++a) {
        if (c.padBegin[a] + c.padEnd[a] + 1 != c.extent(a)) return false;  // output size = skip's size
        if (c.padBegin[a] % c.dilations[a] != 0) return false;
        taps.push_back(c.padBegin[a] / c.dilations[a]);
    }
    return true;
}

std::size_t tapOffset(const ConvLayer& c, const Shape& taps) {
    std::size_t off = 0;
    for (std::size_t a = 0; a < taps.size(); ++a) off = off * c.kernel[a] + taps[a];
    return off;
}

/// The folded conv for Add(main, skip), or null when the pattern's conditions fail.
NodePtr tryFold(const GraphView& graph, const NodePtr& add, const Port& main, const Port& skip, NodePtr& proj,
                std::vector<NodePtr>& old) {
    const NodePtr& conv = main.node;
    if (!conv || conv->type() != "Conv" || soleConsumer(graph, conv).node != add) return nullptr;
    const Port& x = conv->input(0);
    if (!x.node) return nullptr;
    ConvLayer c;
    try {
        c = readConv(*conv);
    } catch (const std::invalid_argument&) {
        return nullptr;
    }
    Shape taps;
    if (!centreTaps(c, taps)) return nullptr;
    ConvLayer p;
    proj = nullptr;
    if (skip == x) {
        if (c.inChannels != c.outChannels) return nullptr;
        for (std::size_t s : c.strides)
            if (s != 1) return nullptr;
    } else {
        proj = skip.node;
        if (!proj || proj == conv || proj->type() != "Conv" || proj->input(0) != x || soleConsumer(graph, proj).node != add)
            return nullptr;
        try {
            p = readConv(*proj);
        } catch (const std::invalid_argument&) {
            return nullptr;
        }
        if (p.group != 1 || c.group != 1 || p.inChannels != c.inChannels || p.outChannels != c.outChannels ||
            p.strides != c.strides || p.nbSpatial() != c.nbSpatial())
            return nullptr;
        for (std::size_t a = 0; a < p.nbSpatial(); ++a)
            if (p.kernel[a] != 1 || p.padBegin[a] != 0 || p.padEnd[a] != 0) return nullptr;
    }
    ConvLayer r = c;
    r.weight = c.weight.clone();
    const std::size_t ks = numElements(c.kernel), off = tapOffset(c, taps);
    const std::size_t cpg = c.inChannels / c.group, opg = c.outChannels / c.group;
    float* w = r.weight.data<float>();
    if (!proj) {
        for (std::size_t o = 0; o < c.outChannels; ++o) w[(o * cpg + (o - (o / opg) * cpg)) * ks + off] += 1.f;
    } else {
        const float* wp = p.weight.data<float>();
        for (std::size_t o = 0; o < c.outChannels; ++o)
            for (std::size_t ci = 0; ci < c.inChannels; ++ci) w[(o * cpg + ci) * ks + off] += wp[o * c.inChannels + ci];
        if (!p.bias.empty()) {
            if (p.bias.nbDims() > 1) return nullptr;  // a projection carrying a bias map: left as is
            // c's bias may be a map [M, *S'] (a merged chain's f(0)): the projection's bias adds to every position.
            r.bias = c.bias.empty() ? Tensor({c.outChannels}) : c.bias.clone();
            const std::size_t per = r.bias.size() / c.outChannels;
            for (std::size_t o = 0; o < c.outChannels; ++o)
                for (std::size_t i = 0; i < per; ++i) r.bias.data<float>()[o * per + i] += p.bias.data<float>()[o];
        }
    }
    old = {conv, add};
    if (proj) old.push_back(proj);
    for (const NodePtr& n : std::vector<NodePtr>(old))
        for (const NodePtr& q : privateProducers(graph, n)) old.push_back(q);
    NodePtr n = makeConvNode(r, conv->name(), freeName(graph, conv->name() + "_W", old),
                             freeName(graph, conv->name() + "_B", old));
    inheritOutputNames(n, *add);
    return n;
}

} // namespace

std::vector<ResidualFold> foldResidual(GraphView& graph) {
    std::vector<ResidualFold> done;
    for (const NodePtr& add : graph.getNodes()) {
        if (!graph.contains(add) || (add->type() != "Add" && add->type() != "Sum") || add->nbInputs() != 2) continue;
        for (std::size_t m = 0; m < 2; ++m) {
            NodePtr proj;
            std::vector<NodePtr> old;
            NodePtr n = tryFold(graph, add, add->input(m), add->input(1 - m), proj, old);
            if (!n) continue;
            const std::string convName = add->input(m).node->name();
            graph.replace(old, {n});
            done.push_back({add->name(), convName, proj ? "projection" : "identity", proj ? proj->name() : "", n->name()});
            break;
        }
    }
    return done;
}

} // namespace fibnlr
