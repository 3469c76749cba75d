// A depthwise conv (group = C = M) on small maps, L = Micro::dwLanes channels
// at a time in an interleaved layout: one vector per pixel holding the same
// pixel of L channels.
//
// Why: dwconv2d_f32_direct vectorises along the output rows of one plane.
// On MobileNets' 14×14 and 7×7 maps a plane is 196 or 49 outputs, so each
// plane pays a zero-padded copy, a line of mostly partial vectors, a copy
// back and an epilogue call: skipping the depthwise layers altogether took
// the 28×28 demo MobileNetV2 from 0.24 to 0.13 ms at batch 1 and from 17 to
// 9 ms at batch 64 (1 thread), about half of the forward for 3 % of its
// MACs. Interleaved, every vector is full whatever the map size, the
// window's weights stay in registers (one vector per tap), and the padding
// is written once per work item.
//
// Per work item (image n, channel block c0 .. c0 + L): the block's planes
// are gathered into the zero-padded interleaved buffer (its border written
// once per item range), Micro::dwInterleaved computes every output pixel,
// the epilogue (scale/shift, activation, FIBNLR's counting) runs on the
// interleaved output (Micro::dwAffineAct, dwAffineCountAct), and the block is
// transposed back into y's planes (Micro::dwInterleave and dwDeinterleave
// transpose W × W blocks in registers). On larger maps, or with a bias map
// or per-channel slopes, each plane gets the epilogue by convEpilogueRow
// after the transpose, while in L1, as in the other conv kernels.
#include <algorithm>
#include <stdexcept>

#include "ConvGeometry.hpp"
#include "PackedWeights.hpp"
#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Conv.hpp"

