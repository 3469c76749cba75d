#include "fibnlr/recipes/FoldBatchNorm.hpp"

#include <cmath>

#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/operator/BatchNorm.hpp"
#include "fibnlr/operator/Gemm.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/recipes/MergeUtils.hpp"

namespace fibnlr {

namespace {

const Tensor* constant(const Node& n, std::size_t i) {
    NodePtr p = n.producer(i);
    if (!p) return nullptr;
    const Tensor& t = static_cast<const ProducerOp&>(p->getOperator()).value();
    return t.dataType() == DataType::Float32 ? &t : nullptr;
}

/// The folded replacement of `layer` followed by `bn`, or null when a condition fails.
NodePtr foldOne(const GraphView& graph, const NodePtr& layer, const NodePtr& bn, const std::vector<NodePtr>& leaving) {
    const float eps = static_cast<const BatchNormOp&>(bn->getOperator()).attrs.epsilon;
    const Tensor* p[4];
    for (std::size_t i = 0; i < 4; ++i)
        if (!(p[i] = constant(*bn, i + 1))) return nullptr;
    const std::size_t C = p[0]->size();
    for (const Tensor* t : p)
        if (t->size() != C) return nullptr;
    const Tensor* w = constant(*layer, 1);
    if (!w || layer->input(1).node != layer->producer(1)) return nullptr;
    const Tensor* b = constant(*layer, 2);
    if (layer->input(2).node && !b) return nullptr;  // bias computed at run time

    std::vector<double> s(C), shift(C);
    for (std::size_t c = 0; c < C; ++c) {
        s[c] = p[0]->data<float>()[c] / std::sqrt(static_cast<double>(p[3]->data<float>()[c]) + eps);
        shift[c] = p[1]->data<float>()[c] - s[c] * p[2]->data<float>()[c];
    }
    OperatorPtr op = layer->getOperator().clone();
    Tensor nw(w->dims()), nb({C});
    const float* src = w->data<float>();
    float* dst = nw.data<float>();
    if (layer->type() == "Conv") {
        if (w->nbDims() < 3 || w->dim(0) != C) return nullptr;
        const std::size_t per = w->size() / C;
        for (std::size_t o = 0; o < C; ++o)
            for (std::size_t k = 0; k < per; ++k) dst[o * per + k] = static_cast<float>(src[o * per + k] * s[o]);
        // B is [C], or a merged conv's bias map [C, *S'] (each position scaled like its channel).
        const bool map = b && b->nbDims() > 1 && b->dim(0) == C;
        if (b && b->size() != C && !map) return nullptr;
        if (map) nb = Tensor(b->dims());
        const std::size_t positions = map ? b->size() / C : 1;
        for (std::size_t o = 0; o < C; ++o)
            for (std::size_t i = 0; i < positions; ++i)
                nb.data<float>()[o * positions + i] =
                    static_cast<float>((b ? b->data<float>()[o * positions + i] : 0.0) * s[o] + shift[o]);
    } else {  // Gemm
        const auto& a = static_cast<const GemmOp&>(layer->getOperator()).attrs;
        if (w->nbDims() != 2) return nullptr;
        const std::size_t N = a.transB ? w->dim(0) : w->dim(1), K = a.transB ? w->dim(1) : w->dim(0);
        if (N != C) return nullptr;
        for (std::size_t k = 0; k < K; ++k)
            for (std::size_t j = 0; j < N; ++j) {
                const std::size_t idx = a.transB ? j * K + k : k * N + j;
                dst[idx] = static_cast<float>(src[idx] * s[j]);
            }
        if (b && !(b->size() == 1 || b->dims() == Shape{N} || b->dims() == Shape{1, N})) return nullptr;
        for (std::size_t j = 0; j < N; ++j) {
            const double cj = b ? static_cast<double>(a.beta) * b->data<float>()[b->size() == 1 ? 0 : j] : 0.0;
            nb.data<float>()[j] = static_cast<float>(cj * s[j] + shift[j]);
        }
        op->setAttribute("beta", 1.0f);
    }
    NodePtr n = Node::create(op, layer->name());
    Node::link(makeProducer(nw, freeName(graph, layer->name() + "_W", leaving)), 0, n, 1);
    Node::link(makeProducer(nb, freeName(graph, layer->name() + "_B", leaving)), 0, n, 2);
    inheritOutputNames(n, *bn);
    return n;
}

} // namespace

std::vector<BatchNormFold> foldBatchNorm(GraphView& graph) {
    std::vector<BatchNormFold> done;
    for (const NodePtr& bn : graph.getNodes()) {
        if (bn->type() != "BatchNormalization" || !graph.contains(bn)) continue;
        NodePtr layer = bn->getParent(0);
        if (!layer || (layer->type() != "Conv" && layer->type() != "Gemm")) continue;
        if (soleConsumer(graph, layer).node != bn || bn->input(0).index != 0) continue;
        std::vector<NodePtr> old{layer, bn};
        for (const NodePtr& p : privateProducers(graph, layer)) old.push_back(p);
        for (const NodePtr& p : privateProducers(graph, bn)) old.push_back(p);
        NodePtr n = foldOne(graph, layer, bn, old);
        if (!n) continue;
        graph.replace(old, {n});
        done.push_back({bn->name(), n->name()});
    }
    return done;
}

} // namespace fibnlr
