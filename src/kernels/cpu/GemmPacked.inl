// The GEMM register tile, included by the micro-kernel tables with
// FIBNLR_GEMM_W (floats per vector register) and FIBNLR_GEMM_MR (rows) set:
// a tile of MR rows × NR = 2·W columns, MR·2 accumulators. Written with GCC
// vector extensions so that each including file's ISA flags pick the
// registers (SSE, AVX2+FMA, AVX-512); the partial last vector of a narrow
// tile uses the ISA's masked loads and stores (<immintrin.h>, included by
// the including file before its namespace). Internal linkage only, as in
// MicroImpl.inl.
namespace {

constexpr std::size_t kGemmW = FIBNLR_GEMM_W, kGemmMR = FIBNLR_GEMM_MR, kGemmNR = 2 * kGemmW;
typedef float GemmVec __attribute__((vector_size(4 * FIBNLR_GEMM_W)));

/// The first n < W floats at p as a vector (the rest zero), and back: the
/// memory past them is neither read nor written. The mask is made once per
/// tile, outside its K loop.
struct PartMask {
#if FIBNLR_GEMM_W == 16 && defined(__AVX512F__)
    __mmask16 m;
    explicit PartMask(std::size_t n) : m(static_cast<__mmask16>((1u << n) - 1)) {}
    GemmVec load(const float* p) const { return (GemmVec)_mm512_maskz_loadu_ps(m, p); }
    void store(float* p, GemmVec v) const { _mm512_mask_storeu_ps(p, m, (__m512)v); }
#elif FIBNLR_GEMM_W == 8 && defined(__AVX2__)
    __m256i m;
    explicit PartMask(std::size_t n)
        : m(_mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7))) {}
    GemmVec load(const float* p) const { return (GemmVec)_mm256_maskload_ps(p, m); }
    void store(float* p, GemmVec v) const { _mm256_maskstore_ps(p, m, (__m256)v); }
#else
    std::size_t n;
    explicit PartMask(std::size_t count) : n(count) {}
    GemmVec load(const float* p) const {
        GemmVec v = {};
        for (std::size_t i = 0; i < n; ++i) v[i] = p[i];
        return v;
    }
    void store(float* p, GemmVec v) const {
        for (std::size_t i = 0; i < n; ++i) p[i] = v[i];
    }
#endif
};

/// The tile over V vectors (V = 1: W columns, half the FMAs) and the first
/// R rows of the panel (rows ≤ R ≤ MR), B row k at rowAt(k). With kPart the
/// last vector holds only `part` (< W) columns: loaded and stored masked.
template <int V, bool kPart, std::size_t R, class RowAt>
inline void gemmTile(const float* up, RowAt rowAt, std::size_t K, float* out, std::size_t ldo, std::size_t rows,
                     std::size_t part, bool accumulate) {
    GemmVec acc[R][V] = {};
    const PartMask pm(part);
    for (std::size_t k = 0; k < K; ++k) {
        GemmVec v[V];
        const float* row = rowAt(k);
        for (int i = 0; i < V; ++i) {
            const float* src = row + i * kGemmW;
            if (kPart && i == V - 1) v[i] = pm.load(src);
            else __builtin_memcpy(&v[i], src, sizeof v[i]);
        }
        const float* a = up + k * kGemmMR;
        for (std::size_t r = 0; r < R; ++r) {
            const GemmVec b = a[r] - GemmVec{};  // a splat (x − 0 folds to x; x + 0 would not)
            for (int i = 0; i < V; ++i) acc[r][i] += b * v[i];
        }
    }
    for (std::size_t r = 0; r < rows && r < R; ++r)  // rows ≤ R; the bound tells the compiler too
        for (int i = 0; i < V; ++i) {
            float* o = out + r * ldo + i * kGemmW;
            const bool partial = kPart && i == V - 1;
            if (accumulate) {
                GemmVec old;
                if (partial) old = pm.load(o);
                else __builtin_memcpy(&old, o, sizeof old);
                acc[r][i] += old;
            }
            if (partial) pm.store(o, acc[r][i]);
            else __builtin_memcpy(o, &acc[r][i], sizeof acc[r][i]);
        }
}

