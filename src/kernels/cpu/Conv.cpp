#include <cblas.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>

#include "fibnlr/kernels/StepState.hpp"
#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Conv.hpp"
#include "ConvGeometry.hpp"
#include "PackedWeights.hpp"

namespace fibnlr {

float* scratch(int slot, std::size_t floats) {
    struct Buf {
        std::unique_ptr<float[]> p;
        std::size_t n = 0;
    };
    thread_local Buf bufs[kScratchSlots];
    Buf& b = bufs[slot];
    if (b.n < floats) {
        b.p.reset(new float[floats]);
        b.n = floats;
    }
    return b.p.get();
}

std::uint8_t* aliveScratch(std::size_t channels) {
    thread_local std::vector<std::uint8_t> flags;
    flags.assign(channels, 0);
    return flags.data();
}

void paddedRow(const float* row, std::size_t W, std::size_t pad, float* dst, std::size_t len) {
    const std::size_t a = row ? std::min(pad, len) : len, b = row ? std::min(len, W + pad) : len;
    if (a >= b) {
        std::fill(dst, dst + len, 0.f);
        return;
    }
    std::fill(dst, dst + a, 0.f);
    std::memcpy(dst + a, row + (a - pad), (b - a) * sizeof(float));
    std::fill(dst + b, dst + len, 0.f);
}

namespace {

using convgeo::Geo2d;
using convgeo::geo2d;
using convgeo::tapRange;

/// Writes the im2col rows of one image `x` ([cpg, H, W]) restricted to output
/// rows [oy0, oy1): col[r, (oy − oy0)·OW + ox] with r = (c·kh + ky)·kw + kx and
/// row stride ldc.
void im2col(const Geo2d& g, const float* x, std::size_t cpg, std::size_t oy0, std::size_t oy1, float* col,
            std::size_t ldc) {
    const bool copyRows = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 &&
                           g.OH == g.H && g.OW == g.W;  // no end padding either
    for (std::size_t c = 0; c < cpg; ++c) {
        const float* xc = x + c * g.H * g.W;
        for (std::size_t ky = 0; ky < g.kh; ++ky)
            for (std::size_t kx = 0; kx < g.kw; ++kx) {
                float* row = col + ((c * g.kh + ky) * g.kw + kx) * ldc;
                if (copyRows) {
                    std::memcpy(row, xc + oy0 * g.W, (oy1 - oy0) * g.OW * sizeof(float));
                    continue;
                }
                std::size_t lo, hi;
                tapRange(g.W, g.OW, g.sw, kx * g.dw, g.pw, lo, hi);
                for (std::size_t oy = oy0; oy < oy1; ++oy) {
                    float* r = row + (oy - oy0) * g.OW;
                    const std::ptrdiff_t iy = static_cast<std::ptrdiff_t>(oy * g.sh + ky * g.dh) - static_cast<std::ptrdiff_t>(g.ph);
                    if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(g.H)) {
                        std::fill(r, r + g.OW, 0.f);
                        continue;
                    }
                    std::fill(r, r + lo, 0.f);
                    if (lo < hi) {
                        // Column ox reads x[iy, ox·sw + kx·dw − pw], ≥ 0 from ox = lo on.
                        const float* xr = xc + static_cast<std::size_t>(iy) * g.W + (lo * g.sw + kx * g.dw - g.pw);
                        if (g.sw == 1) std::memcpy(r + lo, xr, (hi - lo) * sizeof(float));
                        else if (g.sw == 2)  // a constant stride vectorises (ImageNet stems, downsampling convs)
                            for (std::size_t ox = lo; ox < hi; ++ox) r[ox] = xr[(ox - lo) * 2];
                        else
                            for (std::size_t ox = lo; ox < hi; ++ox) r[ox] = xr[(ox - lo) * g.sw];
                    }
                    std::fill(r + hi, r + g.OW, 0.f);
                }
            }
    }
}

/// Images per GEMM when an image has few output pixels: enough that
/// N = images·P keeps SGEMM efficient on small late-stage maps (e.g. 4×4),
/// bounded to ~8 MB of im2col, and leaving one unit of work per thread.
/// With few units, their number is made a multiple of the threads, so that
/// no thread idles through the last round (8 images in 3 units of 3 on 2
/// threads ran at 1.34× the 1-thread speed).
std::size_t imagesPerGemm(std::size_t batch, std::size_t P, std::size_t K, std::size_t threads) {
    constexpr std::size_t kTargetCols = 512, kMaxColFloats = std::size_t(2) << 20;
    std::size_t b = (kTargetCols + P - 1) / P;
    b = std::min(b, std::max<std::size_t>(1, kMaxColFloats / std::max<std::size_t>(1, K * P)));
    b = std::min(b, (batch + threads - 1) / threads);
    b = std::max<std::size_t>(1, std::min(b, batch));
    const std::size_t units = (batch + b - 1) / b, rounded = (units + threads - 1) / threads * threads;
    if (units < 4 * threads && rounded != units) b = (batch + rounded - 1) / rounded;
    return b;
}

} // namespace

