#include "fibnlr/recipes/MergeConvolutions.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/recipes/BiasMap.hpp"
#include "fibnlr/recipes/ConvMerge.hpp"
#include "fibnlr/recipes/MergeUtils.hpp"

namespace fibnlr {

MergeMode parseMergeMode(const std::string& mode) {
    if (mode == "exact") return MergeMode::Exact;
    if (mode == "approximate") return MergeMode::Approximate;
    throw std::invalid_argument("merge mode '" + mode + "' is not valid; expected 'exact' or 'approximate'");
}

std::string toString(MergeMode mode) { return mode == MergeMode::Exact ? "exact" : "approximate"; }

MergeObjective parseMergeObjective(const std::string& objective) {
    if (objective == "macs") return MergeObjective::Macs;
    if (objective == "latency") return MergeObjective::Latency;
    if (objective == "layers") return MergeObjective::Layers;
    throw std::invalid_argument("objective '" + objective + "' is not valid; expected 'macs', 'latency' or 'layers'");
}

std::string toString(MergeObjective objective) {
    switch (objective) {
    case MergeObjective::Macs: return "macs";
    case MergeObjective::Latency: return "latency";
    case MergeObjective::Layers: return "layers";
    }
    return "?";
}

namespace {

bool isLinear(const NodePtr& n) { return n && (n->type() == "Conv" || n->type() == "Gemm"); }

/// Identity and inference Dropout: the identity on input 0 at inference.
bool isPassThrough(const NodePtr& n) {
    return n && (n->type() == "Identity" || n->type() == "Dropout") && n->nbInputs() >= 1 && n->input(0).node &&
           !n->producer(0);
}

/// The single consumer of output 0 of `n` when that is its only use and no other output is used; else null.
Port onlyUse(const GraphView& graph, const NodePtr& n) {
    for (std::size_t k = 1; k < n->nbOutputs(); ++k) {
        for (const Port& c : n->outputConsumers(k))
            if (graph.contains(c.node)) return Port{};
        for (const Port& o : graph.outputs())
            if (o.node == n && o.index == k) return Port{};
    }
    if (nbUses(graph, n) != 1) return Port{};
    for (const Port& c : n->outputConsumers(0))
        if (graph.contains(c.node)) return c;
    return Port{};
}

std::string num(double v) {
    std::ostringstream s;
    s.precision(3);
    s << v;
    return s.str();
}

struct ChainLayer {
    NodePtr node;
    bool isConv = true;
    ConvLayer conv;
    GemmLayer gemm;
    std::string error;      ///< why this layer cannot be merged at all
    double macs = 0;        ///< in the chain's unit (per image, or per output of the chain's last layer)
    double outUnits = 1;    ///< output positions of this layer in the chain's unit
};

struct SegmentPlan {
    std::string problem;  ///< empty: mergeable
    double macsBefore = 0, macsAfter = 0;
    bool exact = true;
    /// The merged bias is f(0) of the segment (BiasMap.hpp), not the composed
    /// per-channel bias: a padded conv follows a bias, or a layer carries a map.
    bool biasMap = false;
    ConvLayer geometry;  ///< conv segments: the merged geometry (no weights)
    /// The objective's cost of the layers as they are and merged (MACs in the
    /// chain's unit, or seconds); equal for a single layer.
    double costBefore = 0, costAfter = 0;
};

/// Checks whether layers [i, j] of `chain` can become one layer, without
/// computing weights. `haveShapes`: the input size of the chain is known, so
/// its constant part can be carried as a bias map.
SegmentPlan planSegment(const std::vector<ChainLayer>& chain, std::size_t i, std::size_t j, const MergeOptions& opt,
                        bool haveShapes) {
    SegmentPlan p;
    if (i == j) return p.macsBefore = p.macsAfter = chain[i].macs, p;  // a layer alone always stays
    for (std::size_t k = i; k <= j; ++k) {
        if (!chain[k].error.empty()) return p.problem = chain[k].error, p;
        p.macsBefore += chain[k].macs;
    }
    double perOutput = 0;
    if (chain[i].isConv) {
        ConvLayer geo = chain[i].conv;
        bool anyBias = hasNonZero(geo.bias);
        p.biasMap = isBiasMap(geo.bias);
        for (std::size_t k = i + 1; k <= j; ++k) {
            const ChainLayer& l = chain[k];
            const std::string pair = "'" + chain[k - 1].node->name() + "' -> '" + l.node->name() + "': ";
            p.biasMap = p.biasMap || isBiasMap(l.conv.bias);
            // The linear part first; the bias is exact either way once it is carried as f(0).
            std::string why = exactnessProblem(geo, false, l.conv);
            if (why.empty() && anyBias) {
                why = exactnessProblem(geo, true, l.conv);
                if (!why.empty() && haveShapes) p.biasMap = true, why.clear();
                else if (!why.empty()) why += " (with the input dims, the merge would carry it as a bias map)";
            }
            if (!why.empty()) {
                p.exact = false;
                if (opt.mode == MergeMode::Exact) return p.problem = pair + why, p;
            }
            try {
                geo = composeGeometry(geo, l.conv);
            } catch (const std::invalid_argument& e) {
                return p.problem = pair + e.what(), p;
            }
            anyBias = anyBias || hasNonZero(l.conv.bias);
        }
        perOutput = geo.macsPerOutput();
        geo.outChannels = chain[j].conv.outChannels;
        p.geometry = geo;
    } else {
        GemmLayer g = chain[i].gemm;
        for (std::size_t k = i + 1; k <= j; ++k) {
            const GemmLayer& l = chain[k].gemm;
            const std::string pair = "'" + chain[k - 1].node->name() + "' -> '" + chain[k].node->name() + "': ";
            if (l.transA) return p.problem = pair + "the second Gemm transposes its input (transA = 1)", p;
            if (g.outFeatures != l.inFeatures)
                return p.problem = pair + "features do not match: " + std::to_string(g.outFeatures) + " out, " +
                                   std::to_string(l.inFeatures) + " expected",
                       p;
            g.outFeatures = l.outFeatures;
        }
        perOutput = static_cast<double>(g.inFeatures) * static_cast<double>(g.outFeatures);
    }
    p.macsAfter = perOutput * chain[j].outUnits;
    if (p.macsAfter > opt.maxMacGrowth * p.macsBefore)
        p.problem = "MAC growth " + num(p.macsAfter / p.macsBefore) + "x exceeds max_mac_growth " +
                    num(opt.maxMacGrowth) + " (" + num(p.macsBefore) + " -> " + num(p.macsAfter) + " MACs)";
    return p;
}

double probeDeviation(const std::vector<NodePtr>& chain, const NodePtr& merged, const Shape& inDims, std::uint32_t seed) {
    Tensor x(inDims);
    std::mt19937 rng(seed);
    std::normal_distribution<float> dist(0.f, 1.f);
    for (std::size_t i = 0; i < x.size(); ++i) x.data<float>()[i] = dist(rng);
    Tensor a = runLayers(chain, inDims, x), b = runLayers({merged}, inDims, x);
    if (a.dims() != b.dims())
        throw std::logic_error("merged layer output " + toString(b.dims()) + " differs from the chain's " + toString(a.dims()));
    double dev = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        dev = std::max(dev, std::abs(static_cast<double>(a.data<float>()[i]) - b.data<float>()[i]));
    return dev;
}

/// Probe input dims for a chain starting with `first`: the real ones (batch 1) when known.
Shape probeDims(const ChainLayer& first, const ConvLayer* merged, const NodeShapes& shapes) {
    const Port& in = first.node->input(0);
    auto it = shapes.find(in.node.get());
    if (it != shapes.end()) {
        Shape d = it->second.at(in.index);
        d[!first.isConv && first.gemm.transA ? 1 : 0] = 1;
        return d;
    }
    if (!first.isConv) return first.gemm.transA ? Shape{first.gemm.inFeatures, 1} : Shape{1, first.gemm.inFeatures};
    Shape d{1, first.conv.inChannels};
    for (std::size_t a = 0; a < merged->nbSpatial(); ++a) d.push_back(2 * merged->kernel[a] + 4 * merged->strides[a] + 8);
    return d;
}

/// Input dims (with the graph's batch) of node `n`'s data input.
Shape layersInput(const NodePtr& n, const NodeShapes& shapes) {
    const Port& in = n->input(0);
    return shapes.at(in.node.get()).at(in.index);
}
Shape chainInputDims(const ChainLayer& first, const NodeShapes& shapes) {
    return layersInput(first.node, shapes);
}

/// A layer of the merged geometry of chain[i..j] for input dims `dims`, with
/// zero weights (timing depends on shapes only) and a bias of the merged kind.
NodePtr geometryNode(const std::vector<ChainLayer>& chain, std::size_t i, std::size_t j, const SegmentPlan& p,
                     const Shape& dims) {
    if (chain[i].isConv) {
        ConvLayer l = p.geometry;
        Shape wd{l.outChannels, l.inChannels / l.group};
        wd.insert(wd.end(), l.kernel.begin(), l.kernel.end());
        l.weight = Tensor(wd);
        if (p.biasMap) {
            const Shape o = makeConvNode(l, "segment")->getOperator().inferShapes({dims, wd}).at(0);
            l.bias = Tensor(Shape(o.begin() + 1, o.end()));
        } else
            l.bias = Tensor({l.outChannels});
        return makeConvNode(l, "segment");
    }
    GemmLayer g = chain[i].gemm;
    g.outFeatures = chain[j].gemm.outFeatures;
    g.weight = Tensor({g.inFeatures, g.outFeatures});
    g.bias = Tensor({g.outFeatures});
    return makeGemmNode(g, "segment");
}

} // namespace

MergeResult mergeConvolutions(GraphView& graph, const MergeOptions& opt) {
    if (!(opt.maxMacGrowth > 0))
        throw std::invalid_argument("max_mac_growth " + num(opt.maxMacGrowth) + " must be a number > 0 (inf: no limit)");
    MergeResult result;

    const NodeShapes shapes = knownShapes(graph, opt.inputDims);

    if (opt.objective == MergeObjective::Latency && shapes.empty())
        throw std::invalid_argument("objective 'latency' times each candidate at the input dims: give dims or compile "
                                    "graph '" + graph.name() + "' first");

    // Links of back-to-back linear layers of the same kind, directly or through
    // Identity / Dropout nodes used once (`between`, removed with the merge).
    const std::vector<NodePtr> order = graph.getNodes();
    std::map<const Node*, NodePtr> next, prev;
    std::map<const Node*, std::vector<NodePtr>> between;
    for (const NodePtr& n : order) {
        if (!isLinear(n)) continue;
        std::vector<NodePtr> through;
        Port c = onlyUse(graph, n);
        while (c.node && c.index == 0 && isPassThrough(c.node)) {
            through.push_back(c.node);
            c = onlyUse(graph, c.node);
        }
        if (!through.empty() && c.node && c.index == 0 && c.node->type() == n->type()) {
            next[n.get()] = c.node;
            prev[c.node.get()] = n;
            between[n.get()] = through;
            continue;
        }
        std::vector<Port> linearConsumers;
        for (const Port& c : n->outputConsumers(0))
            if (graph.contains(c.node) && c.node->type() == n->type() && c.index == 0) linearConsumers.push_back(c);
        if (linearConsumers.empty()) continue;
        const std::size_t uses = nbUses(graph, n);
        if (uses == 1) {
            next[n.get()] = linearConsumers[0].node;
            prev[linearConsumers[0].node.get()] = n;
        } else {
            const bool isOutput = std::any_of(graph.outputs().begin(), graph.outputs().end(),
                                              [&](const Port& p) { return p.node == n; });
            for (const Port& c : linearConsumers)
                result.skipped.push_back(
                    {{n->name(), c.node->name()},
                     "the output of '" + n->name() + "' has " + std::to_string(uses) + " uses" +
                         (isOutput ? " (it is also a graph output)" : "") + "; merging would duplicate it"});
        }
    }

    struct Planned {
        std::vector<NodePtr> nodes;
        std::vector<NodePtr> through;  ///< Identity / Dropout between them
        NodePtr merged;
        MergeRecord record;
    };
    std::vector<Planned> plans;
    std::vector<std::string> usedNames;

    for (const NodePtr& start : order) {
        if (!next.count(start.get()) || prev.count(start.get())) continue;
        std::vector<ChainLayer> chain;
        for (NodePtr n = start; n; n = next.count(n.get()) ? next[n.get()] : nullptr) {
            ChainLayer l;
            l.node = n;
            l.isConv = n->type() == "Conv";
            try {
                if (l.isConv) l.conv = readConv(*n);
                else l.gemm = readGemm(*n);
            } catch (const std::invalid_argument& e) {
                l.error = e.what();
            }
            chain.push_back(l);
        }
        const std::size_t len = chain.size();
        bool haveShapes = !shapes.empty();
        for (const ChainLayer& l : chain) haveShapes = haveShapes && shapes.count(l.node.get());
        for (ChainLayer& l : chain)
            if (l.error.empty() && l.isConv && isBiasMap(l.conv.bias) && !haveShapes)
                l.error = describe(*l.node) + " carries a bias map (f(0) of an earlier merge); merging it again needs "
                                              "the input dims";
        // Output positions and MACs of each layer in one unit for the chain.
        for (std::size_t k = len; k-- > 0;) {
            ChainLayer& l = chain[k];
            if (haveShapes && l.isConv) {
                const Shape& o = shapes.at(l.node.get()).at(0);
                l.outUnits = static_cast<double>(numElements(Shape(o.begin() + 2, o.end())));
            } else if (!haveShapes && k + 1 < len) {
                const ChainLayer& n = chain[k + 1];
                double s = 1;
                if (n.isConv && n.error.empty())
                    for (std::size_t st : n.conv.strides) s *= static_cast<double>(st);
                l.outUnits = n.outUnits * s;
            }
            if (l.error.empty())
                l.macs = l.outUnits * (l.isConv ? l.conv.macsPerOutput()
                                                : static_cast<double>(l.gemm.inFeatures) * l.gemm.outFeatures);
        }
        std::map<std::pair<std::size_t, std::size_t>, SegmentPlan> segs;
        auto seg = [&](std::size_t i, std::size_t j) -> SegmentPlan& {
            auto key = std::make_pair(i, j);
            auto it = segs.find(key);
            if (it == segs.end()) {
                it = segs.emplace(key, planSegment(chain, i, j, opt, haveShapes)).first;
                SegmentPlan& p = it->second;
                p.costBefore = p.macsBefore, p.costAfter = p.macsAfter;
                if (opt.objective == MergeObjective::Latency && p.problem.empty()) {
                    const Shape dims = chainInputDims(chain[i], shapes);
                    std::vector<NodePtr> layers;
                    for (std::size_t k = i; k <= j; ++k) layers.push_back(chain[k].node);
                    // The layers as they are run in the graph already: a failure there propagates
                    // (nothing is changed yet); a merged candidate that cannot be timed is not merged.
                    p.costBefore = 0;
                    for (const NodePtr& n : layers)
                        p.costBefore += segmentLatency({n}, layersInput(n, shapes), opt.timer, opt.timerName);
                    p.costAfter = p.costBefore;
                    if (i != j) try {
                            p.costAfter = segmentLatency({geometryNode(chain, i, j, p, dims)}, dims, opt.timer, opt.timerName);
                        } catch (const std::exception& e) {
                            p.problem = std::string("timing the merged layer failed: ") + e.what();
                        }
                }
            }
            return it->second;
        };
        // Least total cost; ties (within 1e-9 relative) go to fewer layers.
        // For the layers objective: fewest layers, then least MACs.
        std::vector<std::size_t> bestLayers(len + 1, 0), from(len + 1, 0);
        std::vector<double> bestCost(len + 1, 0);
        const bool byLayers = opt.objective == MergeObjective::Layers;
        for (std::size_t j = 1; j <= len; ++j) {
            bool found = false;
            for (std::size_t i = 0; i < j; ++i) {
                const SegmentPlan& p = seg(i, j - 1);
                if (!p.problem.empty()) continue;
                const std::size_t layers = bestLayers[i] + 1;
                const double cost = bestCost[i] + p.costAfter;
                const double tol = 1e-9 * std::max(std::abs(cost), std::abs(bestCost[j]));
                const bool better = byLayers ? (layers < bestLayers[j] || (layers == bestLayers[j] && cost < bestCost[j]))
                                             : (cost < bestCost[j] - tol || (cost <= bestCost[j] + tol && layers < bestLayers[j]));
                if (!found || better) {
                    bestLayers[j] = layers;
                    bestCost[j] = cost;
                    from[j] = i;
                    found = true;
                }
            }
        }
        std::vector<std::pair<std::size_t, std::size_t>> parts;
        for (std::size_t j = len; j > 0; j = from[j]) parts.insert(parts.begin(), {from[j], j - 1});
        const std::string unit = opt.objective == MergeObjective::Latency ? " s" : " MACs";
        for (std::size_t p = 0; p + 1 < parts.size(); ++p) {
            const SegmentPlan& joined = seg(parts[p].first, parts[p + 1].second);
            const SegmentPlan& a = seg(parts[p].first, parts[p].second);
            const SegmentPlan& b = seg(parts[p + 1].first, parts[p + 1].second);
            std::string why = joined.problem;
            if (why.empty())
                why = "kept apart by the chain's least-" + toString(opt.objective) + " partition (apart " +
                      num(a.costAfter + b.costAfter) + unit + ", merged " + num(joined.costAfter) + unit + ")";
            result.skipped.push_back({{chain[parts[p].second].node->name(), chain[parts[p + 1].first].node->name()}, why});
        }
        for (const auto& part : parts) {
            if (part.first == part.second) continue;
            Planned pl;
            const SegmentPlan& sp = seg(part.first, part.second);
            for (std::size_t k = part.first; k <= part.second; ++k) pl.nodes.push_back(chain[k].node);
            const NodePtr& first = pl.nodes.front();
            const NodePtr& last = pl.nodes.back();
            std::vector<NodePtr> leaving = pl.nodes;
            for (std::size_t k = part.first; k < part.second; ++k)
                for (const NodePtr& t : between[chain[k].node.get()]) pl.through.push_back(t), leaving.push_back(t);
            for (const NodePtr& n : pl.nodes)
                for (const NodePtr& q : privateProducers(graph, n)) leaving.push_back(q);
            std::string name = freeName(graph, first->name() + "+" + last->name(), leaving);
            while (std::find(usedNames.begin(), usedNames.end(), name) != usedNames.end()) name += "_";
            usedNames.push_back(name);
            std::string wName = freeName(graph, name + "_W", leaving), bName = freeName(graph, name + "_B", leaving);
            ConvLayer mergedConv;
            if (chain[part.first].isConv) {
                mergedConv = chain[part.first].conv;
                for (std::size_t k = part.first + 1; k <= part.second; ++k) mergedConv = composeConvs(mergedConv, chain[k].conv);
                if (sp.biasMap) {
                    // f(x) = L(x) + f(0): the merged weights give L, the chain on zeros gives f(0).
                    const Shape inDims = probeDims(chain[part.first], &mergedConv, shapes);
                    try {
                        mergedConv.bias = compactBias(chainBiasMap(pl.nodes, inDims));
                        const Shape w = mergedConv.weight.dims();
                        pl.merged = makeConvNode(mergedConv, name, wName, bName);
                        // Throws when the merged conv's output size differs from the chain's (the map's).
                        pl.merged->getOperator().inferShapes({inDims, w, mergedConv.bias.dims()});
                    } catch (const std::exception& e) {
                        result.skipped.push_back({{first->name(), last->name()},
                                                  std::string("the bias map of the merged layer failed: ") + e.what()});
                        continue;
                    }
                } else
                    pl.merged = makeConvNode(mergedConv, name, wName, bName);
            } else {
                GemmLayer g = chain[part.first].gemm;
                for (std::size_t k = part.first + 1; k <= part.second; ++k) g = composeGemms(g, chain[k].gemm);
                pl.merged = makeGemmNode(g, name, wName, bName);
            }
            inheritOutputNames(pl.merged, *last);
            MergeRecord& r = pl.record;
            for (const NodePtr& n : pl.nodes) r.nodes.push_back(n->name());
            r.newNode = name;
            const double unit = haveShapes ? 1.0 : chain[part.second].outUnits;
            r.macsBefore = sp.macsBefore / unit;
            r.macsAfter = sp.macsAfter / unit;
            r.macsPerImage = haveShapes;
            r.costBefore = opt.objective == MergeObjective::Latency ? sp.costBefore : r.macsBefore;
            r.costAfter = opt.objective == MergeObjective::Latency ? sp.costAfter : r.macsAfter;
            r.exact = sp.exact;
            r.biasMap = isBiasMap(mergedConv.bias);
            if (opt.mode == MergeMode::Approximate) {
                try {
                    r.maxDeviation = probeDeviation(pl.nodes, pl.merged, probeDims(chain[part.first], &mergedConv, shapes),
                                                    opt.probeSeed);
                } catch (const std::exception& e) {
                    result.skipped.push_back({{first->name(), last->name()},
                                              std::string("the probe of the merged layer failed: ") + e.what()});
                    continue;
                }
            }
            pl.record = r;
            plans.push_back(std::move(pl));
        }
    }

    // Everything is computed: rewire. Each replace has one input source and one used output.
    for (Planned& pl : plans) {
        std::vector<NodePtr> old = pl.nodes;
        old.insert(old.end(), pl.through.begin(), pl.through.end());
        for (const NodePtr& n : pl.nodes)
            for (const NodePtr& q : privateProducers(graph, n)) old.push_back(q);
        graph.replace(old, {pl.merged});
        result.merged.push_back(pl.record);
    }
    return result;
}

} // namespace fibnlr