/// The tile for `cols` (≤ NR) columns and the first R rows: exactly those columns are read and written.
template <std::size_t R, class RowAt>
inline void gemmColsRows(const float* up, RowAt rowAt, std::size_t K, float* out, std::size_t ldo, std::size_t rows,
                         std::size_t cols, bool accumulate) {
    if (cols >= kGemmNR) gemmTile<2, false, R>(up, rowAt, K, out, ldo, rows, 0, accumulate);
    else if (cols > kGemmW) gemmTile<2, true, R>(up, rowAt, K, out, ldo, rows, cols - kGemmW, accumulate);
    else if (cols == kGemmW) gemmTile<1, false, R>(up, rowAt, K, out, ldo, rows, 0, accumulate);
    else if (cols > 0) gemmTile<1, true, R>(up, rowAt, K, out, ldo, rows, cols, accumulate);
}

/// The tile for `cols` (≤ NR) columns and `rows` (≤ MR) rows. A panel of at
/// most MR/3 or 2·MR/3 rows (the last panel of M = 16, 64, 160 or 32, 128
/// with MR = 12) runs a tile of that many rows: the full tile would spend
/// its FMAs on the panel's zero rows. Per step, the demo ResNet's direct
/// convs (8, 16 and 32 channels) ran 1.15-1.27× faster at batch 64.
template <class RowAt>
inline void gemmCols(const float* up, RowAt rowAt, std::size_t K, float* out, std::size_t ldo, std::size_t rows,
                     std::size_t cols, bool accumulate) {
    if (rows <= kGemmMR / 3) gemmColsRows<kGemmMR / 3>(up, rowAt, K, out, ldo, rows, cols, accumulate);
    else if (rows <= 2 * kGemmMR / 3) gemmColsRows<2 * kGemmMR / 3>(up, rowAt, K, out, ldo, rows, cols, accumulate);
    else gemmColsRows<kGemmMR>(up, rowAt, K, out, ldo, rows, cols, accumulate);
}

/// out[r·ldo + j] = Σ_k up[k·MR + r] · vp[k·ldb + j] (+ out[r·ldo + j] when
/// `accumulate`) for r < rows ≤ MR and j < cols ≤ NR: `up` is an MR-row panel
/// of A stored column by column ([K][MR]), `vp` columns of B whose rows are
/// ldb floats apart (ldb = NR: a packed panel; larger: B read in place, e.g.
/// the input planes of a 1×1 conv). Exactly columns j < cols are read and
/// written (the last partial vector masked).
void gemmPacked(const float* up, const float* vp, std::size_t ldb, std::size_t K, float* out, std::size_t ldo,
                std::size_t rows, std::size_t cols, bool accumulate) {
    if (ldb == kGemmNR)  // a packed panel: a constant stride, so the compiler folds the row addresses
        gemmCols(up, [vp](std::size_t k) { return vp + k * kGemmNR; }, K, out, ldo, rows, cols, accumulate);
    else gemmCols(up, [vp, ldb](std::size_t k) { return vp + k * ldb; }, K, out, ldo, rows, cols, accumulate);
}

/// out[r·ldo + j] = Σ_k up[k·MR + r] · base[offs[k] + j] for r < rows ≤ MR
/// and j < cols ≤ NR: B's row k is a window of `base` (a direct convolution:
/// row (c, ky, kx) of the implicit im2col is the padded input shifted by
/// offs[k]). Exactly columns j < cols are read and written.
void gemmIndirect(const float* up, const float* base, const std::size_t* offs, std::size_t K, float* out,
                  std::size_t ldo, std::size_t rows, std::size_t cols) {
    gemmCols(up, [base, offs](std::size_t k) { return base + offs[k]; }, K, out, ldo, rows, cols, false);
}

} // namespace