void conv2d_f32_im2col(const ConvParams& p, const float* x, const float* w, const float* scale, const float* shift,
                       float* y, const Activation& act, EpilogueStats* stats) {
    // Work items, all independent: (group, images [n0, n0 + nb), output rows
    // [oy0, oy1)) → im2col into a per-thread buffer → single-threaded SGEMM →
    // epilogue. One image is cut into blocks of output rows so its im2col
    // block (≤ ~512 KB) is still in L2 when SGEMM packs it and the output
    // block is still in cache for the epilogue; images with few pixels are
    // grouped instead. With fewer items than threads (batch 1, small maps)
    // the SGEMM of each item is split over the threads.
    const Geo2d g = geo2d(p);
    const std::size_t P = g.OH * g.OW, HW = g.H * g.W;
    const std::size_t G = p.group, cpg = p.inChannels / G, Mg = p.outChannels / G;
    const std::size_t K = cpg * g.kh * g.kw;
    const bool pointwise = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 &&
                           g.OH == g.H && g.OW == g.W;  // no end padding either
    const std::size_t T = numThreads();
    const std::size_t B = imagesPerGemm(p.batch, P, K, T);
    // Output rows per block of a single image (B == 1): about kBlockFloats of im2col.
    constexpr std::size_t kBlockFloats = std::size_t(128) << 10;
    const std::size_t rows = B > 1 ? g.OH : std::min(g.OH, std::max<std::size_t>(1, std::max<std::size_t>(kBlockFloats / K, 128) / g.OW));
    const std::size_t rowBlocks = (g.OH + rows - 1) / rows;
    const std::size_t chunks = (p.batch + B - 1) / B, items = chunks * G * rowBlocks;
    const bool split = items < T;
    const Micro& mk = micro();

    auto item = [&](std::size_t it) {
        const std::size_t rb = it % rowBlocks, gi = (it / rowBlocks) % G, n0 = (it / rowBlocks / G) * B;
        const std::size_t nb = std::min(B, p.batch - n0);
        const std::size_t oy0 = rb * rows, oy1 = std::min(g.OH, oy0 + rows);
        const std::size_t bp = (oy1 - oy0) * g.OW;  // columns per image in this item
        const std::size_t cols = nb * bp;
        const bool direct = nb == 1;  // the GEMM writes y itself (row stride P)
        // B matrix [K, cols]: im2col of the item (a 1×1 unit-stride conv of one image reads x directly).
        const float* bm = x + (n0 * p.inChannels + gi * cpg) * HW + oy0 * g.OW;
        std::size_t ldb = P;
        if (!(pointwise && direct)) {
            float* col = scratch(0, K * cols);
            for (std::size_t i = 0; i < nb; ++i)
                im2col(g, x + ((n0 + i) * p.inChannels + gi * cpg) * HW, cpg, oy0, oy1, col + i * bp, cols);
            bm = col;
            ldb = cols;
        }
        float* out = direct ? y + (n0 * p.outChannels + gi * Mg) * P + oy0 * g.OW : scratch(1, Mg * cols);
        const std::size_t ldo = direct ? P : cols;
        const float* wg = w + gi * Mg * K;
        if (split) sgemmParallel(false, false, Mg, cols, K, 1.f, wg, K, bm, ldb, 0.f, out, ldo);
        else
            scipy_cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, static_cast<blasint>(Mg),
                              static_cast<blasint>(cols), static_cast<blasint>(K), 1.f, wg, static_cast<blasint>(K), bm,
                              static_cast<blasint>(ldb), 0.f, out, static_cast<blasint>(ldo));
        // Epilogue: per-channel scale/shift + activation, and the scatter to [n, m, P] when images were grouped.
        // Measuring: the pre-activation values are counted as they are written (Micro::scaleShiftCountAct).
        EpilogueCounts counts;
        std::uint8_t* alive = stats ? aliveScratch(Mg) : nullptr;
        // Measuring a block of grouped images without a bias map: count and activate each row
        // of the block in one call, then copy the images' pieces (as conv2d_f32_pointwise's gathered
        // path): a counting call per small piece cost more than its arithmetic (the whole
        // fibnlr_compute of ResNet18 32×32 at batch 64 1.03× faster).
        if (stats && !direct && !p.biasMap) {
            for (std::size_t m = 0; m < Mg; ++m) {
                const std::size_t oc = gi * Mg + m;
                float* row = out + m * ldo;
                if (convEpilogueRow(mk, p, scale, shift, act, oc, 0, row, row, cols, &counts)) alive[m] = 1;
                for (std::size_t i = 0; i < nb; ++i)
                    std::copy(row + i * bp, row + (i + 1) * bp, y + ((n0 + i) * p.outChannels + oc) * P + oy0 * g.OW);
            }
            stats->merge(counts.neg, counts.pos, counts.nonFinite, alive, gi * Mg, Mg);
            return;
        }
        for (std::size_t i = 0; i < nb; ++i)
            for (std::size_t m = 0; m < Mg; ++m) {
                const std::size_t oc = gi * Mg + m;
                float* dst = y + ((n0 + i) * p.outChannels + oc) * P + oy0 * g.OW;
                if (convEpilogueRow(mk, p, scale, shift, act, oc, oy0 * g.OW, direct ? dst : out + m * ldo + i * bp, dst,
                                    bp, stats ? &counts : nullptr))
                    alive[m] = 1;
            }
        if (stats) stats->merge(counts.neg, counts.pos, counts.nonFinite, alive, gi * Mg, Mg);
    };
    if (split)
        for (std::size_t it = 0; it < items; ++it) item(it);
    else
        parallelFor(items, item);
}

