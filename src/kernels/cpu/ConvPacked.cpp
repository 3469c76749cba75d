// Convolution as a GEMM on the micro-kernel table's packed tile
// (Micro::gemmPacked), with the weights packed once per compiled plan.
//
// conv2d_f32_im2col hands [M, K] weights and an im2col [K, cols] matrix to
// OpenBLAS, which re-packs both on every call. At batch 1 the weights are
// most of the data (ResNet18's last layers: M = 512, K = 4608, 16 output
// columns), and profiles showed OpenBLAS's weight packing (sgemm_oncopy) at
// 29 % of a ResNet18 32×32 forward. Here the weights are packed into MR-row
// panels ([K][MR] each, per group) once and kept in the step's state while
// their TensorStamp is unchanged (as Winograd keeps its transformed
// weights), and the input is written by im2col straight into NR-column
// panels ([K][NR] each), so the GEMM reads each operand in the order the
// register tile consumes it and nothing is copied twice.
//
// Blocking: K is cut into blocks of at most kKc rows; a tile accumulates the
// blocks into its output (gemmPacked's `accumulate`), so an A sub-panel
// (kc·MR floats) stays in L1 while the B sub-block (kc × nc) streams from L2.
// Work is split over column blocks (independent units: im2col, GEMM and
// epilogue each) when there are enough columns, otherwise over the weights'
// row panels, so that at batch 1 each thread streams its share of the weights.
#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "ConvGeometry.hpp"
#include "PackedWeights.hpp"
#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/operator/Conv.hpp"

