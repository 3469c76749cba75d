#pragma once
// Graph builders and runners shared by the depth-merging recipe tests.
#include <algorithm>
#include <cmath>
#include <random>

#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

namespace fibnlr::test {

inline Tensor randomTensor(const Shape& dims, std::mt19937& rng, float scale = 1.f) {
    Tensor t(dims);
    std::normal_distribution<float> d(0.f, scale);
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] = d(rng);
    return t;
}

struct ConvSpec {
    std::size_t out = 4;
    std::vector<std::int64_t> kernel{3, 3}, strides, pads, dilations;
    std::int64_t group = 1;
    bool bias = true;
};

/// Adds a Conv named `name` reading `in` (with `inChannels` channels), random weights.
inline NodePtr addConv(GraphView& g, const Port& in, const std::string& name, std::size_t inChannels,
                       const ConvSpec& s, std::mt19937& rng) {
    Shape w{s.out, inChannels / static_cast<std::size_t>(s.group)};
    for (auto k : s.kernel) w.push_back(static_cast<std::size_t>(k));
    std::map<std::string, Tensor> params{{"W", randomTensor(w, rng, 0.3f)}};
    if (s.bias) params["B"] = randomTensor({s.out}, rng, 0.5f);
    AttrList attrs{{"group", s.group}};
    if (!s.strides.empty()) attrs.emplace_back("strides", s.strides);
    if (!s.pads.empty()) attrs.emplace_back("pads", s.pads);
    if (!s.dilations.empty()) attrs.emplace_back("dilations", s.dilations);
    return addNode(g, "Conv", name, {in}, params, attrs);
}

/// Compiles `g` for the dims of `x` and runs it; returns output 0.
inline Tensor run(GraphView& g, const Tensor& x) {
    compile(g, CompileOptions{"ref", DataType::Float32, {x.dims()}});
    return forward(g, {x}).at(0).clone();
}

inline double maxAbs(const Tensor& t) {
    double m = 0;
    for (std::size_t i = 0; i < t.size(); ++i) m = std::max(m, std::abs(static_cast<double>(t.data<float>()[i])));
    return m;
}

inline double maxAbsDiff(const Tensor& a, const Tensor& b) {
    if (a.dims() != b.dims()) return INFINITY;
    double m = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        m = std::max(m, std::abs(static_cast<double>(a.data<float>()[i]) - b.data<float>()[i]));
    return m;
}

/// The exactness bound: max abs error <= 1e-5 · max |reference|.
inline bool closeExact(const Tensor& got, const Tensor& ref) { return maxAbsDiff(got, ref) <= 1e-5 * maxAbs(ref); }

inline std::size_t countType(const GraphView& g, const std::string& type) { return g.getNodesByType(type).size(); }

} // namespace fibnlr::test
