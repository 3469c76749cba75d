// 3×3 stride-1 convolution by Winograd F(m×m, 3×3) (Lavin & Gray, 2016),
// m = 2 or 4: each m×m output tile costs (m + 2)² multiplications per
// (input, output) channel pair instead of 9·m², i.e. 2.25× (F(2×2)) or 4×
// (F(4×4)) fewer MACs than im2col + SGEMM on the layers that dominate
// ResNets. The transforms are exact in real arithmetic, so the result
// differs from direct convolution by float rounding only (more of it for
// F(4×4): see supportsWinograd4), as long as no intermediate overflows.
// The transforms scale values by up to 100 (F(4×4) input: Bᵀ rows sum to 10
// in absolute value) and 361 (output), so inputs about 1e3-1e4 times below
// the float maximum can overflow where direct convolution stays finite, and
// a NaN or Inf input spreads over whole tiles where direct convolution only
// poisons the windows that read it. Such an intermediate always leaves a
// non-finite value in the raw output tile (Inf and NaN survive + − ×), so
// the raw tiles are checked (one cheap pass while they are in L1) and the
// whole conv is redone by im2col when one is not finite: the result is then
// exactly what im2col gives, finite wherever the direct sum is.
//
// The α² = (m + 2)² products per block of tiles, [M, C]·[C, T], run on the
// micro-kernel table's packed GEMM tile (Micro::gemmPacked): the weight
// transform writes U directly as MR-row panels and the input transform
// writes V directly as NR-column panels, so nothing is packed again per
// product (an SGEMM library would re-pack both for every call).
#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <vector>

#include "fibnlr/kernels/StepState.hpp"
#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Conv.hpp"

