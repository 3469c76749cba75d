// A group-1 convolution computed directly on the micro-kernel table's
// register tile, without an im2col matrix (an "indirect GEMM").
//
// Why: for the small dense convolutions of 28×28 models and of merged
// MobileNet blocks (16-64 channels, 7×7 to 28×28 maps, batch 1), im2col
// writes K = C·kh·kw rows per output pixel (9× the input) that OpenBLAS then
// packs again, and the GEMM is too small to amortise either copy; such
// layers ran at 0.4-0.75× onnxruntime's speed. Here each image is copied
// once into a zero-padded buffer, and the output plane is computed as one
// line over the buffer's width: Micro::gemmIndirect reads row k of the
// implicit im2col through a table of K offsets, each a contiguous window.
//
// At stride 1 the buffer is pad[c][Hq][Wq] (Hq = OH + (kh − 1)·dh, Wq = OW +
// (kw − 1)·dw), and output j = oy·Wq + ox of row (c, ky, kx) is
// pad[c·Hq·Wq + ky·dh·Wq + kx·dw + j]. At stride (sh, sw) the padded input is
// split into its sh·sw phases, phase (py, px) holding the padded pixels
// (i·sh + py, j·sw + px): tap (ky, kx), with a = ky·dh and b = kx·dw, reads
// phase (a mod sh, b mod sw) at row oy + a / sh and column ox + b / sw, again
// a contiguous window over j = oy·Wq + ox, with Hq = OH + (kh − 1)·dh / sh and
// Wq = OW + (kw − 1)·dw / sw (integer division). The Wq − OW columns past
// each output row, and the line's last tile up to whole vectors, are computed
// and dropped (as in the depthwise 3×3 kernel); the reads past the padded
// image land in a zeroed margin of NR floats.
// The weights are packed once per compiled plan (keptPackedWeights); the
// line of each MR-row panel is compacted into y and its epilogue applied
// while it is in cache.
//
// Work: whole images when there are at least as many as threads, otherwise
// the panels of each image (batch 1).
#include <algorithm>
#include <cstring>
#include <vector>

#include "ConvGeometry.hpp"
#include "PackedWeights.hpp"
#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"

