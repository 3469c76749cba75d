// The packed GEMM micro-kernel, included by the micro-kernel tables with
// FIBNLR_GEMM_W (floats per vector register) and FIBNLR_GEMM_MR (rows) set:
// a register tile of MR rows × NR = 2·W columns, MR·2 accumulators. Written
// with GCC vector extensions so that each including file's ISA flags pick
// the registers (SSE, AVX2+FMA, AVX-512). Internal linkage only, as in
// MicroImpl.inl.
namespace {

constexpr std::size_t kGemmW = FIBNLR_GEMM_W, kGemmMR = FIBNLR_GEMM_MR, kGemmNR = 2 * kGemmW;
typedef float GemmVec __attribute__((vector_size(4 * FIBNLR_GEMM_W)));

/// out[r·ldo + j] = Σ_k up[k·MR + r] · vp[k·NR + j] for r < rows ≤ MR and
/// j < NR: `up` is an MR-row panel of A stored column by column ([K][MR]),
/// `vp` an NR-column panel of B stored row by row ([K][NR]).
void gemmPacked(const float* up, const float* vp, std::size_t K, float* out, std::size_t ldo, std::size_t rows) {
    GemmVec acc[kGemmMR][2] = {};
    for (std::size_t k = 0; k < K; ++k) {
        GemmVec v0, v1;
        __builtin_memcpy(&v0, vp + k * kGemmNR, sizeof v0);
        __builtin_memcpy(&v1, vp + k * kGemmNR + kGemmW, sizeof v1);
        const float* a = up + k * kGemmMR;
        for (std::size_t r = 0; r < kGemmMR; ++r) {
            const GemmVec b = a[r] - GemmVec{};  // a splat (x − 0 folds to x; x + 0 would not)
            acc[r][0] += b * v0;
            acc[r][1] += b * v1;
        }
    }
    for (std::size_t r = 0; r < rows; ++r) {
        __builtin_memcpy(out + r * ldo, &acc[r][0], sizeof acc[r][0]);
        __builtin_memcpy(out + r * ldo + kGemmW, &acc[r][1], sizeof acc[r][1]);
    }
}

} // namespace
