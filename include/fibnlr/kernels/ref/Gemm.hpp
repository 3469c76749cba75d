#pragma once
#include <cstddef>

namespace fibnlr {

/// y[M, N] = alpha · op(A) · op(B) + beta · C, the one matrix product behind
/// Gemm, MatMul (one call per batch matrix) and, later, im2col convolution.
/// - op(A)[m, k] = a[m·lda + k], or a[k·lda + m] when transA (lda: stored row length).
/// - op(B)[k, n] = b[k·ldb + n], or b[n·ldb + k] when transB.
/// - C (null: no C term) is read at c[m·cStrideM + n·cStrideN]; a stride of 0
///   broadcasts C along that dim, so [N], [M, 1] and scalars need no copy.
/// y is dense [M, N] and must not alias a, b or c.
struct GemmParams {
    std::size_t M = 1, N = 1, K = 1, lda = 1, ldb = 1;
    bool transA = false, transB = false;
    float alpha = 1.f, beta = 1.f;
    std::size_t cStrideM = 0, cStrideN = 0;
};

/// Naive triple loop accumulating in double; the oracle for fast GEMMs.
void gemm_f32_ref(const GemmParams& p, const float* a, const float* b, const float* c, float* y);

} // namespace fibnlr
