#include "fibnlr/recipes/ConvMerge.hpp"

#include <numeric>
#include <stdexcept>

#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/operator/Conv.hpp"
#include "fibnlr/operator/Gemm.hpp"
#include "fibnlr/operator/Producer.hpp"

namespace fibnlr {

namespace {

/// The constant tensor feeding input `i` of `node`; empty when the input is
/// unconnected; throws when it is fed by a computed value.
Tensor constantInput(const Node& node, std::size_t i, const char* what) {
    const Port& p = node.input(i);
    if (!p.node) return Tensor();
    NodePtr prod = node.producer(i);
    if (!prod)
        throw std::invalid_argument(describe(node) + ": " + what + " is computed by " + describe(*p.node) +
                                    ", not a constant Producer");
    const Tensor& t = static_cast<const ProducerOp&>(prod->getOperator()).value();
    if (t.dataType() != DataType::Float32)
        throw std::invalid_argument(describe(node) + ": " + what + " must be float32, got " + toString(t.dataType()));
    return t;
}

Shape listOr(const std::vector<std::int64_t>& v, std::size_t n, std::size_t dflt, std::size_t offset = 0) {
    Shape out(n, dflt);
    if (!v.empty())
        for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::size_t>(v.at(offset + i));
    return out;
}

std::vector<std::int64_t> toInt64(const Shape& s) { return std::vector<std::int64_t>(s.begin(), s.end()); }

} // namespace

double ConvLayer::macsPerOutput() const {
    return static_cast<double>(outChannels) * static_cast<double>(inChannels / group) *
           static_cast<double>(numElements(kernel));
}

ConvLayer readConv(const Node& node) {
    if (node.type() != "Conv") throw std::invalid_argument(describe(node) + " is not a Conv");
    const auto& op = static_cast<const ConvOp&>(node.getOperator());
    ConvLayer l;
    l.weight = constantInput(node, 1, "weight W");
    if (l.weight.empty()) throw std::invalid_argument(describe(node) + ": weight W is not connected");
    l.bias = constantInput(node, 2, "bias B");
    const Shape& w = l.weight.dims();
    if (w.size() < 3)
        throw std::invalid_argument(describe(node) + ": weight W " + toString(w) + " must have rank >= 3");
    const std::size_t n = w.size() - 2;
    const auto& a = op.attrs;
    if (a.group < 1) throw std::invalid_argument(describe(node) + ": group " + std::to_string(a.group) + " must be >= 1");
    if (a.autoPad != "NOTSET" && a.autoPad != "VALID")
        throw std::invalid_argument(describe(node) + ": auto_pad " + a.autoPad +
                                    " depends on the input size; expected NOTSET or VALID with explicit pads");
    if (!a.kernelShape.empty() && a.kernelShape.size() != n)
        throw std::invalid_argument(describe(node) + ": kernel_shape does not match weight W " + toString(w));
    for (std::size_t i = 0; i < n && !a.kernelShape.empty(); ++i)
        if (static_cast<std::size_t>(a.kernelShape[i]) != w[i + 2])
            throw std::invalid_argument(describe(node) + ": kernel_shape does not match weight W " + toString(w));
    if ((!a.strides.empty() && a.strides.size() != n) || (!a.dilations.empty() && a.dilations.size() != n) ||
        (!a.pads.empty() && a.pads.size() != 2 * n))
        throw std::invalid_argument(describe(node) + ": strides, dilations or pads do not have " + std::to_string(n) +
                                    " spatial values");
    l.group = static_cast<std::size_t>(a.group);
    l.outChannels = w[0];
    l.inChannels = w[1] * l.group;
    if (l.outChannels % l.group != 0)
        throw std::invalid_argument(describe(node) + ": group " + std::to_string(l.group) +
                                    " does not divide the output channels " + std::to_string(l.outChannels));
    l.kernel = Shape(w.begin() + 2, w.end());
    l.strides = listOr(a.strides, n, 1);
    l.dilations = listOr(a.dilations, n, 1);
    const bool valid = a.autoPad == "VALID";
    l.padBegin = valid ? Shape(n, 0) : listOr(a.pads, n, 0, 0);
    l.padEnd = valid ? Shape(n, 0) : listOr(a.pads, n, 0, n);
    // A bias map [M, *S'] (a merged chain's f(0)) has the conv's output rank; its spatial size is checked at compile.
    if (!l.bias.empty() && l.bias.dims() != Shape{l.outChannels} &&
        !(l.bias.nbDims() == n + 1 && l.bias.dim(0) == l.outChannels))
        throw std::invalid_argument(describe(node) + ": bias B " + toString(l.bias.dims()) + " must be [" +
                                    std::to_string(l.outChannels) + "] or a bias map [" +
                                    std::to_string(l.outChannels) + ", *output size]");
    return l;
}

GemmLayer readGemm(const Node& node) {
    if (node.type() != "Gemm") throw std::invalid_argument(describe(node) + " is not a Gemm");
    const auto& a = static_cast<const GemmOp&>(node.getOperator()).attrs;
    Tensor b = constantInput(node, 1, "weight B");
    if (b.empty() || b.nbDims() != 2)
        throw std::invalid_argument(describe(node) + ": weight B must be a connected 2-D constant");
    Tensor c = constantInput(node, 2, "bias C");
    GemmLayer l;
    l.transA = a.transA;
    l.inFeatures = a.transB ? b.dim(1) : b.dim(0);
    l.outFeatures = a.transB ? b.dim(0) : b.dim(1);
    const std::size_t K = l.inFeatures, N = l.outFeatures;
    l.weight = Tensor({K, N});
    float* w = l.weight.data<float>();
    const float* src = b.data<float>();
    for (std::size_t k = 0; k < K; ++k)
        for (std::size_t j = 0; j < N; ++j) w[k * N + j] = a.alpha * (a.transB ? src[j * K + k] : src[k * N + j]);
    if (!c.empty()) {
        const Shape& cd = c.dims();
        const bool perColumn = (cd == Shape{N}) || (cd == Shape{1, N});
        const bool scalar = c.size() == 1 && cd.size() <= 2;
        if (!perColumn && !scalar)
            throw std::invalid_argument(describe(node) + ": bias C " + toString(cd) + " must be [" + std::to_string(N) +
                                        "] or [1, " + std::to_string(N) + "] to be merged");
        l.bias = Tensor({N});
        for (std::size_t j = 0; j < N; ++j) l.bias.data<float>()[j] = a.beta * c.data<float>()[scalar ? 0 : j];
    }
    return l;
}

ConvLayer composeGeometry(const ConvLayer& f, const ConvLayer& s) {
    if (f.outChannels != s.inChannels)
        throw std::invalid_argument("channels do not match: the first conv gives " + std::to_string(f.outChannels) +
                                    " channels, the second expects " + std::to_string(s.inChannels));
    if (f.nbSpatial() != s.nbSpatial())
        throw std::invalid_argument("spatial ranks differ: " + std::to_string(f.nbSpatial()) + " and " +
                                    std::to_string(s.nbSpatial()));
    ConvLayer r;
    r.inChannels = f.inChannels;
    r.outChannels = s.outChannels;
    r.group = std::gcd(f.group, s.group);  // the rule and its reason: ConvMerge.hpp
    for (std::size_t a = 0; a < f.nbSpatial(); ++a) {
        r.kernel.push_back(f.extent(a) + (s.extent(a) - 1) * f.strides[a]);
        r.strides.push_back(f.strides[a] * s.strides[a]);
        r.dilations.push_back(1);
        r.padBegin.push_back(f.padBegin[a] + f.strides[a] * s.padBegin[a]);
        r.padEnd.push_back(f.padEnd[a] + f.strides[a] * s.padEnd[a]);
    }
    return r;
}

ConvLayer composeConvs(const ConvLayer& f, const ConvLayer& s) {
    ConvLayer r = composeGeometry(f, s);
    const std::size_t nd = r.nbSpatial();
    const std::size_t C = f.inChannels, M = f.outChannels, O = s.outChannels;
    const std::size_t cpg1 = C / f.group, mpg1 = M / f.group, mpg2 = M / s.group, opg2 = O / s.group;
    const std::size_t cpgR = C / r.group, opgR = O / r.group;
    const std::size_t ks1 = numElements(f.kernel), ks2 = numElements(s.kernel), ks = numElements(r.kernel);

    // Flat merged-kernel offset of (tap a of the second, tap i of the first).
    std::vector<std::size_t> pos(ks2 * ks1);
    for (std::size_t ai = 0; ai < ks2; ++ai)
        for (std::size_t ii = 0; ii < ks1; ++ii) {
            std::size_t ra = ai, ri = ii, flat = 0, mult = 1;
            for (std::size_t ax = nd; ax-- > 0;) {
                const std::size_t ta = ra % s.kernel[ax], ti = ri % f.kernel[ax];
                ra /= s.kernel[ax];
                ri /= f.kernel[ax];
                flat += (ta * s.dilations[ax] * f.strides[ax] + ti * f.dilations[ax]) * mult;
                mult *= r.kernel[ax];
            }
            pos[ai * ks1 + ii] = flat;
        }

    std::vector<double> acc(O * cpgR * ks, 0.0);
    const float* w1 = f.weight.data<float>();
    const float* w2 = s.weight.data<float>();
    for (std::size_t o = 0; o < O; ++o) {
        const std::size_t gR = o / opgR, g2 = o / opg2;
        for (std::size_t ml = 0; ml < mpg2; ++ml) {
            const std::size_t m = g2 * mpg2 + ml, g1 = m / mpg1;
            for (std::size_t ai = 0; ai < ks2; ++ai) {
                const double v2 = w2[(o * mpg2 + ml) * ks2 + ai];
                if (v2 == 0.0) continue;
                const std::size_t* pa = &pos[ai * ks1];
                for (std::size_t cl = 0; cl < cpg1; ++cl) {
                    const std::size_t cR = g1 * cpg1 + cl - gR * cpgR;  // in [0, cpgR) by construction
                    double* dst = &acc[(o * cpgR + cR) * ks];
                    const float* src = w1 + (m * cpg1 + cl) * ks1;
                    for (std::size_t ii = 0; ii < ks1; ++ii) dst[pa[ii]] += v2 * src[ii];
                }
            }
        }
    }
    Shape wd{O, cpgR};
    wd.insert(wd.end(), r.kernel.begin(), r.kernel.end());
    r.weight = Tensor(wd);
    float* w = r.weight.data<float>();
    for (std::size_t i = 0; i < acc.size(); ++i) w[i] = static_cast<float>(acc[i]);

    const bool anyMap = f.bias.nbDims() > 1 || s.bias.nbDims() > 1;  // f(0) is the caller's (chainBiasMap)
    if (!anyMap && (!f.bias.empty() || !s.bias.empty())) {
        r.bias = Tensor({O});
        const float* b1 = f.bias.empty() ? nullptr : f.bias.data<float>();
        const float* b2 = s.bias.empty() ? nullptr : s.bias.data<float>();
        for (std::size_t o = 0; o < O; ++o) {
            double b = b2 ? b2[o] : 0.0;
            if (b1) {
                const std::size_t g2 = o / opg2;
                for (std::size_t ml = 0; ml < mpg2; ++ml)
                    for (std::size_t ai = 0; ai < ks2; ++ai)
                        b += static_cast<double>(w2[(o * mpg2 + ml) * ks2 + ai]) * b1[g2 * mpg2 + ml];
            }
            r.bias.data<float>()[o] = static_cast<float>(b);
        }
    }
    return r;
}

bool hasNonZero(const Tensor& bias) {
    if (bias.empty()) return false;
    const float* b = bias.data<float>();
    for (std::size_t i = 0; i < bias.size(); ++i)
        if (b[i] != 0.f) return true;
    return false;
}

std::string exactnessProblem(const ConvLayer& f, const ConvLayer& s) { return exactnessProblem(f, hasNonZero(f.bias), s); }

std::string exactnessProblem(const ConvLayer& f, bool firstHasBias, const ConvLayer& s) {
    bool padded = false;
    for (std::size_t a = 0; a < s.nbSpatial() && a < f.nbSpatial(); ++a) {
        if (!s.hasPadding(a)) continue;
        padded = true;
        if (f.extent(a) != 1)
            return "not exact: the later conv pads axis " + std::to_string(a) + " by " + std::to_string(s.padBegin[a]) +
                   "+" + std::to_string(s.padEnd[a]) + " after a kernel of extent " + std::to_string(f.extent(a)) +
                   ", so the merged conv would read image pixels where the original reads zero padding";
    }
    if (padded && firstHasBias)
        return "not exact: the later conv pads its input after a 1x1 conv with a non-zero bias, so the merged conv "
               "would see the bias in the padding band where the original sees zeros";
    return {};
}

GemmLayer composeGemms(const GemmLayer& f, const GemmLayer& s) {
    if (s.transA != 0)
        throw std::invalid_argument("the second Gemm transposes its input (transA = 1)");
    if (f.outFeatures != s.inFeatures)
        throw std::invalid_argument("features do not match: the first Gemm gives " + std::to_string(f.outFeatures) +
                                    ", the second expects " + std::to_string(s.inFeatures));
    GemmLayer r;
    r.transA = f.transA;
    r.inFeatures = f.inFeatures;
    r.outFeatures = s.outFeatures;
    const std::size_t K = f.inFeatures, M = f.outFeatures, N = s.outFeatures;
    const float* w1 = f.weight.data<float>();
    const float* w2 = s.weight.data<float>();
    std::vector<double> acc(K * N, 0.0);
    for (std::size_t k = 0; k < K; ++k)
        for (std::size_t m = 0; m < M; ++m) {
            const double v = w1[k * M + m];
            if (v == 0.0) continue;
            for (std::size_t j = 0; j < N; ++j) acc[k * N + j] += v * w2[m * N + j];
        }
    r.weight = Tensor({K, N});
    for (std::size_t i = 0; i < acc.size(); ++i) r.weight.data<float>()[i] = static_cast<float>(acc[i]);
    if (!f.bias.empty() || !s.bias.empty()) {
        r.bias = Tensor({N});
        for (std::size_t j = 0; j < N; ++j) {
            double b = s.bias.empty() ? 0.0 : s.bias.data<float>()[j];
            if (!f.bias.empty())
                for (std::size_t m = 0; m < M; ++m)
                    b += static_cast<double>(f.bias.data<float>()[m]) * w2[m * N + j];
            r.bias.data<float>()[j] = static_cast<float>(b);
        }
    }
    return r;
}

NodePtr makeConvNode(const ConvLayer& l, const std::string& name, const std::string& weightName,
                     const std::string& biasName) {
    ConvAttrs a;
    a.kernelShape = toInt64(l.kernel);
    a.strides = toInt64(l.strides);
    a.dilations = toInt64(l.dilations);
    a.pads = toInt64(l.padBegin);
    a.pads.insert(a.pads.end(), l.padEnd.begin(), l.padEnd.end());
    a.group = static_cast<std::int64_t>(l.group);
    auto op = std::make_shared<ConvOp>(a);
    op->validate();
    NodePtr n = Node::create(op, name);
    Node::link(makeProducer(l.weight, weightName.empty() ? name + "_W" : weightName), 0, n, 1);
    if (!l.bias.empty()) Node::link(makeProducer(l.bias, biasName.empty() ? name + "_B" : biasName), 0, n, 2);
    return n;
}

NodePtr makeGemmNode(const GemmLayer& l, const std::string& name, const std::string& weightName,
                     const std::string& biasName) {
    GemmAttrs a;
    a.transA = l.transA;
    a.transB = 1;
    NodePtr n = Node::create(std::make_shared<GemmOp>(a), name);
    const std::size_t K = l.inFeatures, N = l.outFeatures;
    Tensor wt({N, K});
    for (std::size_t k = 0; k < K; ++k)
        for (std::size_t j = 0; j < N; ++j) wt.data<float>()[j * K + k] = l.weight.data<float>()[k * N + j];
    Node::link(makeProducer(wt, weightName.empty() ? name + "_W" : weightName), 0, n, 1);
    if (!l.bias.empty()) Node::link(makeProducer(l.bias, biasName.empty() ? name + "_B" : biasName), 0, n, 2);
    return n;
}

} // namespace fibnlr
