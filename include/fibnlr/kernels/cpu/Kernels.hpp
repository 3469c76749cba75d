#pragma once
#include <cstddef>
#include <vector>

#include "fibnlr/kernels/Kernel.hpp"
#include "fibnlr/kernels/cpu/Micro.hpp"
#include "fibnlr/kernels/ref/Conv.hpp"
#include "fibnlr/kernels/ref/Pool.hpp"

namespace fibnlr {

/// Fast CPU kernels (backend "cpu"). Raw-pointer functions take the same
/// params structs as the ref kernels plus the fused epilogue activation; the
/// launchers unwrap FusedOp (operator/Fused.hpp) so the same launcher serves
/// "Conv" and "FusedConv". Parallel over the fibnlr thread pool; SGEMM from
/// scipy-openblas32 (whose threads are the same pool).

/// Per-thread scratch that grows and is kept: after the first forward of a
/// plan, kernels allocate nothing. `slot` (< kScratchSlots) separates buffers
/// used at once: 0 and 1 a conv work item's matrices, 2 the epilogue's
/// scale/shift (caller thread, alive for the whole kernel), 3 transformed
/// weights (caller thread), 4 row temporaries (a depthwise conv's padded
/// plane), 5 a depthwise plane's output line.
constexpr int kScratchSlots = 6;
float* scratch(int slot, std::size_t floats);
/// Per-thread channel flags for one work item of a measured step, zeroed.
std::uint8_t* aliveScratch(std::size_t channels);
/// One input row of W floats laid into a zero-padded row of `len` floats:
/// dst[i] = row[i − pad] where 0 ≤ i − pad < W, else 0; a null row (in the
/// padding) gives all zeros.
void paddedRow(const float* row, std::size_t W, std::size_t pad, float* dst, std::size_t len);

/// The raw-pointer signature shared by the conv kernels below.
using ConvKernelFn = void (*)(const ConvParams& p, const float* x, const float* w, const float* scale,
                              const float* shift, float* y, const Activation& act, EpilogueStats* stats);
/// Unwraps a (Fused)Conv, computes its epilogue scale/shift (bias, folded
/// BatchNorm) and calls `kernel` on the tensors. A bias map (B of rank > 1)
/// goes in ConvParams::biasMap: every kernel adds it per output position in
/// its epilogue, before scale/shift, while the output block is in cache.
void launchConvKernel(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out,
                      ConvKernelFn kernel);

/// Convolution as im2col + SGEMM, per group; a 1×1 stride-1 unpadded conv
/// reads the input directly (no im2col) when one image is enough columns.
/// 1-D or 2-D. Epilogue per output channel m: y = act(conv(x, w)·scale[m] + shift[m])
/// (scale null: 1; shift null: 0), i.e. bias and a BatchNorm folded in.
/// With `stats`, the epilogue also accumulates the sign statistics of the
/// pre-activation values (the fused activation's input) while they are in cache.
void conv2d_f32_im2col(const ConvParams& p, const float* x, const float* w, const float* scale, const float* shift,
                       float* y, const Activation& act, EpilogueStats* stats = nullptr);
/// The same conv and epilogue as conv2d_f32_im2col, y = act(Σ_k W[m, k]·im2col(x)[k, col]·scale[m] + shift[m])
/// per group, on the packed GEMM tile of the micro-kernel table
/// (kernels/cpu/ConvPacked.cpp): the weights are packed into MR-row panels
/// once and kept by the compiled plan's step while their TensorStamp is
/// unchanged (outside a plan, packed into scratch on each call), and the
/// input is written by im2col straight into NR-column panels, K-blocked.
/// Why: OpenBLAS re-packs the weights on every call, which dominates when
/// there are few output columns per weight (batch 1, late layers). Any
/// 1-D or 2-D conv; the kernel list picks it where it beats
/// conv2d_f32_im2col (supportsConvPacked).
void conv2d_f32_packed(const ConvParams& p, const float* x, const float* w, const float* scale, const float* shift,
                       float* y, const Activation& act, EpilogueStats* stats = nullptr);
/// The same conv and epilogue for a 1×1, stride-1, unpadded, group-1 conv (1-D
/// or 2-D): y[n] = W·x[n] per image on the GEMM register tile, reading x's
/// planes in place (no im2col, no B packing) and writing y in place, with
/// the weights packed once per compiled plan as conv2d_f32_packed does and
/// the epilogue applied per block while it is in L1
/// (kernels/cpu/ConvPointwise.cpp).
void conv2d_f32_pointwise(const ConvParams& p, const float* x, const float* w, const float* scale,
                          const float* shift, float* y, const Activation& act, EpilogueStats* stats = nullptr);
/// The same conv and epilogue for a stride-1, group-1 conv (1-D or 2-D, any
/// kernel size, dilation and padding), computed directly on the GEMM
/// register tile from a zero-padded copy of each image, without an im2col
/// matrix (kernels/cpu/ConvDirect.cpp).
void conv2d_f32_direct(const ConvParams& p, const float* x, const float* w, const float* scale, const float* shift,
                       float* y, const Activation& act, EpilogueStats* stats = nullptr);
/// 3×3, stride 1, dilation 1, group 1, 2-D: Winograd F(2×2, 3×3), the 16
/// products per block of tiles on the packed GEMM tile of the micro-kernel
/// table (kernels/cpu/Winograd.cpp). Same epilogue. When a transform
/// overflows or a non-finite input spreads over a tile, the conv is redone
/// by conv2d_f32_im2col, so the result is finite wherever the direct sum is.
void conv2d_f32_winograd(const ConvParams& p, const float* x, const float* w, const float* scale,
                         const float* shift, float* y, const Activation& act, EpilogueStats* stats = nullptr);
/// The same with Winograd F(4×4, 3×3): 36 products per 4×4 output tile.
void conv2d_f32_winograd4(const ConvParams& p, const float* x, const float* w, const float* scale,
                          const float* shift, float* y, const Activation& act, EpilogueStats* stats = nullptr);
/// Depthwise (group = C = M), direct, vectorised along output rows. kw ≤ 64. Same epilogue.
void dwconv2d_f32_direct(const ConvParams& p, const float* x, const float* w, const float* scale, const float* shift,
                         float* y, const Activation& act, EpilogueStats* stats = nullptr);
/// The same depthwise conv, Micro::dwLanes channels at a time in an
/// interleaved layout (one vector per pixel): for small maps, where a plane
/// is too short for dwconv2d_f32_direct's rows (kernels/cpu/DwConvInterleaved.cpp).
void dwconv2d_f32_interleaved(const ConvParams& p, const float* x, const float* w, const float* scale,
                              const float* shift, float* y, const Activation& act, EpilogueStats* stats = nullptr);
/// For producers without a row epilogue: y holds pre-activation values; per
/// (n, c) plane, accumulates their sign statistics into `stats` and applies
/// `act` in place, while the plane is in cache (one pass over y).
void countThenActivate(Tensor& y, const Activation& act, EpilogueStats& stats);
void maxpool2d_f32_direct(const PoolParams& p, const float* x, float* y);
void avgpool2d_f32_direct(const PoolParams& p, const float* x, float* y);

#define FIBNLR_CPU_LAUNCHER(Name) \
    void launch##Name##Cpu(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
FIBNLR_CPU_LAUNCHER(Conv)
FIBNLR_CPU_LAUNCHER(ConvPacked)
FIBNLR_CPU_LAUNCHER(ConvPointwise)
FIBNLR_CPU_LAUNCHER(ConvDirect)
FIBNLR_CPU_LAUNCHER(DwConv)
FIBNLR_CPU_LAUNCHER(DwConvInterleaved)
FIBNLR_CPU_LAUNCHER(Winograd)
FIBNLR_CPU_LAUNCHER(Winograd4)
FIBNLR_CPU_LAUNCHER(Gemm)
FIBNLR_CPU_LAUNCHER(MatMul)
FIBNLR_CPU_LAUNCHER(BatchNorm)
FIBNLR_CPU_LAUNCHER(Unary)
FIBNLR_CPU_LAUNCHER(Binary)
FIBNLR_CPU_LAUNCHER(Sum)
FIBNLR_CPU_LAUNCHER(MaxPool)
FIBNLR_CPU_LAUNCHER(AveragePool)
FIBNLR_CPU_LAUNCHER(GlobalAveragePool)
FIBNLR_CPU_LAUNCHER(GlobalMaxPool)
FIBNLR_CPU_LAUNCHER(PReLU)
FIBNLR_CPU_LAUNCHER(Reduce)
FIBNLR_CPU_LAUNCHER(Resize)
FIBNLR_CPU_LAUNCHER(Concat)
FIBNLR_CPU_LAUNCHER(Softmax)
#undef FIBNLR_CPU_LAUNCHER
/// Reference launcher of any FusedOp: the base's ref kernel, then the activation in place.
void launchFusedRef(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);

/// Variant predicates (KernelSupportsFn) used by the kernel list.
bool supportsConv2d(const Operator& op, const std::vector<Shape>& in);
bool supportsDwConv2d(const Operator& op, const std::vector<Shape>& in);
/// Where dwconv2d_f32_interleaved beats dwconv2d_f32_direct (measured; see DwConvInterleaved.cpp).
bool supportsDwConvInterleaved(const Operator& op, const std::vector<Shape>& in);
/// Where conv2d_f32_packed is faster than conv2d_f32_im2col (measured; see ConvPacked.cpp).
bool supportsConvPacked(const Operator& op, const std::vector<Shape>& in);
/// A 1×1, stride-1, unpadded (no end padding either), group-1 conv.
bool supportsConvPointwise(const Operator& op, const std::vector<Shape>& in);
/// Where conv2d_f32_direct beats the other conv kernels (measured; see ConvDirect.cpp).
bool supportsConvDirect(const Operator& op, const std::vector<Shape>& in);
bool supportsWinograd(const Operator& op, const std::vector<Shape>& in);
bool supportsWinograd4(const Operator& op, const std::vector<Shape>& in);
bool supportsPool2d(const Operator& op, const std::vector<Shape>& in);
/// A reduction whose reduced axes are the last ones (contiguous rows).
bool supportsReduceSuffix(const Operator& op, const std::vector<Shape>& in);
/// Resize of the spatial dims of a rank-3 or rank-4 input (batch and channels kept).
bool supportsResizeSpatial(const Operator& op, const std::vector<Shape>& in);
/// PReLU with one slope, or one per channel (dim 1).
bool supportsPReLUPerChannel(const Operator& op, const std::vector<Shape>& in);
bool supportsSoftmaxLastAxis(const Operator& op, const std::vector<Shape>& in);

} // namespace fibnlr
