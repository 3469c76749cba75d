#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "fibnlr/kernels/Counting.hpp"
#include "fibnlr/operator/Fused.hpp"

namespace fibnlr {

/// The transforms of Winograd F(m×m, 3×3), α = m + 2: an input tile is α×α
/// at stride m, and the α² products of a tile give an m×m output tile.
struct WinogradTransforms {
    std::size_t m;
    /// The input transform V = Bᵀ d B in two halves, so that each input row
    /// is transformed once although several tile rows read it. Row half
    /// (d B) of one input row r (m·tiles + 2 readable floats, padding in
    /// place): h[j·hs + t] for tile t, columns j < α.
    void (*row)(const float* r, std::size_t tiles, float* h, std::size_t hs);
    /// Column half (Bᵀ ·) over the row halves h[0 .. α) of input rows
    /// m·ty .. m·ty + α − 1: v[(α·i + j)·vs + t] for t < tiles.
    void (*col)(const float* const* h, std::size_t hs, std::size_t tiles, float* v, std::size_t vs);
    /// Output transform of one row of tiles: the α² products p[(α·i + j)·ps + t]
    /// become Y = Aᵀ p A, written to y[i][m·t + j] for output rows i < m
    /// (m·tiles floats each).
    void (*out)(const float* p, std::size_t ps, std::size_t tiles, float* const* y);
    /// Filter transform U = G g Gᵀ of n 3×3 filters, filter f at w + f·ws,
    /// written to u[ξ·us + f], ξ = α·i + j.
    void (*weights)(const float* w, std::size_t ws, std::size_t n, float* u, std::size_t us);
};

/// The window of Micro::dwInterleaved: padded row length Wp (pixels), output
/// map OH × OW, kernel kh × kw, strides and dilations.
struct DwWindow {
    std::size_t Wp, OH, OW, kh, kw, sh, sw, dh, dw;
};

/// The SIMD inner loops of the cpu kernels. They are written once
/// (kernels/cpu/MicroImpl.inl) and compiled three times: plainly (runs
/// anywhere), with AVX2+FMA and with AVX-512; micro() picks the table at run time. All take raw
/// pointers, do not allocate, and allow y == x where noted.
struct Micro {
    const char* name;
    /// y[i] = act(x[i]·scale + shift), i < n. y may equal x.
    void (*scaleShiftAct)(const float* x, float* y, std::size_t n, float scale, float shift, const Activation& act);
    /// y[i] = act(a[i] ∘ b[i·bStep]) with bStep 0 (b scalar) or 1; ∘ = + − × ÷ for op 0..3.
    /// aStep likewise (0 or 1). y may equal a or b when its step is 1.
    void (*binary)(int op, const float* a, std::size_t aStep, const float* b, std::size_t bStep, float* y, std::size_t n,
                   const Activation& act);
    /// One output row of a 2-D depthwise/pool window: for taps kx in [0, kw),
    /// the output columns ox in [lo[kx], hi[kx]) read x[ox·stride + kx·dil − pad].
    /// acc[ox] += w[kx] · x[...]   (conv)  or  acc[ox] = max(acc[ox], x[...])  (max, w unused)
    /// or acc[ox] += x[...] (sum, w unused). mode 0 conv, 1 max, 2 sum.
    void (*windowRow)(int mode, const float* xRow, const float* w, std::size_t kw, std::size_t stride, std::size_t dil,
                      std::size_t pad, const std::size_t* lo, const std::size_t* hi, float* acc);
    /// One output row of a 3×3, dilation-1 depthwise conv from three input
    /// rows the caller zero-padded: y[ox] = Σ_{ky, kx < 3} w[3·ky + kx] ·
    /// r[ky][ox·stride + kx] for ox < n (one pass, where windowRow makes nine).
    void (*dw3x3Row)(const float* const* r, const float* w, std::size_t n, std::size_t stride, float* y);
    /// One output row of a 3×3, dilation-1 max pool from three input rows the
    /// caller padded with the lowest float: y[ox] = max over ky, kx < 3 of
    /// r[ky][ox·stride + kx], from the lowest float, for ox < n. Rows free of
    /// NaN only (the caller checks): a NaN tap is skipped here, where ONNX
    /// (and windowRow) let it win.
    void (*max3x3Row)(const float* const* r, std::size_t n, std::size_t stride, float* y);
    /// Σ x[i], i < n, in float with 8 partial sums.
    float (*sum)(const float* x, std::size_t n);
    /// Max over x[i], i < n (n > 0).
    float (*max)(const float* x, std::size_t n);
    /// Sign statistics of v[0, n), accumulated in double: neg += Σ|v| over
    /// finite v < 0, pos += Σ v over finite v > 0, nonFinite += #NaN/±Inf;
    /// then v[i] = act(v[i]) in place, exactly as scaleShiftAct(v, v, n, 1, 0, act).
    /// Returns true when some v > 0 (+Inf included).
    bool (*countAct)(float* v, std::size_t n, const Activation& act, double& neg, double& pos, std::uint64_t& nonFinite);
    /// The measuring epilogue: dst[i] = act(src[i]·scale + shift) exactly as
    /// scaleShiftAct, while accumulating the sign statistics (as countAct)
    /// of the pre-activation values src[i]·scale + shift. Returns true when
    /// some pre-activation value is > 0. dst may equal src.
    bool (*scaleShiftCountAct)(const float* src, float* dst, std::size_t n, float scale, float shift,
                               const Activation& act, double& neg, double& pos, std::uint64_t& nonFinite);
    /// Winograd F(2×2, 3×3) and F(4×4, 3×3) transforms (kernels/cpu/Winograd.cpp).
    WinogradTransforms winograd2, winograd4;
    /// Register tile of gemmPacked: gemmMR rows × gemmNR columns.
    std::size_t gemmMR, gemmNR;
    /// GEMM register tile: out[r·ldo + j] = Σ_k up[k·MR + r] · vp[k·ldb + j], plus
    /// the old out[r·ldo + j] when `accumulate` (K-blocked callers add the
    /// blocks of K up in place), for r < rows ≤ MR and j < cols ≤ NR, with
    /// `up` an MR-row panel of A stored [K][MR] (padding rows zero) and `vp`
    /// columns of B whose rows are ldb floats apart: ldb = NR for a packed
    /// panel [K][NR], or B read in place (a 1×1 conv's input planes, ldb =
    /// H·W). Exactly columns j < cols are read and written (a partial last
    /// vector masked); cols ≤ NR/2 costs half the FMAs.
    void (*gemmPacked)(const float* up, const float* vp, std::size_t ldb, std::size_t K, float* out, std::size_t ldo,
                       std::size_t rows, std::size_t cols, bool accumulate);
    /// The same tile with B's rows at arbitrary offsets of one buffer:
    /// out[r·ldo + j] = Σ_k up[k·MR + r] · base[offs[k] + j], j < cols ≤ NR
    /// (a direct convolution reads its implicit im2col rows from the
    /// zero-padded input this way: kernels/cpu/ConvDirect.cpp).
    void (*gemmIndirect)(const float* up, const float* base, const std::size_t* offs, std::size_t K, float* out,
                         std::size_t ldo, std::size_t rows, std::size_t cols);
    /// FIBNLR's sign counting over x [outer, channels, inner] (kernels/Counting.hpp).
    CountSignsFn countSigns;
    /// Σ x[i], i < n, as a plain streaming read (the counting benchmark's yardstick).
    float (*streamRead)(const float* x, std::size_t n);
    /// Channels per vector (L) of dwInterleaved, dwInterleave and dwDeinterleave: gemmNR / 2.
    std::size_t dwLanes;
    /// A depthwise window over dwLanes channels at once, interleaved (lane l
    /// of pixel i at [i·L + l], L = dwLanes): out[(oy·OW + ox)·L + l] =
    /// Σ_{ky, kx} w[(ky·kw + kx)·L + l] · pad[((oy·sh + ky·dh)·Wp + ox·sw + kx·dw)·L + l]
    /// for oy < OH, ox < OW, with `pad` the zero-padded input rows
    /// (kernels/cpu/DwConvInterleaved.cpp).
    void (*dwInterleaved)(const DwWindow& g, const float* pad, const float* w, float* out);
    /// Into the interleaved layout: dst[pos(i)·L + l] = src[l·stride + i] for
    /// i < n and l < L (0 for l ≥ lanes), with pos(i) = (i / rowLen)·dstRow +
    /// i % rowLen (a row-major map of rowLen-wide rows into a wider one).
    void (*dwInterleave)(const float* src, std::size_t stride, std::size_t lanes, std::size_t n, std::size_t rowLen,
                         std::size_t dstRow, float* dst);
    /// Out of it: dst[l·stride + i] = src[i·L + l] for i < n, l < lanes.
    void (*dwDeinterleave)(const float* src, std::size_t n, std::size_t lanes, float* dst, std::size_t stride);
    /// The plain conv epilogue on dwInterleaved's output, in place: v[i·L + l] =
    /// act(v[i·L + l]·scale[l] + shift[l]) for i < n, L = dwLanes, with the
    /// operations of this table's scaleShiftAct on channel l's plane (a lane
    /// with scale 1 and shift 0 keeps v, −0 included). act: None, ReLU,
    /// LeakyReLU or Clip, one `a` for every lane.
    void (*dwAffineAct)(float* v, std::size_t n, const float* scale, const float* shift, const Activation& act);
    /// dwAffineAct of a measured forward: the same outputs, and the
    /// pre-activation values v·scale + shift of lanes l < lanes counted as
    /// scaleShiftCountAct counts them on each lane's plane (finite negatives
    /// into neg, positives into pos, in double; ±Inf and NaN into nonFinite).
    /// Returns bit l set when lane l < lanes had one > 0 (+Inf included).
    std::uint32_t (*dwAffineCountAct)(float* v, std::size_t n, const float* scale, const float* shift,
                                      const Activation& act, std::size_t lanes, double& neg, double& pos,
                                      std::uint64_t& nonFinite);
};

/// The generic table, always available.
const Micro& microGeneric();
/// The AVX2+FMA table; null when the CPU lacks AVX2 or FMA.
const Micro* microAvx2();
/// The AVX-512 (F, DQ, BW, VL) table; null when the CPU or OS lacks them.
const Micro* microAvx512();
/// The table in use: the widest available, unless set_kernels("cpu-avx2") or
/// set_kernels("cpu-generic") (or FIBNLR_KERNELS) capped it.
const Micro& micro();

/// Kernel selection for compiled plans:
/// - "cpu": fast kernels, best SIMD path (default);
/// - "cpu-avx2": fast kernels, at most the AVX2 path;
/// - "cpu-generic": fast kernels, plain path (no AVX2);
/// - "ref": reference kernels everywhere (debugging, naive baseline).
/// Initial value from the environment variable FIBNLR_KERNELS. Plans compiled
/// earlier re-plan at their next forward. Throws std::invalid_argument otherwise.
void setKernels(const std::string& mode);
const std::string& kernels();
/// Incremented by every setKernels call, so compiled plans can tell they are stale.
std::size_t kernelsRevision();

} // namespace fibnlr