namespace fibnlr {

using convgeo::Geo2d;
using convgeo::geo2d;

void dwconv2d_f32_interleaved(const ConvParams& p, const float* x, const float* w, const float* scale,
                              const float* shift, float* y, const Activation& act, EpilogueStats* stats) {
    const Geo2d g = geo2d(p);
    const Micro& mk = micro();
    const std::size_t L = mk.dwLanes, C = p.inChannels, HW = g.H * g.W, P = g.OH * g.OW, kk = g.kh * g.kw;
    if (p.batch == 0 || C == 0 || P == 0) return;
    const std::size_t Hp = (g.OH - 1) * g.sh + (g.kh - 1) * g.dh + 1, Wp = (g.OW - 1) * g.sw + (g.kw - 1) * g.dw + 1;
    // The input rows and columns inside the padded Hp × Wp window.
    const std::size_t rowsIn = g.ph < Hp ? std::min(g.H, Hp - g.ph) : 0;
    const std::size_t colsIn = g.pw < Wp ? std::min(g.W, Wp - g.pw) : 0;
    const std::size_t blocks = (C + L - 1) / L;
    // The weights interleaved per block, [kk][L] (lanes past C zero): C·kk floats, made per call.
    float* wi = scratch(3, blocks * kk * L);
    std::fill(wi, wi + blocks * kk * L, 0.f);
    for (std::size_t c = 0; c < C; ++c)
        for (std::size_t k = 0; k < kk; ++k) wi[(c / L * kk + k) * L + c % L] = w[c * kk + k];
    const DwWindow win{Wp, g.OH, g.OW, g.kh, g.kw, g.sh, g.sw, g.dh, g.dw};
    // The epilogue (without a bias map, one activation parameter for all
    // channels) runs on the interleaved output, a vector per pixel, before
    // the transpose back, on maps of ≤ 256 outputs: on 7×7 and 14×14 planes a
    // call per plane cost more than its arithmetic (per step in MobileNetV2
    // 224×224 at batch 1 and 8 and the 28×28 demo model at 1 and 64, 1 and 2
    // threads: 1.02-1.38×; measuring, the whole fibnlr_compute of MobileNetV2
    // and the demo model 1.02-1.05× faster). On MobileNetV2's 28×28 stride-2
    // layer (its 50 KB interleaved output past L1) the plain one was 0.88-0.94×.
    const bool affineInterleaved = P <= 256 && !p.biasMap && !act.perChannelA &&
                                   (act.kind == ActKind::None || act.kind == ActKind::ReLU ||
                                    act.kind == ActKind::LeakyReLU || act.kind == ActKind::Clip);
    constexpr std::size_t kMaxLanes = 16;
    if (L > kMaxLanes) throw std::logic_error("dwconv2d_f32_interleaved: more than 16 lanes");
    // Blocks per task: at least ~64k MACs, as dwconv2d_f32_direct's planes per task.
    constexpr std::size_t kMinTaskMacs = std::size_t(64) << 10;
    parallelRange(p.batch * blocks, std::max<std::size_t>(1, kMinTaskMacs / (P * kk * L)), [&](std::size_t t0, std::size_t t1) {
        EpilogueCounts counts;
        std::uint8_t* alive = stats ? aliveScratch(C) : nullptr;
        float* pad = scratch(4, Hp * Wp * L);
        float* out = scratch(5, P * L);
        std::fill(pad, pad + Hp * Wp * L, 0.f);  // the border; the inside is rewritten per block
        for (std::size_t t = t0; t < t1; ++t) {
            const std::size_t n = t / blocks, c0 = t % blocks * L, lanes = std::min(L, C - c0);
            const float* xb = x + (n * C + c0) * HW;
            float* inside = pad + (g.ph * Wp + g.pw) * L;
            if (colsIn == g.W) mk.dwInterleave(xb, HW, lanes, rowsIn * g.W, g.W, Wp, inside);
            else
                for (std::size_t iy = 0; iy < rowsIn; ++iy) mk.dwInterleave(xb + iy * g.W, HW, lanes, colsIn, colsIn, Wp, inside + iy * Wp * L);
            mk.dwInterleaved(win, pad, wi + t % blocks * kk * L, out);
            if (affineInterleaved) {
                float sc[kMaxLanes], sh[kMaxLanes];
                for (std::size_t l = 0; l < L; ++l) {
                    sc[l] = scale && l < lanes ? scale[c0 + l] : 1.f;
                    sh[l] = shift && l < lanes ? shift[c0 + l] : 0.f;
                }
                if (!stats) mk.dwAffineAct(out, P, sc, sh, act);
                else {
                    const std::uint32_t up = mk.dwAffineCountAct(out, P, sc, sh, act, lanes, counts.neg, counts.pos, counts.nonFinite);
                    for (std::size_t l = 0; l < lanes; ++l)
                        if (up >> l & 1u) alive[c0 + l] = 1;
                }
            }
            mk.dwDeinterleave(out, P, lanes, y + (n * C + c0) * P, P);
            for (std::size_t l = 0; l < lanes && !affineInterleaved; ++l) {
                const std::size_t c = c0 + l;
                float* yp = y + (n * C + c) * P;
                if (convEpilogueRow(mk, p, scale, shift, act, c, 0, yp, yp, P, stats ? &counts : nullptr)) alive[c] = 1;
            }
        }
        if (stats) stats->merge(counts.neg, counts.pos, counts.nonFinite, alive, 0, C);
    });
}

void launchDwConvInterleavedCpu(const Operator& op, const std::vector<const Tensor*>& in,
                                const std::vector<Tensor*>& out) {
    launchConvKernel(op, in, out, dwconv2d_f32_interleaved);
}

// Measured against dwconv2d_f32_direct per layer (AVX-512, 1 thread, each
// layer alone; the depthwise layers of MobileNetV2 224×224 at batch 1 and of
// the 28×28 demo MobileNetV2 at batch 1 and 64):
// - 14×14 and 7×7 maps at batch 1: 1.4-2.5× (demo), 1.0-1.65× (224×224);
//   at batch 64: 1.33-1.52× at 7×7, 1.03-1.13× at 14×14 stride 1;
// - stride 2 (the planes read are 4× the output): 1.14× (56→28), 1.29×
//   (28→14), 1.69-1.92× (14→7);
// - 28×28 stride 1: 0.9× (the direct rows are long enough there).
// Channels fewer than half a vector leave most lanes empty.
bool supportsDwConvInterleaved(const Operator& op, const std::vector<Shape>& in) {
    if (!supportsDwConv2d(op, in)) return false;
    Activation act;
    const auto& conv = static_cast<const ConvOp&>(unfuse(op, act));
    const ConvParams p = convParams(conv, in.at(0), in.at(1));
    std::size_t P = 1;
    bool strided = false;
    for (std::size_t d = 0; d < p.outDims.size(); ++d) P *= p.outDims[d], strided = strided || p.strides[d] > 1;
    return (P <= 256 || (strided && P <= 1024)) && p.inChannels >= micro().dwLanes / 2;
}

} // namespace fibnlr
