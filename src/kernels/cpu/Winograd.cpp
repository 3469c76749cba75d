// 3×3 stride-1 convolution by Winograd F(2×2, 3×3) (Lavin & Gray, 2016):
// each 2×2 output tile costs 16 multiplications per (input, output) channel
// pair instead of 36, i.e. 2.25× fewer MACs than im2col + SGEMM on the layers
// that dominate ResNets. The transforms only add and halve, so the result
// differs from direct convolution by float rounding only.
//
// The 16 products per block of tiles, [M, C]·[C, T], run on the micro-kernel
// table's packed GEMM tile (Micro::gemmPacked): the weight transform writes U
// directly as MR-row panels and the input transform writes V directly as
// NR-column panels, so nothing is packed again per product (an SGEMM library
// would re-pack both for every call).
#include <algorithm>
#include <cstring>

#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/operator/Conv.hpp"

namespace fibnlr {

namespace {
constexpr std::size_t kWinoSkew = 16;      // one 64-byte line
constexpr std::size_t kMaxBlockRows = 256;  // tile rows per work item (bounds a stack array)
inline std::size_t roundUp(std::size_t v, std::size_t m) { return (v + m - 1) / m * m; }
}

void conv2d_f32_winograd(const ConvParams& p, const float* x, const float* w, const float* scale, const float* shift,
                         float* y, const Activation& act, EpilogueStats* stats) {
    const std::size_t N = p.batch, C = p.inChannels, M = p.outChannels;
    const std::size_t H = p.inDims[0], W = p.inDims[1], OH = p.outDims[0], OW = p.outDims[1];
    const std::size_t ph = p.padBegin[0], pw = p.padBegin[1];
    const std::size_t th = (OH + 1) / 2, tw = (OW + 1) / 2;  // tiles per column / row
    const std::size_t rowLen = 2 * tw + 2;                    // input columns a tile row reads
    const std::size_t threads = numThreads();
    const Micro& mk = micro();
    const std::size_t MR = mk.gemmMR, NR = mk.gemmNR, Mr = roundUp(M, MR);

    // Work items: blocks of T tiles, whole tile rows (part of one image, or
    // several whole images), transformed, multiplied and transformed back
    // independently. Per tile, an item moves 16·(C + M) floats of V and
    // products and 16·M·C / T floats of U (read once per item). T is the
    // larger of: enough that V and the products (16·(C + M)·T floats) fill
    // about 1 MB, i.e. stay in L2 between the transform that writes them and
    // the products that read them; M·C / (C + M), where U's share stops
    // dominating (late layers with 512 channels); and 64. Measured on
    // ResNet18: 1 MB/64 beats 4 MB/256 by 10-15 %. When there are too few
    // tiles for one such item per thread (late layers, small batches), items
    // run one after the other, each over all threads: transforms split by
    // channel, the products by ξ (each thread then reads only its part of U).
    constexpr std::size_t kBudget = std::size_t(256) << 10, kMinTiles = 64;
    const std::size_t perImage = th * tw, tiles = N * perImage;
    const std::size_t target = std::max({kMinTiles, kBudget / (16 * (C + M)), M * C / (C + M)});
    const bool split = threads > 1 && tiles < target * threads;
    const std::size_t imgs = perImage >= target ? 1 : std::min(N, target / perImage);
    const std::size_t rows = std::min(imgs > 1 ? th : std::min(th, std::max<std::size_t>(1, target / tw)), kMaxBlockRows);
    const std::size_t rowBlocks = (th + rows - 1) / rows, chunks = (N + imgs - 1) / imgs;
    const std::size_t items = chunks * rowBlocks;

    // U[ξ]: Mr/MR panels [C][MR] (rows m ≥ M zero) at ξ·Us + (m/MR)·C·MR + c·MR + m%MR.
    // The 16 matrices of U, V and the products are kWinoSkew floats apart
    // beyond their size: with power-of-two sizes, the 16 streams a transform
    // reads or writes at once would otherwise map to the same L1 sets.
    const std::size_t Us = Mr * C + kWinoSkew;
    float* U = scratch(3, 16 * Us);
    if (Mr > M)
        for (std::size_t xi = 0; xi < 16; ++xi)
            std::fill(U + xi * Us + (Mr - MR) * C, U + xi * Us + Mr * C, 0.f);
    // One call per (panel, c): the panel's rows are one contiguous run of U.
    parallelRange(Mr / MR, 1, [&](std::size_t q0, std::size_t q1) {
        for (std::size_t q = q0; q < q1; ++q)
            for (std::size_t c = 0; c < C; ++c)
                mk.winogradWeights(w + (q * MR * C + c) * 9, C * 9, std::min(MR, M - q * MR), U + (q * C + c) * MR, Us);
    });

    auto item = [&](std::size_t it) {
        const std::size_t n0 = (it / rowBlocks) * imgs, nb = std::min(imgs, N - n0);
        const std::size_t ty0 = (it % rowBlocks) * rows, ty1 = std::min(th, ty0 + rows), nr = ty1 - ty0;
        const std::size_t T = nb * nr * tw, Tp = roundUp(T, NR);
        // V[ξ]: Tp/NR panels [C][NR] (columns t ≥ T zero) at ξ·Vs + (t/NR)·C·NR + c·NR + t%NR.
        // Products [ξ][m][t] at ξ·Ms + m·Tp + t.
        const std::size_t Vs = Tp * C + kWinoSkew, Ms = M * Tp + kWinoSkew;
        float* V = scratch(0, 16 * Vs);
        float* Mp = scratch(1, 16 * Ms);
        auto run = [&](std::size_t n, auto&& fn) {
            if (split) parallelRange(n, 1, fn);
            else fn(0, n);
        };

        // V from zero-padded input rows; tile t = (i·nr + ty − ty0)·tw + tx.
        // The block reads input rows 2·ty0 − ph + k, k < 2·nr + 2; each gets its
        // row half once (hr[k]), then each tile row combines four of them.
        const std::size_t hs = tw, rowsIn = 2 * nr + 2;
        run(C, [&](std::size_t c0, std::size_t c1) {
            float* pad = scratch(4, rowLen + 4 * hs * (rowsIn + 1));
            float* zeroH = pad + rowLen;  // the row half of an all-zero row
            float* hr = zeroH + 4 * hs;
            std::fill(zeroH, zeroH + 4 * hs, 0.f);
            // Input columns ix = xx − pw for xx ∈ [0, rowLen); the part inside [0, W):
            const std::size_t xa = std::min(pw, rowLen), xb = std::min(rowLen, W + pw);
            std::fill(pad, pad + xa, 0.f);
            std::fill(pad + std::max(xa, xb), pad + rowLen, 0.f);
            for (std::size_t c = c0; c < c1; ++c) {
                if (Tp > T)
                    for (std::size_t xi = 0; xi < 16; ++xi) {
                        float* last = V + xi * Vs + (Tp - NR) * C + c * NR;
                        std::fill(last + (T - (Tp - NR)), last + NR, 0.f);
                    }
                for (std::size_t i = 0; i < nb; ++i) {
                    const float* xc = x + ((n0 + i) * C + c) * H * W;
                    const float* rowH[2 * kMaxBlockRows + 2];
                    for (std::size_t k = 0; k < rowsIn; ++k) {
                        const std::ptrdiff_t iy = static_cast<std::ptrdiff_t>(2 * ty0 + k) - static_cast<std::ptrdiff_t>(ph);
                        if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(H)) {
                            rowH[k] = zeroH;
                            continue;
                        }
                        if (xa < xb) std::memcpy(pad + xa, xc + static_cast<std::size_t>(iy) * W + (xa - pw), (xb - xa) * sizeof(float));
                        mk.winogradRow(pad, tw, hr + k * 4 * hs, hs);
                        rowH[k] = hr + k * 4 * hs;
                    }
                    for (std::size_t ty = ty0; ty < ty1; ++ty) {
                        const float* const* h = rowH + 2 * (ty - ty0);
                        // The row's tiles [t0, t0 + tw), cut where they cross into the next panel.
                        const std::size_t t0 = (i * nr + ty - ty0) * tw;
                        for (std::size_t a = t0; a < t0 + tw;) {
                            const std::size_t b = std::min(t0 + tw, (a / NR + 1) * NR);
                            const float* hseg[4] = {h[0] + (a - t0), h[1] + (a - t0), h[2] + (a - t0), h[3] + (a - t0)};
                            mk.winogradCol(hseg, hs, b - a, V + (a / NR) * C * NR + c * NR + a % NR, Vs);
                            a = b;
                        }
                    }
                }
            }
        });

        // Products [M, Tp] = U[ξ]·V[ξ] by register tiles; a U panel (MR·C
        // floats) stays in L1 while V[ξ] (C·Tp, sized for L2) streams past it.
        run(16, [&](std::size_t x0, std::size_t x1) {
            for (std::size_t xi = x0; xi < x1; ++xi)
                for (std::size_t m = 0; m < M; m += MR)
                    for (std::size_t j = 0; j < Tp; j += NR)
                        mk.gemmPacked(U + xi * Us + m * C, V + xi * Vs + j * C, C, Mp + xi * Ms + m * Tp + j, Tp,
                                      std::min(MR, M - m));
        });

        // Output rows 2·ty and 2·ty + 1 (when < OH) of each channel, with the
        // epilogue (and the sign counting) applied while they are in L1.
        run(M, [&](std::size_t m0, std::size_t m1) {
            float* out = scratch(4, 4 * tw);
            double neg = 0.0, pos = 0.0;
            std::uint64_t nonFinite = 0;
            std::uint8_t* alive = stats ? aliveScratch(m1 - m0) : nullptr;
            for (std::size_t i = 0; i < nb; ++i)
                for (std::size_t m = m0; m < m1; ++m) {
                    const float sc = scale ? scale[m] : 1.f, sh = shift ? shift[m] : 0.f;
                    float* ym = y + ((n0 + i) * M + m) * OH * OW;
                    for (std::size_t ty = ty0; ty < ty1; ++ty) {
                        mk.winogradOut(Mp + m * Tp + (i * nr + ty - ty0) * tw, Ms, tw, out, out + 2 * tw);
                        for (std::size_t k = 0; k < 2 && 2 * ty + k < OH; ++k)
                            mk.scaleShiftAct(out + k * 2 * tw, ym + (2 * ty + k) * OW, OW, sc, sh,
                                             stats ? Activation{} : act);
                    }
                    // Counted over the block's rows at once: single rows are short (4 to 32 floats in ResNets).
                    if (stats) {
                        const std::size_t oy0 = 2 * ty0, oy1 = std::min(OH, 2 * ty1);
                        alive[m - m0] |= mk.countAct(ym + oy0 * OW, (oy1 - oy0) * OW, act, neg, pos, nonFinite) ? 1 : 0;
                    }
                }
            if (stats) stats->merge(neg, pos, nonFinite, alive, m0, m1 - m0);
        });
    };
    if (split)
        for (std::size_t it = 0; it < items; ++it) item(it);
    else
        parallelFor(items, item);
}

bool supportsWinograd(const Operator& op, const std::vector<Shape>& in) {
    Activation act;
    const auto& conv = static_cast<const ConvOp&>(unfuse(op, act));
    const Shape& x = in.at(0);
    const Shape& w = in.at(1);
    const auto& a = conv.attrs;
    const auto ones = [](const std::vector<std::int64_t>& v) {
        return std::all_of(v.begin(), v.end(), [](std::int64_t e) { return e == 1; });
    };
    // Below ~16 channels the transforms cost more than the MACs they save,
    // and so does the weight transform (redone every run, 16·M·C floats)
    // when the batch has few tiles (batch 1 on late, small maps).
    if (x.size() != 4 || w.size() != 4) return false;
    const std::size_t tiles = x[0] * ((x[2] + 1) / 2) * ((x[3] + 1) / 2);
    return w[2] == 3 && w[3] == 3 && a.group == 1 && ones(a.strides) && ones(a.dilations) && x[1] >= 16 &&
           w[0] >= 16 && tiles >= 64;
}

void launchWinogradCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    launchConvKernel(op, in, out, conv2d_f32_winograd);
}

} // namespace fibnlr
