#include <cblas.h>

#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/kernels/ref/Index.hpp"
#include "fibnlr/operator/Gemm.hpp"
#include "fibnlr/operator/ShapeCheck.hpp"

namespace fibnlr {

namespace {
inline blasint bi(std::size_t v) { return static_cast<blasint>(v); }
} // namespace

void launchGemmCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // Y = act(alpha·op(A)·op(B) + beta·C): Y is first filled with beta·C
    // broadcast to [M, N] (C is at most 2-D), then SGEMM accumulates into it.
    Activation act;
    const GemmAttrs& at = static_cast<const GemmOp&>(unfuse(op, act)).attrs;
    const Shape& a = in[0]->dims();
    const Shape& b = in[1]->dims();
    const bool ta = at.transA != 0, tb = at.transB != 0;
    const std::size_t M = ta ? a[1] : a[0], K = ta ? a[0] : a[1], N = tb ? b[0] : b[1];
    float* y = out[0]->data<float>();
    const Tensor* c = in.size() > 2 ? in[2] : nullptr;
    float beta = 0.f;
    if (c && at.beta != 0.f) {
        Shape cd = c->dims();
        cd.insert(cd.begin(), 2 - cd.size(), 1);
        const std::size_t sm = cd[0] == 1 ? 0 : cd[1], sn = cd[1] == 1 ? 0 : 1;
        const float* cp = c->data<float>();
        for (std::size_t m = 0; m < M; ++m)
            for (std::size_t n = 0; n < N; ++n) y[m * N + n] = at.beta * cp[m * sm + n * sn];
        beta = 1.f;
    }
    sgemmParallel(ta, tb, M, N, K, at.alpha, in[0]->data<float>(), a[1], in[1]->data<float>(), b[1], beta, y, N);
    if (EpilogueStats* st = epilogueStats(op)) {
        countThenActivate(*out[0], act, *st);
        return;
    }
    if (act.kind != ActKind::None) {
        const Micro& mk = micro();
        parallelRange(M, 16, [&](std::size_t lo, std::size_t hi) {
            mk.scaleShiftAct(y + lo * N, y + lo * N, (hi - lo) * N, 1.f, 0.f, act);
        });
    }
}

void launchMatMulCpu(const Operator&, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    // numpy matmul: 1-D A is [1, K], 1-D B is [K, 1]; batch dims broadcast.
    // When B is a single matrix, A's batch folds into M: one SGEMM.
    Shape a = in[0]->dims(), b = in[1]->dims();
    if (a.size() == 1) a.insert(a.begin(), 1);
    if (b.size() == 1) b.push_back(1);
    const std::size_t M = a[a.size() - 2], K = a.back(), N = b.back();
    const Shape aBatch(a.begin(), a.end() - 2), bBatch(b.begin(), b.end() - 2);
    const Shape batch = broadcastShapes(aBatch, bBatch);
    const float* ap = in[0]->data<float>();
    const float* bp = in[1]->data<float>();
    float* yp = out[0]->data<float>();
    if (numElements(bBatch) == 1 && numElements(aBatch) == numElements(batch)) {
        const std::size_t rows = numElements(batch) * M;
        sgemmParallel(false, false, rows, N, K, 1.f, ap, K, bp, N, 0.f, yp, N);
        return;
    }
    std::vector<std::size_t> idx(batch.size());
    for (std::size_t i = 0, n = numElements(batch); i < n; ++i) {
        unravel(i, batch, idx);
        scipy_cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, bi(M), bi(N), bi(K), 1.f,
                          ap + broadcastOffset(aBatch, idx) * M * K, bi(K), bp + broadcastOffset(bBatch, idx) * K * N,
                          bi(N), 0.f, yp + i * M * N, bi(N));
    }
}

} // namespace fibnlr
