#pragma once
#include <string>
#include <vector>

#include "fibnlr/data/Tensor.hpp"
#include "fibnlr/operator/Operator.hpp"

namespace fibnlr {

/// Runs one operator: reads `inputs` (null for an absent optional input) and
/// writes `outputs`, already allocated with the inferred shapes. Kernels do
/// not allocate and do not validate user input (the shape rules did); they
/// only assert.
using KernelFn = void (*)(const Operator& op, const std::vector<const Tensor*>& inputs,
                          const std::vector<Tensor*>& outputs);

/// Whether a kernel variant handles `op` on inputs of these shapes (an absent
/// optional input has an empty shape). Null in a KernelEntry: every case.
using KernelSupportsFn = bool (*)(const Operator& op, const std::vector<Shape>& inputs);

/// One kernel. The list is ordered: for an (opType, backend) the first entry
/// whose `supports` accepts the case is used, so specialised variants come
/// before the general one of the same op.
struct KernelEntry {
    std::string opType;
    std::string backend;  ///< "ref" (naive oracle) or "cpu" (fast)
    KernelFn fn;
    std::string name = {};               ///< <op>_<dtype>_<variant>, e.g. conv2d_f32_im2col
    KernelSupportsFn supports = nullptr;  ///< null: handles every case of opType
};

/// Every kernel, in one list (kernels/KernelList.cpp); drives dispatch and tests.
const std::vector<KernelEntry>& kernelList();

/// The kernel for `opType` on `backend` that handles every case (no
/// `supports` predicate), falling back to "ref"; null when none.
KernelFn findKernel(const std::string& opType, const std::string& backend);

/// The first entry for op.type() on `backend` whose `supports` accepts these
/// input shapes, falling back to the "ref" entry; null when none.
const KernelEntry* selectKernel(const Operator& op, const std::vector<Shape>& inputs, const std::string& backend);

} // namespace fibnlr