void dwconv2d_f32_direct(const ConvParams& p, const float* x, const float* w, const float* scale,
                         const float* shift, float* y, const Activation& act, EpilogueStats* stats) {
    const Geo2d g = geo2d(p);
    std::size_t lo[64], hi[64];
    for (std::size_t kx = 0; kx < g.kw; ++kx) tapRange(g.W, g.OW, g.sw, kx * g.dw, g.pw, lo[kx], hi[kx]);
    const Micro& mk = micro();
    const std::size_t C = p.inChannels, HW = g.H * g.W, P = g.OH * g.OW, kk = g.kh * g.kw;
    // 3×3 undilated taps (MobileNets): each output row in one pass over three
    // zero-padded input rows (Hp × Wp: the rows and columns the windows read)
    // instead of nine read-modify-write passes of windowRow.
    const bool k3 = g.kh == 3 && g.kw == 3 && g.dh == 1 && g.dw == 1 && g.OH > 0 && g.OW > 0;
    const std::size_t Hp = (g.OH - 1) * g.sh + 3, Wp = (g.OW - 1) * g.sw + 3;
    // The input rows and columns that land inside the padded Hp × Wp window.
    const std::size_t rowsIn = g.ph < Hp ? std::min(g.H, Hp - g.ph) : 0;
    const std::size_t colsIn = g.pw < Wp ? std::min(g.W, Wp - g.pw) : 0;
    // Planes per task: at least ~64k MACs, below which waking a thread (~5-10 µs)
    // costs more than it saves (28×28 MobileNets: 16-96 planes of 14×14 or 7×7).
    constexpr std::size_t kMinTaskMacs = std::size_t(64) << 10;
    // Rows of ≥ 48 outputs read x in place: the columns [oxLo, oxHi) whose three
    // taps are inside the row (ox·sw − pw ≥ 0 and ox·sw − pw + 2 ≤ W − 1) on the
    // vector row, the few others (the padding) scalar, a row outside the map as
    // a row of zeros. Per step against the padded copy (memcpy was 7 % of
    // MobileNetV2 224×224's forward): its 112×112 and 56×56 layers 1.15-1.53×
    // at batch 1 and 8, 1 and 2 threads; on 28×28 rows 0.65× (a row's partial
    // last vector costs more than the copy saves), where the line below stays.
    const bool inPlace = k3 && g.OW >= 48 && g.W >= 3;
    // Columns whose three taps are all inside: from tap 0's first (lo[0], the largest of the three) to
    // tap 2's end (hi[2], the smallest).
    const std::size_t oxLo = inPlace ? lo[0] : 0, oxHi = inPlace ? std::max(lo[0], hi[2]) : 0;
    parallelRange(p.batch * C, std::max<std::size_t>(1, kMinTaskMacs / std::max<std::size_t>(1, P * kk)),
                  [&](std::size_t t0, std::size_t t1) {
        double neg = 0.0, pos = 0.0;
        std::uint64_t nonFinite = 0;
        std::uint8_t* alive = stats ? aliveScratch(C) : nullptr;
        for (std::size_t t = t0; t < t1; ++t) {
            const std::size_t c = t % C;
            const float* xp = x + t * HW;
            const float* wp = w + c * kk;
            float* yp = y + t * P;
            const float sc = scale ? scale[c] : 1.f, sh = shift ? shift[c] : 0.f;
            if (inPlace) {
                float* zeros = scratch(4, g.W);
                if (t == t0) std::fill(zeros, zeros + g.W, 0.f);
                for (std::size_t oy = 0; oy < g.OH; ++oy) {
                    const float* r[3];
                    for (std::size_t ky = 0; ky < 3; ++ky) {
                        const std::size_t iyp = oy * g.sh + ky;  // the padded row; input row iyp − ph
                        r[ky] = iyp >= g.ph && iyp - g.ph < g.H ? xp + (iyp - g.ph) * g.W : zeros;
                    }
                    float* row = yp + oy * g.OW;
                    if (oxLo < oxHi) {
                        const std::size_t off = oxLo * g.sw - g.pw;
                        const float* in[3] = {r[0] + off, r[1] + off, r[2] + off};
                        mk.dw3x3Row(in, wp, oxHi - oxLo, g.sw, row + oxLo);
                    }
                    auto edge = [&](std::size_t ox) {
                        float sum = 0.f;
                        for (std::size_t ky = 0; ky < 3; ++ky)
                            for (std::size_t kx = 0; kx < 3; ++kx) {
                                const std::size_t ixp = ox * g.sw + kx;  // the padded column
                                if (ixp >= g.pw && ixp - g.pw < g.W) sum += wp[ky * 3 + kx] * r[ky][ixp - g.pw];
                            }
                        row[ox] = sum;
                    };
                    for (std::size_t ox = 0; ox < oxLo; ++ox) edge(ox);
                    for (std::size_t ox = oxHi; ox < g.OW; ++ox) edge(ox);
                }
            } else if (k3) {
                // Zero-padded copy of the rows and columns the windows read:
                // padded (py, px) = x[py − ph][px − pw]. Every plane of the task
                // has the same zero border: it is written once, then only the
                // inside (rowsIn × colsIn, clipped to Hp × Wp) is copied per plane.
                float* pad = scratch(4, Hp * Wp);
                if (t == t0) std::fill(pad, pad + Hp * Wp, 0.f);
                for (std::size_t iy = 0; iy < rowsIn; ++iy)
                    std::memcpy(pad + (iy + g.ph) * Wp + g.pw, xp + iy * g.W, colsIn * sizeof(float));
                if (g.sh == 1 && g.sw == 1) {
                    // Stride 1: the plane as one line over the padded rows. Output
                    // j = oy·Wp + ox reads pad[j + ky·Wp + kx]; the Wp − OW values past
                    // each row's end are computed and dropped. One long line vectorises,
                    // where rows of 7-14 outputs ran mostly in the scalar tail; its last
                    // read, (Hp − 1)·Wp + OW + 1, stays inside the Hp·Wp buffer.
                    float* line = scratch(5, g.OH * Wp);
                    const float* r[3] = {pad, pad + Wp, pad + 2 * Wp};
                    mk.dw3x3Row(r, wp, (g.OH - 1) * Wp + g.OW, 1, line);
                    for (std::size_t oy = 0; oy < g.OH; ++oy)
                        std::memcpy(yp + oy * g.OW, line + oy * Wp, g.OW * sizeof(float));
                } else {
                    for (std::size_t oy = 0; oy < g.OH; ++oy) {
                        const float* r[3] = {pad + oy * g.sh * Wp, pad + (oy * g.sh + 1) * Wp, pad + (oy * g.sh + 2) * Wp};
                        mk.dw3x3Row(r, wp, g.OW, g.sw, yp + oy * g.OW);
                    }
                }
            } else {
                std::fill(yp, yp + P, 0.f);
                for (std::size_t oy = 0; oy < g.OH; ++oy) {
                    float* row = yp + oy * g.OW;
                    for (std::size_t ky = 0; ky < g.kh; ++ky) {
                        const std::ptrdiff_t iy = static_cast<std::ptrdiff_t>(oy * g.sh + ky * g.dh) - static_cast<std::ptrdiff_t>(g.ph);
                        if (iy < 0 || iy >= static_cast<std::ptrdiff_t>(g.H)) continue;
                        mk.windowRow(0, xp + static_cast<std::size_t>(iy) * g.W, wp + ky * g.kw, g.kw, g.sw, g.dw, g.pw, lo, hi, row);
                    }
                }
            }
            if (p.biasMap) mk.binary(0, yp, 1, p.biasMap + c * P, 1, yp, P, Activation{});
            // Epilogue over the whole plane (still in L1/L2): rows are too short
            // (7 to 112 floats in MobileNets) for the per-call costs of counting.
            if (!stats) {
                mk.scaleShiftAct(yp, yp, P, sc, sh, act.forChannel(c));
                continue;
            }
            alive[c] |= mk.scaleShiftCountAct(yp, yp, P, sc, sh, act.forChannel(c), neg, pos, nonFinite) ? 1 : 0;
        }
        if (stats) stats->merge(neg, pos, nonFinite, alive, 0, C);
    });
}

