#include "fibnlr/kernels/ref/Gemm.hpp"

#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Gemm.hpp"
#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

void gemm_f32_ref(const GemmParams& p, const float* a, const float* b, const float* c, float* y) {
    for (std::size_t m = 0; m < p.M; ++m)
        for (std::size_t n = 0; n < p.N; ++n) {
            double acc = 0.0;
            for (std::size_t k = 0; k < p.K; ++k)
                acc += static_cast<double>(p.transA ? a[k * p.lda + m] : a[m * p.lda + k]) *
                       (p.transB ? b[n * p.ldb + k] : b[k * p.ldb + n]);
            acc *= p.alpha;
            if (c) acc += static_cast<double>(p.beta) * c[m * p.cStrideM + n * p.cStrideN];
            y[m * p.N + n] = static_cast<float>(acc);
        }
}

void launchGemmRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    const GemmAttrs& at = static_cast<const GemmOp&>(op).attrs;
    const Shape& a = in[0]->dims();
    const Shape& b = in[1]->dims();
    GemmParams p;
    p.transA = at.transA != 0;
    p.transB = at.transB != 0;
    p.M = p.transA ? a[1] : a[0];
    p.K = p.transA ? a[0] : a[1];
    p.N = p.transB ? b[0] : b[1];
    p.lda = a[1];
    p.ldb = b[1];
    p.alpha = at.alpha;
    p.beta = at.beta;
    const Tensor* c = in.size() > 2 ? in[2] : nullptr;
    if (c) {
        // C has rank <= 2 and broadcasts to [M, N]: right-align it; size-1 dims get stride 0.
        Shape cd = c->dims();
        cd.insert(cd.begin(), 2 - cd.size(), 1);
        p.cStrideM = cd[0] == 1 ? 0 : cd[1];
        p.cStrideN = cd[1] == 1 ? 0 : 1;
    }
    gemm_f32_ref(p, in[0]->data<float>(), in[1]->data<float>(), c ? c->data<float>() : nullptr, out[0]->data<float>());
}

void launchMatMulRef(const Operator&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // numpy matmul: a 1-D A is a row [1, K], a 1-D B a column [K, 1]; the
    // dims before the last two broadcast and each batch index is one GEMM.
    Shape a = in[0]->dims(), b = in[1]->dims();
    if (a.size() == 1) a.insert(a.begin(), 1);
    if (b.size() == 1) b.push_back(1);
    GemmParams p;
    p.M = a[a.size() - 2];
    p.K = a.back();
    p.N = b.back();
    p.lda = p.K;
    p.ldb = p.N;
    const Shape aBatch(a.begin(), a.end() - 2), bBatch(b.begin(), b.end() - 2);
    const Shape batch = broadcastShapes(aBatch, bBatch);
    std::vector<std::size_t> idx(batch.size());
    for (std::size_t i = 0, n = numElements(batch); i < n; ++i) {
        unravel(i, batch, idx);
        gemm_f32_ref(p, in[0]->data<float>() + broadcastOffset(aBatch, idx) * p.M * p.K,
                     in[1]->data<float>() + broadcastOffset(bBatch, idx) * p.K * p.N, nullptr,
                     out[0]->data<float>() + i * p.M * p.N);
    }
}

} // namespace fibnlr