namespace fibnlr {

namespace {
using convgeo::Geo2d;
using convgeo::geo2d;
using convgeo::tapRange;
inline std::size_t ceilDiv(std::size_t a, std::size_t b) { return (a + b - 1) / b; }
} // namespace

void conv2d_f32_direct(const ConvParams& p, const float* x, const float* w, const float* scale, const float* shift,
                       float* y, const Activation& act, EpilogueStats* stats) {
    const Geo2d g = geo2d(p);  // group 1 (supportsConvDirect)
    const std::size_t N = p.batch, C = p.inChannels, M = p.outChannels, P = g.OH * g.OW, HW = g.H * g.W;
    if (N == 0 || M == 0 || P == 0) return;
    const Micro& mk = micro();
    const std::size_t MR = mk.gemmMR, NR = mk.gemmNR, panels = ceilDiv(M, MR), T = threadsHere();
    const std::size_t K = C * g.kh * g.kw;
    const float* A = keptPackedWeights(p, w, 1, M, K, std::max<std::size_t>(K, 1), MR);  // panel q: [K][MR] at A + q·K·MR
    const std::size_t sh = g.sh, sw = g.sw, phases = sh * sw;
    const std::size_t Hq = g.OH + (g.kh - 1) * g.dh / sh, Wq = g.OW + (g.kw - 1) * g.dw / sw, plane = Hq * Wq;
    // Tiles of whole vectors (masked tiles cost more): a line is computed up to a whole number of NR
    // columns, whose reads run up to NR − 1 floats past the padded image (a zeroed margin).
    const std::size_t padFloats = C * phases * plane + NR;

    // Row k = (c·kh + ky)·kw + kx of the implicit im2col starts at pad + offs[k]; built by the calling
    // thread, read by all (kept per thread: no allocation after the first call of this size).
    thread_local std::vector<std::size_t> offsTable;
    offsTable.resize(K);
    for (std::size_t c = 0, k = 0; c < C; ++c)
        for (std::size_t ky = 0; ky < g.kh; ++ky)
            for (std::size_t kx = 0; kx < g.kw; ++kx) {
                const std::size_t a = ky * g.dh, b = kx * g.dw;
                offsTable[k++] = ((c * sh + a % sh) * sw + b % sw) * plane + a / sh * Wq + b / sw;
            }
    const std::size_t* offs = offsTable.data();

    // Phase (py, px) column j holds input column j·sw + px − pw: inside [0, W) for j in [jLo, jHi).
    std::size_t jLo[2], jHi[2];  // sw ≤ 2 (supportsConvDirect)
    for (std::size_t px = 0; px < sw; ++px) tapRange(g.W, Wq, sw, px, g.pw, jLo[px], jHi[px]);
    // Channels [c0, c1) of image n into their phase planes (and the zeroed margin with the last one).
    auto padChannels = [&](std::size_t n, float* pad, std::size_t c0, std::size_t c1) {
        std::fill(pad + c0 * phases * plane, pad + (c1 == C ? padFloats : c1 * phases * plane), 0.f);
        const float* xn = x + n * C * HW;
        for (std::size_t c = c0; c < c1; ++c)
            for (std::size_t py = 0; py < sh; ++py)
                for (std::size_t i = 0; i < Hq; ++i) {
                    const std::size_t iyp = i * sh + py;  // the padded row; input row iyp − ph
                    if (iyp < g.ph || iyp - g.ph >= g.H) continue;
                    const float* xr = xn + c * HW + (iyp - g.ph) * g.W;
                    for (std::size_t px = 0; px < sw; ++px) {
                        // dst[j] = xr[j·sw + px − pw] for j in [jLo, jHi), where that index is ≥ 0.
                        float* dst = pad + ((c * sh + py) * sw + px) * plane + i * Wq + jLo[px];
                        const float* src = xr + (jLo[px] * sw + px - g.pw);
                        const std::size_t cols = jHi[px] - jLo[px];
                        if (sw == 1) std::memcpy(dst, src, cols * sizeof(float));
                        else  // sw = 2, as a constant: it vectorises
                            for (std::size_t j = 0; j < cols; ++j) dst[j] = src[2 * j];
                    }
                }
    };
    // Work items of image n: (panel q, block of output rows). Whole images go to the threads when there
    // are at least as many (one block: the whole plane); with fewer (batch 1) the padding is split over
    // channels and the planes into row blocks, so that there are ≥ 4 items per thread even with few
    // panels (a stem's 32 or 64 channels are 3 or 6 panels).
    const bool perImage = T == 1 || N >= T;
    const std::size_t blocks = perImage ? 1 : std::min(g.OH, ceilDiv(4 * T, panels));
    const std::size_t blockRows = ceilDiv(g.OH, blocks), rowBlocks = ceilDiv(g.OH, blockRows);
    const std::size_t ldl = ((blockRows - 1) * Wq + g.OW + NR - 1) / NR * NR;  // a block's line, whole tiles
    // Items [t0, t1) of image n: each block's line (from column oy0·Wq) into the scratch `line`
    // [MR][ldl], its rows compacted into y, then the epilogue per output channel over the block's rows,
    // contiguous in y. A block's tiles read at most NR − 1 floats past its line: inside the next rows,
    // or the margin after the last.
    auto items = [&](std::size_t n, const float* pad, std::size_t t0, std::size_t t1) {
        float* line = scratch(1, MR * ldl);
        EpilogueCounts counts;
        std::uint8_t* alive = stats ? aliveScratch(M) : nullptr;
        for (std::size_t t = t0; t < t1; ++t) {
            const std::size_t q = t / rowBlocks, oy0 = t % rowBlocks * blockRows, oy1 = std::min(g.OH, oy0 + blockRows);
            const float* up = A + q * K * MR;
            const std::size_t m0 = q * MR, rows = std::min(MR, M - m0);
            const std::size_t j0 = oy0 * Wq, len = (oy1 - oy0 - 1) * Wq + g.OW;
            for (std::size_t j = 0; j < len; j += NR)
                mk.gemmIndirect(up, pad + j0 + j, offs, K, line + j, ldl, rows, len - j <= NR / 2 ? NR / 2 : NR);
            for (std::size_t r = 0; r < rows; ++r) {
                const std::size_t m = m0 + r;
                float* dst = y + (n * M + m) * P + oy0 * g.OW;
                const float* src = line + r * ldl;
                if (Wq == g.OW) std::memcpy(dst, src, (oy1 - oy0) * g.OW * sizeof(float));
                else
                    for (std::size_t oy = 0; oy < oy1 - oy0; ++oy) std::memcpy(dst + oy * g.OW, src + oy * Wq, g.OW * sizeof(float));
                if (convEpilogueRow(mk, p, scale, shift, act, m, oy0 * g.OW, dst, dst, (oy1 - oy0) * g.OW,
                                    stats ? &counts : nullptr))
                    alive[m] = 1;
            }
        }
        if (stats) stats->merge(counts.neg, counts.pos, counts.nonFinite, alive, 0, M);
    };
    if (perImage) {
        parallelFor(N, [&](std::size_t n) {
            float* pad = scratch(0, padFloats);
            padChannels(n, pad, 0, C);
            items(n, pad, 0, panels * rowBlocks);
        });
        return;
    }
    float* pad = scratch(0, padFloats);  // the calling thread's, read by every thread
    for (std::size_t n = 0; n < N; ++n) {
        parallelRange(C, 1, [&](std::size_t c0, std::size_t c1) { padChannels(n, pad, c0, c1); });
        parallelRange(panels * rowBlocks, 1, [&](std::size_t t0, std::size_t t1) { items(n, pad, t0, t1); });
    }
}

// Measured per layer against the kernel the list picked before (AVX-512, 1
// thread; 3×3 stride-1 convs, C → C channels on 7×7 to 56×56 maps, batch 1
// and 64): 1.1-1.8× faster with C ≤ 32 (K = C·9 ≤ 288) on every map size up
// to 28×28, against im2col and Winograd alike; with 64 channels faster than
// im2col (batch 1, 7×7 and 14×14 maps: 1.1×) but 0.6-0.95× Winograd, whose
// 2.25-4× fewer multiplications win once K is large; 0.76× with K = 9 (one
// input channel: too few FMAs per tile to pay for the padded copy). Hence:
// 16 ≤ K ≤ 320, or any larger K where Winograd does not apply.
// Large K without Winograd (1 and 2 threads): faster than im2col on dense
// 5×5 and 7×7 convs (merged chains; 32-128 channels on 7×7 to 112×112 maps,
// batch 1 and 8: 1.36-1.92×) and on 128 channels at 4×4 and 8×8 (1.5-1.6×),
// and than conv2d_f32_packed on 256- and 512-channel 3×3 layers on 7×7 to
// 14×14 maps at batch 1 (1.2-1.4×: packed builds im2col panels row segment
// by row segment, which on such maps costs a third of its GEMM). Not on rows
// shorter than 7 where packed applies: each output row drags kw − 1 columns
// computed and dropped, a third of the line on 4×4 maps (0.8-0.9× packed with
// 384 and 512 channels, equal with 256). 1×1 convs are left to
// conv2d_f32_pointwise and im2col (no window to pad).
// Stride 2 (phase planes), per step inside the models against im2col (1 and
// 2 threads, the two kernels' graphs alternating): with K ≤ 320 faster (the
// 7×7 ImageNet stem, K = 147: 1.13-1.22× at batch 1 and 8; MobileNetV2's 3×3
// stem, K = 27: 1.04-1.12×; the 28×28 demo ResNet's 16 → 32 and 32 → 64
// layers: 1.17-1.39× at batch 1, 1.11-1.67× at 64). With larger K (ResNet18's
// 3×3 stride-2 layers, K = 576-2304) faster at 1 thread (1.04-1.15×) but not
// at 2: the 64 → 128 layer on 56×56 ran 0.80 against im2col's 0.64 ms inside
// the model (it scaled 1.13× where im2col scaled 1.6×), so at batch 1 these
// stay on im2col and packed. At batch > 1 the 64 → 128 layer (K = 576) is
// faster direct, 1.13-1.23× per step (224×224 batch 8 and 32×32 batch 64, 1
// and 2 threads), and at batch 1 on a 16×16 output (ResNet18 32×32)
// 1.44-1.49×, where on 28×28 (224×224) it was 0.82× at 2 threads; K = 1152
// was equal to packed and K = 2304 0.62-0.92×. Larger strides were not
// measured.
bool supportsConvDirect(const Operator& op, const std::vector<Shape>& in) {
    ConvParams p;
    if (!groupOneConvParams(op, in, p)) return false;
    std::size_t taps = 1;
    bool strided = false;
    for (std::size_t d = 0; d < p.kernel.size(); ++d) {
        if (p.strides[d] > 2) return false;
        strided = strided || p.strides[d] > 1;
        taps *= p.kernel[d];
    }
    const std::size_t K = p.inChannels * taps;
    if (taps == 1 || K < 16) return false;
    if (K <= 320) return true;
    std::size_t P = 1;
    for (std::size_t d : p.outDims) P *= d;
    if (strided && K <= 640 && (p.batch > 1 || P <= 256)) return true;
    if (strided || supportsWinograd(op, in) || supportsWinograd4(op, in)) return false;
    return K <= 640 || p.outDims.back() >= 7 || !supportsConvPacked(op, in);
}

void launchConvDirectCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    launchConvKernel(op, in, out, conv2d_f32_direct);
}

} // namespace fibnlr