bool supportsConv2d(const Operator& op, const std::vector<Shape>& in) {
    Activation act;
    (void)unfuse(op, act);
    return in.at(0).size() == 3 || in.at(0).size() == 4;
}

bool supportsDwConv2d(const Operator& op, const std::vector<Shape>& in) {
    Activation act;
    const auto& conv = static_cast<const ConvOp&>(unfuse(op, act));
    const Shape& x = in.at(0);
    const Shape& w = in.at(1);
    return (x.size() == 3 || x.size() == 4) && conv.attrs.group > 1 && static_cast<std::size_t>(conv.attrs.group) == x[1] &&
           w[0] == x[1] && w.back() <= 64;
}

namespace {
/// A conv under this many multiply-accumulates runs on the calling thread:
/// its parallel regions would cost more in wake-ups than they save (measured
/// on the 28×28 demo models at batch 1, whose layers are 0.1-0.5 M MACs)...
constexpr std::size_t kSerialMacs = std::size_t(1) << 20;
/// ...unless its input and output together exceed this many bytes: such a
/// layer (a depthwise conv has 9 MACs per output) is bound by moving its data,
/// and half of it sits in the other core's cache after a parallel step.
/// Measured on MobileNetV2 224×224 at batch 1, 2 threads: its depthwise layers
/// on 56×56 to 7×7 maps (0.2-1 M MACs, 0.3-2 MB) ran 1.3-1.9× faster in
/// parallel, the whole forward 1.09×; 128 KB slowed the demo MobileNetV2 (b1).
constexpr std::size_t kSerialBytes = std::size_t(256) << 10;

/// What launchConvKernel derives from the operator and the input dims, kept
/// by a compiled plan's step so that a forward does not derive it again:
/// resolving the window validates the attributes and allocates a dozen
/// vectors, about 1-2 µs, a tenth of a layer of a 28×28 model at batch 1.
/// The kernel's own state (Winograd's transformed weights) nests in `kernel`.
struct ConvLaunch : StepState {
    Shape x, w;  // the input dims `params` was made for
    ConvParams params;
    std::unique_ptr<StepState> kernel;
};
} // namespace

