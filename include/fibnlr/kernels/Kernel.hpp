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

struct KernelEntry {
    std::string opType;
    std::string backend;  ///< "ref" (naive oracle) or "cpu" (fast)
    KernelFn fn;
};

/// Every kernel, in one list (kernels/KernelList.cpp); drives dispatch and tests.
const std::vector<KernelEntry>& kernelList();

/// The kernel for `opType` on `backend`, falling back to "ref"; null when none.
KernelFn findKernel(const std::string& opType, const std::string& backend);

} // namespace fibnlr