namespace fibnlr {

namespace {
constexpr std::size_t kWinoSkew = 16;      // one 64-byte line
constexpr std::size_t kMaxBlockRows = 256;  // tile rows per work item (bounds a stack array)
inline std::size_t roundUp(std::size_t v, std::size_t m) { return (v + m - 1) / m * m; }

/// Transformed weights kept by a compiled plan's step (kernels/StepState.hpp),
/// valid while the weights' TensorStamp is the one they were made from: a
/// forward reads no weight to decide (the late ResNet layers have few tiles
/// per weight, so rereading or retransforming them cost 7-13 % of a forward).
struct WinogradWeights : StepState {
    std::size_t m = 0, MR = 0;  // transform and panel height U was made for
    TensorStamp source;
    std::vector<float> U;
};

/// Whether x[0, n) holds only finite floats: x·0 is ±0 for a finite x and
/// NaN for ±Inf or NaN, and NaN survives the sums. Eight lanes, so that the
/// loop vectorises without -ffast-math.
bool allFinite(const float* x, std::size_t n) {
    float lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; ++l) lanes[l] += x[i + l] * 0.f;
    float s = 0.f;
    for (; i < n; ++i) s += x[i] * 0.f;
    for (int l = 0; l < 8; ++l) s += lanes[l];
    return s == 0.f;
}

/// The Winograd conv; false (y and `stats` then hold partial results) when a
/// raw output tile was not finite (see the top of the file).
bool winogradConv(const WinogradTransforms& tf, const ConvParams& p, const float* x, const float* w, const float* scale,
                  const float* shift, float* y, const Activation& act, EpilogueStats* stats) {
    const std::size_t N = p.batch, C = p.inChannels, M = p.outChannels;
    const std::size_t H = p.inDims[0], W = p.inDims[1], OH = p.outDims[0], OW = p.outDims[1];
    const std::size_t ph = p.padBegin[0], pw = p.padBegin[1];
    const std::size_t m = tf.m, al = m + 2, A2 = al * al;   // output tile m×m, input tile α×α, α² products
    const std::size_t th = (OH + m - 1) / m, tw = (OW + m - 1) / m;  // tiles per column / row
    const std::size_t rowLen = m * tw + 2;                            // input columns a tile row reads
    const std::size_t threads = numThreads();
    const Micro& mk = micro();
    const std::size_t MR = mk.gemmMR, NR = mk.gemmNR, Mr = roundUp(M, MR);

    // Work items: blocks of T tiles, whole tile rows (part of one image, or
    // several whole images), transformed, multiplied and transformed back
    // independently. Per tile, an item moves α²·(C + M) floats of V and
    // products and α²·M·C / T floats of U (read once per item). T is the
    // larger of: enough that V and the products (α²·(C + M)·T floats) fill
    // about 1 MB, i.e. stay in L2 between the transform that writes them and
    // the products that read them; M·C / (C + M), where U's share stops
    // dominating (late layers with 512 channels); and 64. Measured on
    // ResNet18: 1 MB/64 beats 4 MB/256 by 10-15 %. When there are too few
    // tiles for one such item per thread (late layers, small batches), items
    // run one after the other, each over all threads: transforms split by
    // channel, the products by ξ (each thread then reads only its part of U).
    constexpr std::size_t kBudget = std::size_t(256) << 10, kMinTiles = 64;
    const std::size_t perImage = th * tw, tiles = N * perImage;
    const std::size_t target = std::max({kMinTiles, kBudget / (A2 * (C + M)), M * C / (C + M)});
    const bool split = threads > 1 && tiles < target * threads;
    const std::size_t imgs = perImage >= target ? 1 : std::min(N, target / perImage);
    const std::size_t rows = std::min(imgs > 1 ? th : std::min(th, std::max<std::size_t>(1, target / tw)), kMaxBlockRows);
    const std::size_t rowBlocks = (th + rows - 1) / rows, chunks = (N + imgs - 1) / imgs;
    const std::size_t items = chunks * rowBlocks;

    // U[ξ]: Mr/MR panels [C][MR] (rows o ≥ M zero) at ξ·Us + (o/MR)·C·MR + c·MR + o%MR.
    // The α² matrices of U, V and the products are kWinoSkew floats apart
    // beyond their size: with power-of-two sizes, the α² streams a transform
    // reads or writes at once would otherwise map to the same L1 sets.
    const std::size_t Us = Mr * C + kWinoSkew;
    WinogradWeights* cache = currentStepStateAs<WinogradWeights>();
    bool reuse = false;
    float* U;
    if (cache) {
        reuse = p.weights.storage != 0 && cache->m == m && cache->MR == MR && cache->source == p.weights &&
                cache->U.size() == A2 * Us;
        if (!reuse) {
            cache->m = m, cache->MR = MR, cache->source = p.weights;
            cache->U.resize(A2 * Us);
        }
        U = cache->U.data();
    } else {
        U = scratch(3, A2 * Us);
    }
    if (!reuse) {
        if (Mr > M)
            for (std::size_t xi = 0; xi < A2; ++xi)
                std::fill(U + xi * Us + (Mr - MR) * C, U + xi * Us + Mr * C, 0.f);
        // One call per (panel, c): the panel's rows are one contiguous run of U.
        parallelRange(Mr / MR, 1, [&](std::size_t q0, std::size_t q1) {
            for (std::size_t q = q0; q < q1; ++q)
                for (std::size_t c = 0; c < C; ++c)
                    tf.weights(w + (q * MR * C + c) * 9, C * 9, std::min(MR, M - q * MR), U + (q * C + c) * MR, Us);
        });
    }

    std::atomic<bool> overflow{false};
    auto item = [&](std::size_t it) {
        if (overflow.load(std::memory_order_relaxed)) return;  // redone by im2col anyway
        const std::size_t n0 = (it / rowBlocks) * imgs, nb = std::min(imgs, N - n0);
        const std::size_t ty0 = (it % rowBlocks) * rows, ty1 = std::min(th, ty0 + rows), nr = ty1 - ty0;
        const std::size_t T = nb * nr * tw, Tp = roundUp(T, NR);
        // V[ξ]: Tp/NR panels [C][NR] (columns t ≥ T zero) at ξ·Vs + (t/NR)·C·NR + c·NR + t%NR.
        // Products [ξ][o][t] at ξ·Ms + o·Tp + t.
        const std::size_t Vs = Tp * C + kWinoSkew, Ms = M * Tp + kWinoSkew;
        float* V = scratch(0, A2 * Vs);
        float* Mp = scratch(1, A2 * Ms);
        auto run = [&](std::size_t n, auto&& fn) {
            if (split) parallelRange(n, 1, fn);
            else fn(0, n);
        };

        // V from zero-padded input rows; tile t = (i·nr + ty − ty0)·tw + tx.
        // The block reads input rows m·ty0 − ph + k, k < m·nr + 2; each gets its
        // row half once (hr[k]), then each tile row combines α of them.
        const std::size_t hs = tw, rowsIn = m * nr + 2;
        run(C, [&](std::size_t c0, std::size_t c1) {
            float* pad = scratch(4, rowLen + al * hs * (rowsIn + 1));
            float* zeroH = pad + rowLen;  // the row half of an all-zero row
            float* hr = zeroH + al * hs;
            std::fill(zeroH, zeroH + al * hs, 0.f);
            for (std::size_t c = c0; c < c1; ++c) {
                if (Tp > T)
                    for (std::size_t xi = 0; xi < A2; ++xi) {
                        float* last = V + xi * Vs + (Tp - NR) * C + c * NR;
                        std::fill(last + (T - (Tp - NR)), last + NR, 0.f);
                    }
                for (std::size_t i = 0; i < nb; ++i) {
                    const float* xc = x + ((n0 + i) * C + c) * H * W;
                    const float* rowH[4 * kMaxBlockRows + 2];
                    for (std::size_t k = 0; k < rowsIn; ++k) {
                        const std::ptrdiff_t iy = static_cast<std::ptrdiff_t>(m * ty0 + k) - static_cast<std::ptrdiff_t>(ph);
                        if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(H)) {
                            rowH[k] = zeroH;
                            continue;
                        }
                        paddedRow(xc + static_cast<std::size_t>(iy) * W, W, pw, pad, rowLen);  // column xx: input ix = xx − pw
                        tf.row(pad, tw, hr + k * al * hs, hs);
                        rowH[k] = hr + k * al * hs;
                    }
                    for (std::size_t ty = ty0; ty < ty1; ++ty) {
                        const float* const* h = rowH + m * (ty - ty0);
                        // The row's tiles [t0, t0 + tw), cut where they cross into the next panel.
                        const std::size_t t0 = (i * nr + ty - ty0) * tw;
                        for (std::size_t a = t0; a < t0 + tw;) {
                            const std::size_t b = std::min(t0 + tw, (a / NR + 1) * NR);
                            const float* hseg[6];
                            for (std::size_t k = 0; k < al; ++k) hseg[k] = h[k] + (a - t0);
                            tf.col(hseg, hs, b - a, V + (a / NR) * C * NR + c * NR + a % NR, Vs);
                            a = b;
                        }
                    }
                }
            }
        });

        // Products [M, Tp] = U[ξ]·V[ξ] by register tiles; a U panel (MR·C
        // floats) stays in L1 while V[ξ] (C·Tp, sized for L2) streams past it.
        run(A2, [&](std::size_t x0, std::size_t x1) {
            for (std::size_t xi = x0; xi < x1; ++xi)
                for (std::size_t o = 0; o < M; o += MR)
                    for (std::size_t j = 0; j < Tp; j += NR)
                        mk.gemmPacked(U + xi * Us + o * C, V + xi * Vs + j * C, NR, C, Mp + xi * Ms + o * Tp + j, Tp,
                                      std::min(MR, M - o), NR, false);
        });

        // Output rows m·ty + k, k < m (when < OH), of each channel, with the
        // epilogue (and the sign counting) applied while they are in L1.
        run(M, [&](std::size_t m0, std::size_t m1) {
            float* out = scratch(4, m * m * tw);
            float* outRows[4];
            for (std::size_t k = 0; k < m; ++k) outRows[k] = out + k * m * tw;
            double neg = 0.0, pos = 0.0;
            std::uint64_t nonFinite = 0;
            std::uint8_t* alive = stats ? aliveScratch(m1 - m0) : nullptr;
            for (std::size_t i = 0; i < nb; ++i)
                for (std::size_t o = m0; o < m1; ++o) {
                    const float sc = scale ? scale[o] : 1.f, sh = shift ? shift[o] : 0.f;
                    float* yo = y + ((n0 + i) * M + o) * OH * OW;
                    for (std::size_t ty = ty0; ty < ty1; ++ty) {
                        tf.out(Mp + o * Tp + (i * nr + ty - ty0) * tw, Ms, tw, outRows);
                        if (!allFinite(out, m * m * tw)) overflow.store(true, std::memory_order_relaxed);
                        for (std::size_t k = 0; k < m && m * ty + k < OH; ++k) {
                            if (p.biasMap)  // a merged conv's f(0), per position, before the per-channel affine
                                mk.binary(0, outRows[k], 1, p.biasMap + (o * OH + m * ty + k) * OW, 1, outRows[k], OW,
                                          Activation{});
                            mk.scaleShiftAct(outRows[k], yo + (m * ty + k) * OW, OW, sc, sh, stats ? Activation{} : act.forChannel(o));
                        }
                    }
                    // Counted over the block's rows at once: single rows are short (4 to 32 floats in ResNets).
                    if (stats) {
                        const std::size_t oy0 = m * ty0, oy1 = std::min(OH, m * ty1);
                        alive[o - m0] |= mk.countAct(yo + oy0 * OW, (oy1 - oy0) * OW, act.forChannel(o), neg, pos, nonFinite) ? 1 : 0;
                    }
                }
            if (stats) stats->merge(neg, pos, nonFinite, alive, m0, m1 - m0);
        });
    };
    if (split)
        for (std::size_t it = 0; it < items; ++it) item(it);
    else
        parallelFor(items, item);
    return !overflow.load();
}

