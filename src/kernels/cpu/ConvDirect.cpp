// A stride-1, group-1 convolution computed directly on the micro-kernel
// table's register tile, without an im2col matrix (an "indirect GEMM").
//
// Why: for the small dense convolutions of 28×28 models and of merged
// MobileNet blocks (16-64 channels, 7×7 to 28×28 maps, batch 1), im2col
// writes K = C·kh·kw rows per output pixel (9× the input) that OpenBLAS then
// packs again, and the GEMM is too small to amortise either copy; such
// layers ran at 0.4-0.75× onnxruntime's speed. Here each image is copied
// once into a zero-padded buffer pad[c][Hp][Wp] (Hp = OH + (kh − 1)·dh,
// Wp = OW + (kw − 1)·dw), and the output plane is computed as one line over
// the padded width: output j = oy·Wp + ox of row (c, ky, kx) of the implicit
// im2col is pad[c·Hp·Wp + ky·dh·Wp + kx·dw + j], a contiguous window, which
// Micro::gemmIndirect reads through a table of K offsets. The Wp − OW
// columns past each output row, and the line's last tile up to whole
// vectors, are computed and dropped (as in the depthwise 3×3 kernel); the
// reads past the padded image land in a zeroed margin of NR floats.
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
inline std::size_t ceilDiv(std::size_t a, std::size_t b) { return (a + b - 1) / b; }
} // namespace

void conv2d_f32_direct(const ConvParams& p, const float* x, const float* w, const float* scale, const float* shift,
                       float* y, const Activation& act, EpilogueStats* stats) {
    const Geo2d g = geo2d(p);  // sh = sw = 1, group 1 (supportsConvDirect)
    const std::size_t N = p.batch, C = p.inChannels, M = p.outChannels, P = g.OH * g.OW, HW = g.H * g.W;
    if (N == 0 || M == 0 || P == 0) return;
    const Micro& mk = micro();
    const std::size_t MR = mk.gemmMR, NR = mk.gemmNR, panels = ceilDiv(M, MR), T = numThreads();
    const std::size_t K = C * g.kh * g.kw;
    const float* A = keptPackedWeights(p, w, 1, M, K, std::max<std::size_t>(K, 1), MR);  // panel q: [K][MR] at A + q·K·MR
    const std::size_t Hp = g.OH + (g.kh - 1) * g.dh, Wp = g.OW + (g.kw - 1) * g.dw, plane = Hp * Wp;
    const std::size_t L = (g.OH - 1) * Wp + g.OW;  // the output line over the padded width
    // Tiles of whole vectors (masked tiles cost more): the line is computed to Lp = L rounded up to NR
    // columns, whose reads run up to NR − 1 floats past the padded image (a zeroed margin).
    const std::size_t Lp = (L + NR - 1) / NR * NR, padFloats = C * plane + NR;

    // Row k = (c·kh + ky)·kw + kx of the implicit im2col starts at pad + offs[k]; built by the calling
    // thread, read by all (kept per thread: no allocation after the first call of this size).
    thread_local std::vector<std::size_t> offsTable;
    offsTable.resize(K);
    for (std::size_t c = 0, k = 0; c < C; ++c)
        for (std::size_t ky = 0; ky < g.kh; ++ky)
            for (std::size_t kx = 0; kx < g.kw; ++kx) offsTable[k++] = c * plane + ky * g.dh * Wp + kx * g.dw;
    const std::size_t* offs = offsTable.data();

    auto padImage = [&](std::size_t n, float* pad) {
        std::fill(pad, pad + padFloats, 0.f);
        const float* xn = x + n * C * HW;
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t iy = 0; iy < g.H; ++iy)  // at stride 1, Hp = H + both pads and Wp = W + both pads
                std::memcpy(pad + c * plane + (iy + g.ph) * Wp + g.pw, xn + c * HW + iy * g.W, g.W * sizeof(float));
    };
    // Panels [q0, q1) of image n: the line of each panel into a scratch [MR][Lp], its rows compacted into y,
    // then the epilogue per output channel over its whole plane.
    auto panelRange = [&](std::size_t n, const float* pad, std::size_t q0, std::size_t q1) {
        float* line = scratch(1, MR * Lp);
        EpilogueCounts counts;
        std::uint8_t* alive = stats ? aliveScratch(M) : nullptr;
        for (std::size_t q = q0; q < q1; ++q) {
            const float* up = A + q * K * MR;
            const std::size_t m0 = q * MR, rows = std::min(MR, M - m0);
            for (std::size_t j = 0; j < L; j += NR)
                mk.gemmIndirect(up, pad + j, offs, K, line + j, Lp, rows, L - j <= NR / 2 ? NR / 2 : NR);
            for (std::size_t r = 0; r < rows; ++r) {
                const std::size_t m = m0 + r;
                float* dst = y + (n * M + m) * P;
                const float* src = line + r * Lp;
                if (Wp == g.OW) std::memcpy(dst, src, P * sizeof(float));
                else
                    for (std::size_t oy = 0; oy < g.OH; ++oy) std::memcpy(dst + oy * g.OW, src + oy * Wp, g.OW * sizeof(float));
                if (convEpilogueRow(mk, p, scale, shift, act, m, 0, dst, dst, P, stats ? &counts : nullptr)) alive[m] = 1;
            }
        }
        if (stats) stats->merge(counts.neg, counts.pos, counts.nonFinite, alive, 0, M);
    };
    if (T == 1 || N >= T) {
        parallelFor(N, [&](std::size_t n) {
            float* pad = scratch(0, padFloats);
            padImage(n, pad);
            panelRange(n, pad, 0, panels);
        });
        return;
    }
    float* pad = scratch(0, padFloats);  // the calling thread's, read by every thread
    for (std::size_t n = 0; n < N; ++n) {
        padImage(n, pad);
        parallelRange(panels, 1, [&](std::size_t q0, std::size_t q1) { panelRange(n, pad, q0, q1); });
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
bool supportsConvDirect(const Operator& op, const std::vector<Shape>& in) {
    ConvParams p;
    if (!groupOneConvParams(op, in, p)) return false;
    std::size_t taps = 1;
    for (std::size_t d = 0; d < p.kernel.size(); ++d) {
        if (p.strides[d] != 1) return false;
        taps *= p.kernel[d];
    }
    const std::size_t K = p.inChannels * taps;
    if (taps == 1 || K < 16) return false;
    if (K <= 320) return true;
    if (supportsWinograd(op, in) || supportsWinograd4(op, in)) return false;
    return K <= 640 || p.outDims.back() >= 7 || !supportsConvPacked(op, in);
}

void launchConvDirectCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    launchConvKernel(op, in, out, conv2d_f32_direct);
}

} // namespace fibnlr
