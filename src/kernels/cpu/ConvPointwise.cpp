// A 1×1, stride-1, unpadded, group-1 convolution (the expand and project
// layers of MobileNets) as one GEMM per image on the micro-kernel table's
// register tile, reading the input planes in place.
//
// Why: in NCHW such a conv is y[n] = W·x[n] with x[n] ([K, P], P = H·W)
// already laid out as the B matrix. conv2d_f32_im2col hands it to OpenBLAS,
// which packs W and x[n] on every call and zeroes the output first, and at
// batch > 1 groups images into an im2col copy whose result the epilogue
// scatters back. With K = 16-320 (MobileNetV2) there are few FMAs per value
// moved, so those copies and the separate epilogue pass are a large share of
// the layer. Here the weights are packed once per compiled plan
// (keptPackedWeights), the tile reads x's rows at stride P
// (Micro::gemmPacked's ldb) and writes y in place, and the epilogue (bias
// map, scale/shift, activation, FIBNLR's counting) runs on each MR-row ×
// kChunk-column block right after the tile wrote it, while it is in L1.
//
// Work: units of (image, column block). A column block holds at most
// kBlockFloats of B (K × nc, in L2) so that every panel of the weights reuses
// it; with few units (batch 1) the images are cut into more blocks. Maps of
// fewer than kInPlaceMinMap pixels at batch > 1 (MobileNets' 14×14 and 7×7
// layers), at batch > 1 convs with few output channels, and strided 1×1
// convs (ResNets' projection shortcuts) take the gathered path instead
// (pointwiseGathered).
#include <algorithm>

#include "PackedWeights.hpp"
#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"