namespace fibnlr {

namespace {

using convgeo::Geo2d;
using convgeo::geo2d;
using convgeo::tapRange;

constexpr std::size_t kKc = 256;                           // rows of K per block
constexpr std::size_t kBlockFloats = std::size_t(64) << 10;  // a B sub-block kc × nc: 256 KB (L2)
inline std::size_t roundUp(std::size_t v, std::size_t m) { return (v + m - 1) / m * m; }
inline std::size_t ceilDiv(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

/// A run of columns of a column block that lie on one output row of one
/// image: columns [d, d + len) of the block are output pixels (oy, ox0 + i)
/// of the image whose group's channels start at x + xoff.
struct Segment {
    std::size_t xoff, oy, ox0, len, d;
};

/// The segments of columns [c0, c0 + nc) (column t = n·P + oy·OW + ox runs
/// over the images), in scratch slot 4 of the calling thread; returns their
/// number. With `rows` false (a 1×1 unit-stride unpadded conv: the pixels of
/// an image are contiguous in x) one segment per image, oy = 0.
std::size_t segments(const Geo2d& g, std::size_t C, std::size_t cpg, std::size_t gi, std::size_t c0, std::size_t nc,
                     bool rows, Segment*& out) {
    const std::size_t P = g.OH * g.OW, HW = g.H * g.W, run = rows ? g.OW : P;
    // Every segment but the first and the last is a whole run.
    const std::size_t most = nc / run + 2;
    out = reinterpret_cast<Segment*>(scratch(4, most * (sizeof(Segment) / sizeof(float) + 1)));
    std::size_t count = 0;
    for (std::size_t t = c0, end = c0 + nc; t < end;) {
        const std::size_t n = t / P, pix = t % P, xoff = (n * C + gi * cpg) * HW;
        const std::size_t len = std::min(run - (rows ? pix % g.OW : pix), end - t);
        new (out + count++) Segment{xoff, rows ? pix / g.OW : 0, rows ? pix % g.OW : pix, len, t - c0};
        t += len;
    }
    return count;
}

/// The im2col rows [k0, k1) of the block's segments, written as NR-column
/// panels (NR a power of two): element (k, column d) at
/// B[d/NR · ps + (k − k0)·NR + d%NR]; the columns from nc to the end of the
/// last panel are zero.
void packColumns(const Geo2d& g, const float* x, const Segment* segs, std::size_t nSegs, bool rows, std::size_t nc,
                 std::size_t k0, std::size_t k1, std::size_t NR, float* B, std::size_t ps) {
    const std::size_t Np = roundUp(nc, NR), mask = NR - 1, HW = g.H * g.W;
    const unsigned shift = static_cast<unsigned>(__builtin_ctzll(NR));
    for (std::size_t k = k0; k < k1; ++k) {
        const std::size_t c = k / (g.kh * g.kw), ky = (k / g.kw) % g.kh, kx = k % g.kw;
        float* row = B + (k - k0) * NR;
        // Columns [t, t + len) of this row from src[i·stride] (or zeros: src null), cut at the panel boundaries.
        auto put = [&](std::size_t t, std::size_t len, const float* src, std::size_t stride) {
            while (len > 0) {
                const std::size_t off = t & mask, n = std::min(len, NR - off);
                float* d = row + (t >> shift) * ps + off;
                if (!src) for (std::size_t i = 0; i < n; ++i) d[i] = 0.f;
                else if (stride == 1) for (std::size_t i = 0; i < n; ++i) d[i] = src[i];
                else if (stride == 2) for (std::size_t i = 0; i < n; ++i) d[i] = src[2 * i];
                else for (std::size_t i = 0; i < n; ++i) d[i] = src[i * stride];
                if (src) src += n * stride;
                t += n, len -= n;
            }
        };
        if (!rows) {
            for (const Segment* s = segs; s != segs + nSegs; ++s) put(s->d, s->len, x + s->xoff + c * HW + s->ox0, 1);
        } else {
            std::size_t lo, hi;
            tapRange(g.W, g.OW, g.sw, kx * g.dw, g.pw, lo, hi);
            for (const Segment* sp = segs; sp != segs + nSegs; ++sp) {
                const Segment& s = *sp;
                const std::size_t ox1 = s.ox0 + s.len;
                const std::ptrdiff_t iy = static_cast<std::ptrdiff_t>(s.oy * g.sh + ky * g.dh) - static_cast<std::ptrdiff_t>(g.ph);
                if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(g.H)) {
                    put(s.d, s.len, nullptr, 0);
                    continue;
                }
                const float* xr = x + s.xoff + c * HW + static_cast<std::size_t>(iy) * g.W;
                const std::size_t a = std::clamp(lo, s.ox0, ox1), b = std::clamp(hi, a, ox1);
                if (a > s.ox0) put(s.d, a - s.ox0, nullptr, 0);
                // Column ox reads xr[ox·sw + kx·dw − pw], ≥ 0 from ox = lo on.
                if (a < b) put(s.d + (a - s.ox0), b - a, xr + (a * g.sw + kx * g.dw - g.pw), g.sw);
                if (ox1 > b) put(s.d + (b - s.ox0), ox1 - b, nullptr, 0);
            }
        }
        if (Np > nc) put(nc, Np - nc, nullptr, 0);
    }
}

} // namespace

void conv2d_f32_packed(const ConvParams& p, const float* x, const float* w, const float* scale, const float* shift,
                       float* y, const Activation& act, EpilogueStats* stats) {
    const Geo2d g = geo2d(p);
    const std::size_t P = g.OH * g.OW, C = p.inChannels, M = p.outChannels;
    const std::size_t G = p.group, cpg = C / G, Mg = M / G, K = cpg * g.kh * g.kw;
    const std::size_t cols = p.batch * P;  // per group
    const Micro& mk = micro();
    const std::size_t MR = mk.gemmMR, NR = mk.gemmNR, panels = ceilDiv(Mg, MR);
    const std::size_t T = numThreads();
    if (cols == 0 || M == 0) return;

    // K blocks of equal size ≤ kKc; column blocks of nc ≤ kBlockFloats / kc columns.
    const std::size_t kBlocks = ceilDiv(K, kKc), kc = ceilDiv(K, kBlocks);

    // Weights: G·panels panels of K rows, kept by the step or packed into scratch.
    const float* A = keptPackedWeights(p, w, G, Mg, K, kc, MR);

    // Column blocks: whole NR-column panels (the last one partial), unit u
    // covering panels [u·panelsN/blocks, (u + 1)·panelsN/blocks) so that
    // units differ by at most one panel.
    const std::size_t panelsN = ceilDiv(cols, NR), ncMax = std::max<std::size_t>(1, kBlockFloats / kc / NR);  // in panels
    std::size_t blocks = ceilDiv(panelsN, ncMax);
    // Split over the weights' panels when there are fewer column blocks than threads (batch 1, small maps).
    const bool splitM = T > 1 && G * blocks < T && panels > 1;
    // Otherwise, with few units, make their number a multiple of the threads where there are panels enough,
    // so that no thread idles through the last round.
    if (!splitM && G * blocks < 4 * T && G == 1) blocks = std::min(panelsN, roundUp(blocks, T));
    // A 1×1 unit-stride unpadded conv reads whole contiguous images (no end padding either).
    const bool rows = !(g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.OH == g.H &&
                        g.OW == g.W);

    // GEMM of panels [q0, q1) of group gi against B (K rows [kb, kb + kl) of the
    // column block, panel j at Bk + j/NR·ps), accumulated into out ([rows from q0·MR][ldo]).
    auto gemm = [&](std::size_t gi, std::size_t q0, std::size_t q1, const float* Bk, std::size_t ps, std::size_t kb,
                    std::size_t kl, std::size_t ncols, float* out, std::size_t ldo) {
        const float* Ak = A + gi * panels * MR * K + kb * panels * MR;
        for (std::size_t q = q0; q < q1; ++q) {
            const float* up = Ak + q * kl * MR;
            const std::size_t rowsQ = std::min(MR, Mg - q * MR);
            float* o = out + (q - q0) * MR * ldo;
            // Whole vectors (B's panels are zero-padded and out has room for them): unmasked tiles,
            // half of one for a last panel of at most NR/2 columns.
            for (std::size_t j = 0; j < ncols; j += NR)
                mk.gemmPacked(up, Bk + (j / NR) * ps, NR, kl, o + j, ldo, rowsQ, ncols - j <= NR / 2 ? NR / 2 : NR, kb > 0);
        }
    };
    // Epilogue of channels [m0, m1) of group gi, columns [c0, c0 + ncols), from out (row m − m0, stride ldo).
    auto epilogue = [&](std::size_t gi, std::size_t m0, std::size_t m1, std::size_t c0, std::size_t ncols,
                        const float* out, std::size_t ldo) {
        EpilogueCounts counts;
        std::uint8_t* alive = stats ? aliveScratch(m1 - m0) : nullptr;
        for (std::size_t t = c0, end = c0 + ncols; t < end;) {
            const std::size_t n = t / P, pa = t % P, len = std::min(P - pa, end - t);
            for (std::size_t m = m0; m < m1; ++m) {
                const std::size_t oc = gi * Mg + m;
                if (convEpilogueRow(mk, p, scale, shift, act, oc, pa, out + (m - m0) * ldo + (t - c0),
                                    y + (n * M + oc) * P + pa, len, stats ? &counts : nullptr))
                    alive[m - m0] = 1;
            }
            t += len;
        }
        if (stats) stats->merge(counts.neg, counts.pos, counts.nonFinite, alive, gi * Mg + m0, m1 - m0);
    };

    if (splitM) {
        // One block of all columns per group: B packed once (split over K rows),
        // then each thread multiplies its panels over all K and finishes its channels.
        const std::size_t Np = roundUp(cols, NR), ps = K * NR;
        float* B = scratch(0, Np * K);
        for (std::size_t gi = 0; gi < G; ++gi) {
            Segment* segs;  // the caller's scratch, read by every thread
            const std::size_t nSegs = segments(g, C, cpg, gi, 0, cols, rows, segs);
            parallelRange(K, 16, [&](std::size_t k0, std::size_t k1) {
                packColumns(g, x, segs, nSegs, rows, cols, k0, k1, NR, B + k0 * NR, ps);
            });
            parallelRange(panels, 1, [&](std::size_t q0, std::size_t q1) {
                float* out = scratch(1, (q1 - q0) * MR * Np);
                for (std::size_t kb = 0; kb < K; kb += kc)
                    gemm(gi, q0, q1, B + kb * NR, ps, kb, std::min(kc, K - kb), cols, out, Np);
                epilogue(gi, q0 * MR, std::min(Mg, q1 * MR), 0, cols, out, Np);
            });
        }
        return;
    }

    // Independent units (group, column block): per K block, pack the B sub-block
    // and multiply all panels; then the epilogue while the output block is in cache.
    const std::size_t maxNp = ceilDiv(panelsN, blocks) * NR;
    parallelFor(G * blocks, [&](std::size_t u) {
        const std::size_t gi = u / blocks, b = u % blocks;
        const std::size_t c0 = b * panelsN / blocks * NR, c1 = std::min(cols, (b + 1) * panelsN / blocks * NR);
        const std::size_t ncols = c1 - c0, Np = roundUp(ncols, NR);
        float* B = scratch(0, maxNp * kc);  // the largest block: the same size for every unit, no regrowth mid-call
        float* out = scratch(1, panels * MR * maxNp);
        Segment* segs;
        const std::size_t nSegs = segments(g, C, cpg, gi, c0, ncols, rows, segs);
        for (std::size_t kb = 0; kb < K; kb += kc) {
            const std::size_t kl = std::min(kc, K - kb);
            packColumns(g, x, segs, nSegs, rows, ncols, kb, kb + kl, NR, B, kl * NR);
            gemm(gi, 0, panels, B, kl * NR, kb, kl, ncols, out, Np);
        }
        epilogue(gi, 0, Mg, c0, ncols, out, Np);
    });
}

// Measured against conv2d_f32_im2col (per layer, AVX-512, 1 and 2 threads,
// ResNet18 and MobileNetV2 shapes at batch 1 to 64): faster by 5-40 % on
// every shape with K = C/group·kh·kw ≥ 256 and M/group ≥ 256 (weight
// packing is then a large share of what OpenBLAS does per call), equal to
// 15 % slower on shapes with fewer weights (MobileNet pointwise layers,
// stems, 128-channel layers): there OpenBLAS's packing is cheap and its
// narrower column tiles waste less on odd column counts.
bool supportsConvPacked(const Operator& op, const std::vector<Shape>& in) {
    if (!supportsConv2d(op, in)) return false;
    Activation act;
    const auto& conv = static_cast<const ConvOp&>(unfuse(op, act));
    const Shape& w = in.at(1);
    const std::size_t group = static_cast<std::size_t>(conv.attrs.group);
    std::size_t K = w.at(1);
    for (std::size_t i = 2; i < w.size(); ++i) K *= w[i];
    return group > 0 && K >= 256 && w.at(0) / group >= 256;
}

void launchConvPackedCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    launchConvKernel(op, in, out, conv2d_f32_packed);
}

} // namespace fibnlr