/// winogradConv, or im2col when it overflowed. The statistics are gathered
/// apart and added to `stats` only when the Winograd result is kept, so that
/// a redone conv is not counted twice.
void winogradOrFallback(const WinogradTransforms& tf, const ConvParams& p, const float* x, const float* w,
                        const float* scale, const float* shift, float* y, const Activation& act, EpilogueStats* stats) {
    std::unique_ptr<EpilogueStats> local;
    if (stats) {
        local = std::make_unique<EpilogueStats>();
        local->reset(p.outChannels);
    }
    if (winogradConv(tf, p, x, w, scale, shift, y, act, local.get())) {
        if (stats) stats->merge(local->neg, local->pos, local->nonFinite, local->alive.data(), 0, p.outChannels);
        return;
    }
    conv2d_f32_im2col(p, x, w, scale, shift, y, act, stats);
}

} // namespace

void conv2d_f32_winograd(const ConvParams& p, const float* x, const float* w, const float* scale, const float* shift,
                         float* y, const Activation& act, EpilogueStats* stats) {
    winogradOrFallback(micro().winograd2, p, x, w, scale, shift, y, act, stats);
}
void conv2d_f32_winograd4(const ConvParams& p, const float* x, const float* w, const float* scale, const float* shift,
                          float* y, const Activation& act, EpilogueStats* stats) {
    winogradOrFallback(micro().winograd4, p, x, w, scale, shift, y, act, stats);
}

