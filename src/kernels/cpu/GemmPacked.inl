// The packed GEMM micro-kernel, included by the micro-kernel tables with
// FIBNLR_GEMM_W (floats per vector register) and FIBNLR_GEMM_MR (rows) set:
// a register tile of MR rows × NR = 2·W columns, MR·2 accumulators. Written
// with GCC vector extensions so that each including file's ISA flags pick
// the registers (SSE, AVX2+FMA, AVX-512). Internal linkage only, as in
// MicroImpl.inl.
namespace {

constexpr std::size_t kGemmW = FIBNLR_GEMM_W, kGemmMR = FIBNLR_GEMM_MR, kGemmNR = 2 * kGemmW;
typedef float GemmVec __attribute__((vector_size(4 * FIBNLR_GEMM_W)));

/// The tile over V vectors (V = 1: the first W columns only, half the FMAs
/// for a narrow last panel, e.g. 16 columns of a 4×4 map on a 32-wide tile).
template <int V>
inline void gemmTile(const float* up, const float* vp, std::size_t K, float* out, std::size_t ldo, std::size_t rows,
                     bool accumulate) {
    GemmVec acc[kGemmMR][V] = {};
    for (std::size_t k = 0; k < K; ++k) {
        GemmVec v[V];
        for (int i = 0; i < V; ++i) __builtin_memcpy(&v[i], vp + k * kGemmNR + i * kGemmW, sizeof v[i]);
        const float* a = up + k * kGemmMR;
        for (std::size_t r = 0; r < kGemmMR; ++r) {
            const GemmVec b = a[r] - GemmVec{};  // a splat (x − 0 folds to x; x + 0 would not)
            for (int i = 0; i < V; ++i) acc[r][i] += b * v[i];
        }
    }
    for (std::size_t r = 0; r < rows; ++r)
        for (int i = 0; i < V; ++i) {
            float* o = out + r * ldo + i * kGemmW;
            if (accumulate) {
                GemmVec old;
                __builtin_memcpy(&old, o, sizeof old);
                acc[r][i] += old;
            }
            __builtin_memcpy(o, &acc[r][i], sizeof acc[r][i]);
        }
}

/// out[r·ldo + j] = Σ_k up[k·MR + r] · vp[k·NR + j] (+ out[r·ldo + j] when
/// `accumulate`) for r < rows ≤ MR and j < NR: `up` is an MR-row panel of A
/// stored column by column ([K][MR]), `vp` an NR-column panel of B stored row
/// by row ([K][NR]). With cols ≤ W only the first W columns are computed and
/// written.
void gemmPacked(const float* up, const float* vp, std::size_t K, float* out, std::size_t ldo, std::size_t rows,
                std::size_t cols, bool accumulate) {
    if (cols <= kGemmW) gemmTile<1>(up, vp, K, out, ldo, rows, accumulate);
    else gemmTile<2>(up, vp, K, out, ldo, rows, accumulate);
}

} // namespace
