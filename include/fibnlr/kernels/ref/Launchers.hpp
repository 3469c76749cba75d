#pragma once
#include <vector>

#include "fibnlr/kernels/Kernel.hpp"
#include "fibnlr/kernels/ref/Conv.hpp"
#include "fibnlr/kernels/ref/Pool.hpp"

namespace fibnlr {

class ConvOp;
struct Window;

/// The conv geometry of `op` on input dims `x` and weight dims `w`.
ConvParams convParams(const ConvOp& op, const Shape& x, const Shape& w);
/// The pooling geometry of window `win` (from MaxPoolOp/AveragePoolOp::window) on input dims `x`.
PoolParams poolParams(const Window& win, const Shape& x);
/// The pooling geometry of a MaxPool or AveragePool operator on input dims `x`
/// (with an AveragePool's count_include_pad).
PoolParams poolParams(const Operator& op, const Shape& x);

/// Reference launchers, one per operator type (listed in kernels/KernelList.cpp).
#define FIBNLR_REF_LAUNCHER(Name) \
    void launch##Name##Ref(const Operator& op, const std::vector<const Tensor*>& in, const std::vector<Tensor*>& out);
FIBNLR_REF_LAUNCHER(Conv)
FIBNLR_REF_LAUNCHER(Gemm)
FIBNLR_REF_LAUNCHER(MatMul)
FIBNLR_REF_LAUNCHER(BatchNorm)
FIBNLR_REF_LAUNCHER(Unary)
FIBNLR_REF_LAUNCHER(Binary)
FIBNLR_REF_LAUNCHER(Sum)
FIBNLR_REF_LAUNCHER(LRN)
FIBNLR_REF_LAUNCHER(Softmax)
FIBNLR_REF_LAUNCHER(MaxPool)
FIBNLR_REF_LAUNCHER(AveragePool)
FIBNLR_REF_LAUNCHER(GlobalPool)  // GlobalAveragePool, GlobalMaxPool
FIBNLR_REF_LAUNCHER(Reduce)      // every reduction of operator/Reduce.hpp
FIBNLR_REF_LAUNCHER(Resize)
FIBNLR_REF_LAUNCHER(PReLU)
FIBNLR_REF_LAUNCHER(Copy)
FIBNLR_REF_LAUNCHER(Transpose)
FIBNLR_REF_LAUNCHER(Concat)
FIBNLR_REF_LAUNCHER(Split)
FIBNLR_REF_LAUNCHER(Slice)
FIBNLR_REF_LAUNCHER(Pad)
#undef FIBNLR_REF_LAUNCHER

} // namespace fibnlr