void launchConvKernel(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
                      ConvKernelFn kernel) {
    Activation act;
    const auto& conv = static_cast<const ConvOp&>(unfuse(op, act));
    act = epilogueActivation(op, in);  // with a fused PReLU's slopes
    ConvLaunch* launch = currentStepStateAs<ConvLaunch>();
    ConvParams local;
    ConvParams& p = launch ? launch->params : local;
    if (!launch || launch->x != in[0]->dims() || launch->w != in[1]->dims()) {
        p = convParams(conv, in[0]->dims(), in[1]->dims());
        if (launch) launch->x = in[0]->dims(), launch->w = in[1]->dims();
    }
    p.weights = in[1]->stamp();
    p.biasMap = in.size() > 2 && in[2] && in[2]->nbDims() > 1 ? in[2]->data<float>() : nullptr;  // shape checked at compile
    const float *scale, *shift;
    epilogueAffine(op, in, p.outChannels, scratch(2, 2 * p.outChannels), scale, shift);
    StepStateScope kernelState(launch ? &launch->kernel : nullptr);
    std::size_t macs = p.batch * p.outChannels * (p.inChannels / p.group);
    for (std::size_t d = 0; d < p.outDims.size(); ++d) macs *= p.outDims[d] * p.kernel[d];
    std::optional<SerialScope> serial;
    if (macs < kSerialMacs && (in[0]->size() + out[0]->size()) * sizeof(float) < kSerialBytes) serial.emplace();
    kernel(p, in[0]->data<float>(), in[1]->data<float>(), scale, shift, out[0]->data<float>(), act, epilogueStats(op));
}

void launchConvCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    launchConvKernel(op, in, out, conv2d_f32_im2col);
}
void launchDwConvCpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out) {
    launchConvKernel(op, in, out, dwconv2d_f32_direct);
}

} // namespace fibnlr
