#include "fibnlr/recipes/BiasMap.hpp"

#include "fibnlr/recipes/MergeLatency.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

namespace fibnlr {

Tensor runLayers(const std::vector<NodePtr>& nodes, const Shape& inDims, const Tensor& x) {
    std::shared_ptr<GraphView> g = layersGraph(nodes);
    compile(*g, CompileOptions{"cpu", DataType::Float32, {inDims}});
    return forward(*g, {x}).at(0);
}

Tensor chainBiasMap(const std::vector<NodePtr>& chain, const Shape& inDims) {
    Shape one = inDims;
    one.at(0) = 1;
    Tensor zeros(one);  // zero-initialised
    Tensor y = runLayers(chain, one, zeros);
    Tensor map(Shape(y.dims().begin() + 1, y.dims().end()));
    std::copy(y.data<float>(), y.data<float>() + y.size(), map.data<float>());
    return map;
}

Tensor compactBias(const Tensor& map) {
    if (!isBiasMap(map) || map.size() == 0) return map;
    const std::size_t M = map.dim(0), per = map.size() / M;
    const float* v = map.data<float>();
    Tensor b({M});
    for (std::size_t m = 0; m < M; ++m) {
        for (std::size_t i = 1; i < per; ++i)
            if (v[m * per + i] != v[m * per]) return map;
        b.data<float>()[m] = v[m * per];
    }
    return b;
}

} // namespace fibnlr
