#include "FoldConvScale.hpp"

#include <fibnlr/graph/Builder.hpp>
#include <fibnlr/operator/Producer.hpp>

using namespace fibnlr;

namespace {

/// The float32 tensor held by the Producer feeding input `i` of `n`, or null.
const Tensor* constantInput(const Node& n, std::size_t i) {
    const NodePtr p = n.producer(i);
    if (!p) return nullptr;
    const Tensor& t = static_cast<const ProducerOp&>(p->getOperator()).value();
    return t.dataType() == DataType::Float32 ? &t : nullptr;
}

/// The per-channel scale of `scale` for a conv output of rank `rank` with `M`
/// channels, or an empty vector when `scale` is not one value or one value per
/// channel. Broadcasting aligns shapes on the right, so the channel axis (1 of
/// the output) is axis k - (rank - 1) of a rank-k scale.
std::vector<float> perChannel(const Tensor& scale, std::size_t rank, std::size_t M) {
    const float* s = scale.data<float>();
    const std::size_t k = scale.nbDims();
    if (k > rank) return {};  // would add axes to the output
    if (scale.size() == 1) return std::vector<float>(M, s[0]);
    if (k + 1 < rank || scale.size() != M) return {};
    const std::size_t channelAxis = k - (rank - 1);
    for (std::size_t a = 0; a < k; ++a)
        if (a != channelAxis && scale.dim(a) != 1) return {};
    return std::vector<float>(s, s + M);
}

bool isGraphOutput(const GraphView& graph, const NodePtr& n) {
    for (const Port& p : graph.outputs())
        if (p.node == n) return true;
    return false;
}

} // namespace

std::vector<std::string> foldConvScale(GraphView& graph) {
    std::vector<std::string> folded;
    for (const NodePtr& mul : graph.getNodes()) {
        // Anchor: a Mul still in the graph (an earlier rewrite may have removed nodes).
        if (mul->type() != "Mul" || !graph.contains(mul)) continue;
        // Which operand is the conv and which the constant (Mul commutes).
        const std::size_t convSide = mul->producer(1) ? 0 : 1;
        const NodePtr conv = mul->getParent(convSide);
        const Tensor* scale = constantInput(*mul, 1 - convSide);
        if (!conv || !scale || conv->type() != "Conv" || mul->input(convSide).index != 0) continue;
        // Cheap structural checks before reading any data.
        if (conv->outputConsumers(0).size() != 1 || isGraphOutput(graph, conv)) continue;
        const Tensor* w = constantInput(*conv, 1);
        const Tensor* b = constantInput(*conv, 2);
        if (!w || (conv->input(2).node && !b)) continue;  // weights or bias computed at run time
        const std::size_t M = w->dim(0);
        const std::vector<float> s = perChannel(*scale, w->nbDims(), M);
        if (s.empty()) continue;
        if (b && (b->size() % M != 0 || b->dim(0) != M)) continue;

        // W'[o, ...] = W[o, ...] · s[o];  B'[o, ...] = B[o, ...] · s[o] (a bias map scales like its channel).
        Tensor nw(w->dims());
        const std::size_t perW = w->size() / M;
        for (std::size_t o = 0; o < M; ++o)
            for (std::size_t i = 0; i < perW; ++i)
                nw.data<float>()[o * perW + i] = w->data<float>()[o * perW + i] * s[o];
        const NodePtr replacement = Node::create(conv->getOperator().clone(), conv->name());
        Node::link(makeProducer(nw, graph.uniqueName(conv->name() + "_W")), 0, replacement, 1);
        if (b) {
            Tensor nb(b->dims());
            const std::size_t perB = b->size() / M;
            for (std::size_t o = 0; o < M; ++o)
                for (std::size_t i = 0; i < perB; ++i)
                    nb.data<float>()[o * perB + i] = b->data<float>()[o * perB + i] * s[o];
            Node::link(makeProducer(nb, graph.uniqueName(conv->name() + "_B")), 0, replacement, 2);
        }
        // The span's one outside input (the conv's data input) feeds the new
        // conv; the Mul's consumers now read the new conv; the old Producers go.
        graph.replace({conv, mul}, {replacement});
        folded.push_back(mul->name());
    }
    return folded;
}