namespace {
/// The output dims of a 3×3, stride-1, dilation-1, group-1 2-D conv with at
/// least 16 input and output channels (below that, the transforms cost more
/// than the MACs they save); false otherwise.
bool winogradShape(const Operator& op, const std::vector<Shape>& in, std::size_t& OH, std::size_t& OW) {
    Activation act;
    const auto& conv = static_cast<const ConvOp&>(unfuse(op, act));
    const Shape& x = in.at(0);
    const Shape& w = in.at(1);
    const auto& a = conv.attrs;
    const auto ones = [](const std::vector<std::int64_t>& v) {
        return std::all_of(v.begin(), v.end(), [](std::int64_t e) { return e == 1; });
    };
    if (x.size() != 4 || w.size() != 4 || w[2] != 3 || w[3] != 3 || a.group != 1 || !ones(a.strides) ||
        !ones(a.dilations) || x[1] < 16 || w[0] < 16)
        return false;
    const ConvParams p = convParams(conv, x, w);
    OH = p.outDims[0], OW = p.outDims[1];
    return true;
}
} // namespace

// Both variants also need ≥ 64 tiles in the batch: the weight transform
// (α²·M·C floats; redone on every call outside a compiled plan and whenever
// the weights changed) costs more than the MACs it saves on few tiles
// (batch 1 on late, small maps).
bool supportsWinograd(const Operator& op, const std::vector<Shape>& in) {
    std::size_t OH, OW;
    return winogradShape(op, in, OH, OW) && in[0][0] * ((OH + 1) / 2) * ((OW + 1) / 2) >= 64;
}

// F(4×4, 3×3): 36 products per 4×4 output tile against 4·16 for F(2×2), and
// 1.78× less transform traffic per output, at the price of up to 3 wasted
// rows and columns per map edge, a 2.25× larger weight transform, and about
// 10× the rounding error of F(2×2): ~1e-5 of the output's scale with 256
// input channels, growing with C; hence at most 256 input channels.
bool supportsWinograd4(const Operator& op, const std::vector<Shape>& in) {
    std::size_t OH, OW;
    return winogradShape(op, in, OH, OW) && in[0][1] <= 256 && in[0][0] * ((OH + 3) / 4) * ((OW + 3) / 4) >= 64;
}

void launchWinogradCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    launchConvKernel(op, in, out, conv2d_f32_winograd);
}
void launchWinograd4Cpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    launchConvKernel(op, in, out, conv2d_f32_winograd4);
}

} // namespace fibnlr