namespace fibnlr {

namespace {
constexpr std::size_t kBlockFloats = std::size_t(64) << 10;  // B block K × nc: 256 KB (L2)
constexpr std::size_t kChunk = 256;  // columns per epilogue pass: MR × 256 floats (≤ 12 KB, L1); a multiple of NR
constexpr std::size_t kInPlaceMinMap = 512;  // pixels per image from which x is read in place
constexpr std::size_t kGatheredMinColumns = 256;  // N·P of smaller maps from which gathering pays (strided: kInPlaceMinMap)
constexpr std::size_t kGatheredMaxWeights = std::size_t(128) << 10;  // M·K floats (512 KB) of the gathered path
constexpr std::size_t kGatheredMaxOutputs = 48;  // output channels up to which batches > 1 gather on any map
inline std::size_t ceilDiv(std::size_t a, std::size_t b) { return (a + b - 1) / b; }
inline bool isStrided(const ConvParams& p) {
    return std::any_of(p.strides.begin(), p.strides.end(), [](std::size_t s) { return s != 1; });
}

/// Small maps (P < kInPlaceMinMap): the columns of all images as one row of
/// N·P, cut into blocks of nb columns (a multiple of NR) that may span images.
/// A block of x is gathered into a [K][nb] buffer (zero past its last column),
/// the tile writes each panel's [rows][nb] into a second buffer, and the
/// epilogue scatters every image's piece of it to y. Read in place, a 7×7 map
/// would fill 49 of 64 tile columns and read B at a 196-byte stride.
void pointwiseGathered(const ConvParams& p, const float* x, const float* A, std::size_t P, const float* scale,
                       const float* shift, float* y, const Activation& act, EpilogueStats* stats) {
    const std::size_t N = p.batch, K = p.inChannels, M = p.outChannels, NP = N * P;
    // A strided conv (2-D only: supportsConvPointwise) reads output pixel (oy, ox) at input (oy·sh, ox·sw).
    const bool strided = isStrided(p);
    std::size_t HW = 1;
    for (std::size_t d : p.inDims) HW *= d;
    const std::size_t OW = p.outDims.back(), W = p.inDims.back(), sw = p.strides.back(), sh = p.strides.front();
    const Micro& mk = micro();
    const std::size_t MR = mk.gemmMR, NR = mk.gemmNR, panels = ceilDiv(M, MR), T = numThreads();
    // Block width: the gathered block in L2 (kBlockFloats), at most kChunk·4 columns,
    // and narrow enough to give every thread several blocks.
    std::size_t nb = std::min(kBlockFloats / std::max<std::size_t>(K, 1), 4 * kChunk);
    nb = std::min(nb, ceilDiv(NP, 4 * T));
    nb = std::max(NR, ceilDiv(nb, NR) * NR);
    const std::size_t blocks = ceilDiv(NP, nb);
    // A measured forward without a bias map counts and activates each block
    // row in one call, then copies the images' pieces to y: a counting call
    // per piece (49 or 196 columns) cost more than its arithmetic (the whole
    // fibnlr_compute of the 28×28 demo MobileNetV2 at batch 64 1.07× faster).
    // The plain epilogue stays per piece (a whole row and copies was neutral).
    const bool wholeRows = stats && !p.biasMap;
    parallelFor(blocks, [&](std::size_t b) {
        const std::size_t c0 = b * nb, c1 = std::min(NP, c0 + nb), width = ceilDiv(c1 - c0, NR) * NR;
        float* B = scratch(0, K * nb);
        float* C = scratch(1, MR * nb);
        for (std::size_t c = c0; c < c1;) {  // one image's piece [j, j + len) of the block per pass
            const std::size_t n = c / P, j = c % P;
            if (!strided) {
                const std::size_t len = std::min(c1 - c, P - j);
                const float* xs = x + n * K * P + j;
                for (std::size_t k = 0; k < K; ++k) std::copy(xs + k * P, xs + k * P + len, B + k * nb + (c - c0));
                c += len;
                continue;
            }
            // Strided: one output row's piece per pass, every sw-th input value of row oy·sh.
            const std::size_t len = std::min(c1 - c, OW - j % OW);
            const float* xs = x + n * K * HW + (j / OW) * sh * W + (j % OW) * sw;
            for (std::size_t k = 0; k < K; ++k) {
                float* dst = B + k * nb + (c - c0);
                const float* src = xs + k * HW;
                if (sw == 2)  // a constant stride: the compiler vectorises it with shuffles
                    for (std::size_t t = 0; t < len; ++t) dst[t] = src[2 * t];
                else
                    for (std::size_t t = 0; t < len; ++t) dst[t] = src[t * sw];
            }
            c += len;
        }
        for (std::size_t k = 0; k < K; ++k) std::fill(B + k * nb + (c1 - c0), B + k * nb + width, 0.f);
        EpilogueCounts counts;
        std::uint8_t* alive = stats ? aliveScratch(M) : nullptr;
        for (std::size_t q = 0; q < panels; ++q) {
            const std::size_t m0 = q * MR, rows = std::min(MR, M - m0);
            for (std::size_t j = 0; j < width; j += NR) mk.gemmPacked(A + q * K * MR, B + j, nb, K, C + j, nb, rows, NR, false);
            for (std::size_t r = 0; r < rows; ++r) {
                const std::size_t m = m0 + r;
                float* row = C + r * nb;
                if (wholeRows && convEpilogueRow(mk, p, scale, shift, act, m, 0, row, row, c1 - c0, &counts)) alive[m] = 1;
                for (std::size_t c = c0; c < c1;) {
                    const std::size_t n = c / P, j = c % P, len = std::min(c1 - c, P - j);
                    float* dst = y + (n * M + m) * P + j;
                    if (wholeRows) std::copy(row + (c - c0), row + (c - c0) + len, dst);
                    else if (convEpilogueRow(mk, p, scale, shift, act, m, j, row + (c - c0), dst, len, stats ? &counts : nullptr))
                        alive[m] = 1;
                    c += len;
                }
            }
        }
        if (stats) stats->merge(counts.neg, counts.pos, counts.nonFinite, alive, 0, M);
    });
}
} // namespace

void conv2d_f32_pointwise(const ConvParams& p, const float* x, const float* w, const float* scale,
                          const float* shift, float* y, const Activation& act, EpilogueStats* stats) {
    std::size_t P = 1;
    for (std::size_t d : p.outDims) P *= d;
    const std::size_t N = p.batch, K = p.inChannels, M = p.outChannels;
    if (N == 0 || M == 0 || P == 0) return;
    const Micro& mk = micro();
    const std::size_t MR = mk.gemmMR, NR = mk.gemmNR, panels = ceilDiv(M, MR), T = numThreads();
    const float* A = keptPackedWeights(p, w, 1, M, K, std::max<std::size_t>(K, 1), MR);  // panel q: [K][MR] at A + q·K·MR
    // Few output channels at batch > 1 gather too: with M ≤ 48 (2-4 panels) every value of x feeds only
    // M FMAs, and the tile's K rows read at stride P were most of the time (MobileNetV2 224×224 b8's
    // projections to 24 and 32 channels on 112×112 to 28×28 maps, per step: 1.14-1.56× at 1 and 2
    // threads). At batch 1 gathering lost on those maps (0.75-0.85× on 112×112 and 28×28).
    if (isStrided(p) || P < kInPlaceMinMap || (M <= kGatheredMaxOutputs && N > 1))
        return pointwiseGathered(p, x, A, P, scale, shift, y, act, stats);

    // Column blocks per image, each a whole number of NR-column tiles but the last.
    const std::size_t tiles = ceilDiv(P, NR);
    std::size_t blocks = std::min(tiles, ceilDiv(P, std::max(NR, kBlockFloats / std::max<std::size_t>(K, 1) / NR * NR)));
    // Few units (batch 1): more, narrower blocks, so that their number is a multiple of the threads
    // where the columns allow (the kernel list picks this kernel for maps of ≥ 512 pixels: ≥ 16 tiles).
    if (T > 1 && N * blocks < 4 * T)
        while (blocks < tiles && (N * blocks) % T != 0) ++blocks;

    parallelFor(N * blocks, [&](std::size_t u) {
        const std::size_t b = u % blocks, n = u / blocks;
        const std::size_t c0 = b * tiles / blocks * NR, c1 = std::min(P, (b + 1) * tiles / blocks * NR);
        const float* xn = x + n * K * P;
        float* yn = y + n * M * P;
        EpilogueCounts counts;
        std::uint8_t* alive = stats ? aliveScratch(M) : nullptr;
        for (std::size_t q = 0; q < panels; ++q) {
            const float* up = A + q * K * MR;
            const std::size_t m0 = q * MR, rows = std::min(MR, M - m0);
            float* yq = yn + m0 * P;
            for (std::size_t ch = c0; ch < c1; ch += kChunk) {
                const std::size_t e = std::min(c1, ch + kChunk);
                for (std::size_t j = ch; j < e; j += NR)  // the last tile masked to the columns left
                    mk.gemmPacked(up, xn + j, P, K, yq + j, P, rows, std::min(NR, e - j), false);
                for (std::size_t m = m0; m < m0 + rows; ++m) {
                    float* row = yn + m * P + ch;
                    if (convEpilogueRow(mk, p, scale, shift, act, m, ch, row, row, e - ch, stats ? &counts : nullptr))
                        alive[m] = 1;
                }
            }
        }
        if (stats) stats->merge(counts.neg, counts.pos, counts.nonFinite, alive, 0, M);
    });
}

// Measured against conv2d_f32_im2col and conv2d_f32_packed per layer (AVX-512,
// 1 thread, the 1×1 layers of MobileNetV2 224×224 at batch 1 and 8 and of the
// 28×28 demo model at batch 1 and 64):
// - read in place (P ≥ 512 pixels): 1.1-1.9× faster from 28×28 maps up
//   (OpenBLAS's packing of the input and the separate epilogue pass are most
//   of such a layer). In place at 7×7 it was 0.5-0.9×: a tile row reads B at
//   a 196-byte stride from L2 and a 49-column map fills 49 of 64 columns.
// - gathered (P < 512, N·P ≥ 512): 1.07-1.24× on the 14×14 layers at batch 8
//   and 1.03-1.19× on the 14×14 and 7×7 layers at batch 64 for K ≥ 24; with
//   K = 16 it was 0.90× (16 FMAs per tile do not pay for its loads and
//   stores), and with M·K > 128K weights (960 × 320) 0.83× at 392 columns, where
//   blocks narrowed to K-sized L2 blocks stream the weights once per block.
//   At batch 1 (196 or 49 columns) the gathering does not pay: 0.8×. From 256
//   columns it does: MobileNetV2's 576 → 160 on 7×7 at batch 8 (392 columns)
//   1.18× per step (2 threads, two runs).
// - gathered once by all threads, then (column block, panel) units, for M·K
//   up to 256K (MobileNetV2's 160 ↔ 960 on 7×7 at batch 8 and 1): 0.95-1.05×
//   against im2col at batch 8 and 0.9-1.15× at batch 1 between runs: not kept.
// - strided 1×1 (ResNet18's shortcuts, 2-D), gathered, against im2col: 1.10-1.81× at batch 1 (224×224),
//   1.03-1.31× at batch 64 (32×32), 0.98-1.14× at batch 8 (224×224), 1 and 2 threads.
// - with 16 output channels (MobileNetV2's 32 → 16 on 112×112), after the tile learnt
//   panels of 4 rows: 1.61× at batch 1 on 1 thread but 0.95× on 2, 0.91-0.99× at batch 8.
bool supportsConvPointwise(const Operator& op, const std::vector<Shape>& in) {
    ConvParams p;
    if (!groupOneConvParams(op, in, p)) return false;
    std::size_t P = 1;
    for (std::size_t d = 0; d < p.kernel.size(); ++d) {
        // Unpadded, or end padding that no tap reads: out = (in − 1) / stride + 1.
        if (p.kernel[d] != 1 || p.strides[d] == 0 || p.padBegin[d] != 0 ||
            p.outDims[d] != (p.inDims[d] - 1) / p.strides[d] + 1)
            return false;
        P *= p.outDims[d];
    }
    const std::size_t K = p.inChannels, M = p.outChannels;
    if (M < 24) return false;
    if (isStrided(p))  // 2-D (ResNets' projection shortcuts): gathered at any map size
        return p.kernel.size() == 2 && P * p.batch >= kInPlaceMinMap && K >= 24 && M * K <= kGatheredMaxWeights;
    if (P >= kInPlaceMinMap) return true;
    return P * p.batch >= kGatheredMinColumns && K >= 24 && M * K <= kGatheredMaxWeights;
}

void launchConvPointwiseCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    launchConvKernel(op, in, out, conv2d_f32_pointwise);
}

} // namespace fibnlr
