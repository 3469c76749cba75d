#include "fibnlr/kernels/Kernel.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"

namespace fibnlr {

const std::vector<KernelEntry>& kernelList() {
    static const std::vector<KernelEntry> list{
        {"Conv", "ref", launchConvRef},
        {"Gemm", "ref", launchGemmRef},
        {"MatMul", "ref", launchMatMulRef},
        {"BatchNormalization", "ref", launchBatchNormRef},
        {"ReLU", "ref", launchUnaryRef},
        {"LeakyReLU", "ref", launchUnaryRef},
        {"GELU", "ref", launchUnaryRef},
        {"Clip", "ref", launchUnaryRef},
        {"Sigmoid", "ref", launchUnaryRef},
        {"HardSigmoid", "ref", launchUnaryRef},
        {"HardSwish", "ref", launchUnaryRef},
        {"Tanh", "ref", launchUnaryRef},
        {"Identity", "ref", launchUnaryRef},
        {"Dropout", "ref", launchUnaryRef},
        {"Add", "ref", launchBinaryRef},
        {"Sub", "ref", launchBinaryRef},
        {"Mul", "ref", launchBinaryRef},
        {"Div", "ref", launchBinaryRef},
        {"Sum", "ref", launchSumRef},
        {"LRN", "ref", launchLRNRef},
        {"Softmax", "ref", launchSoftmaxRef},
        {"MaxPool", "ref", launchMaxPoolRef},
        {"AveragePool", "ref", launchAveragePoolRef},
        {"GlobalAveragePool", "ref", launchGlobalAveragePoolRef},
        {"ReduceMean", "ref", launchReduceMeanRef},
        {"Flatten", "ref", launchCopyRef},
        {"Reshape", "ref", launchCopyRef},
        {"Squeeze", "ref", launchCopyRef},
        {"Unsqueeze", "ref", launchCopyRef},
        {"Transpose", "ref", launchTransposeRef},
        {"Concat", "ref", launchConcatRef},
        {"Split", "ref", launchSplitRef},
        {"Slice", "ref", launchSliceRef},
        {"Pad", "ref", launchPadRef},
    };
    return list;
}

KernelFn findKernel(const std::string& opType, const std::string& backend) {
    KernelFn fallback = nullptr;
    for (const KernelEntry& k : kernelList()) {
        if (k.opType != opType) continue;
        if (k.backend == backend) return k.fn;
        if (k.backend == "ref") fallback = k.fn;
    }
    return fallback;
}

} // namespace fibnlr
