#include "fibnlr/kernels/Kernel.hpp"
#include "fibnlr/kernels/cpu/Kernels.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Activation.hpp"
#include "fibnlr/operator/Reduce.hpp"

#include <cctype>

namespace fibnlr {

namespace {
std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}
} // namespace

const std::vector<KernelEntry>& kernelList() {
    static const std::vector<KernelEntry> list = [] {
        std::vector<KernelEntry> l{
            {"Conv", "ref", launchConvRef},
            {"Gemm", "ref", launchGemmRef},
            {"MatMul", "ref", launchMatMulRef},
            {"BatchNormalization", "ref", launchBatchNormRef},
            {"Add", "ref", launchBinaryRef},
            {"Sub", "ref", launchBinaryRef},
            {"Mul", "ref", launchBinaryRef},
            {"Div", "ref", launchBinaryRef},
            {"Sum", "ref", launchSumRef},
            {"LRN", "ref", launchLRNRef},
            {"Softmax", "ref", launchSoftmaxRef},
            {"MaxPool", "ref", launchMaxPoolRef},
            {"AveragePool", "ref", launchAveragePoolRef},
            {"GlobalAveragePool", "ref", launchGlobalPoolRef},
            {"GlobalMaxPool", "ref", launchGlobalPoolRef},
            {"Resize", "ref", launchResizeRef},
            {"PReLU", "ref", launchPReLURef},
            {"Flatten", "ref", launchCopyRef},
            {"Reshape", "ref", launchCopyRef},
            {"Squeeze", "ref", launchCopyRef},
            {"Unsqueeze", "ref", launchCopyRef},
            {"Transpose", "ref", launchTransposeRef},
            {"Concat", "ref", launchConcatRef},
            {"Split", "ref", launchSplitRef},
            {"Slice", "ref", launchSliceRef},
            {"Pad", "ref", launchPadRef},
            // Steps of compiled plans (operator/Fused.hpp): a producer + its activation.
            {"FusedConv", "ref", launchFusedRef},
            {"FusedGemm", "ref", launchFusedRef},
            {"FusedBatchNormalization", "ref", launchFusedRef},
            {"FusedAdd", "ref", launchFusedRef},
            {"FusedSub", "ref", launchFusedRef},
            {"FusedMul", "ref", launchFusedRef},
            {"FusedDiv", "ref", launchFusedRef},
            {"FusedSum", "ref", launchFusedRef},

            // Fast CPU kernels. Per (op, "cpu") the first entry whose predicate
            // accepts the shapes wins; others fall back to "ref". Every entry is
            // tested against the ref kernel (unit_test/kernels/cpu/).
            {"Conv", "cpu", launchDwConvInterleavedCpu, "dwconv2d_f32_interleaved", supportsDwConvInterleaved},
            {"Conv", "cpu", launchDwConvCpu, "dwconv2d_f32_direct", supportsDwConv2d},
            {"Conv", "cpu", launchConvDirectCpu, "conv2d_f32_direct", supportsConvDirect},
            {"Conv", "cpu", launchWinograd4Cpu, "conv2d_f32_winograd4", supportsWinograd4},
            {"Conv", "cpu", launchWinogradCpu, "conv2d_f32_winograd", supportsWinograd},
            {"Conv", "cpu", launchConvPointwiseCpu, "conv2d_f32_pointwise", supportsConvPointwise},
            {"Conv", "cpu", launchConvPackedCpu, "conv2d_f32_packed", supportsConvPacked},
            {"Conv", "cpu", launchConvCpu, "conv2d_f32_im2col", supportsConv2d},
            {"FusedConv", "cpu", launchDwConvInterleavedCpu, "dwconv2d_f32_interleaved_act", supportsDwConvInterleaved},
            {"FusedConv", "cpu", launchDwConvCpu, "dwconv2d_f32_direct_act", supportsDwConv2d},
            {"FusedConv", "cpu", launchConvDirectCpu, "conv2d_f32_direct_act", supportsConvDirect},
            {"FusedConv", "cpu", launchWinograd4Cpu, "conv2d_f32_winograd4_act", supportsWinograd4},
            {"FusedConv", "cpu", launchWinogradCpu, "conv2d_f32_winograd_act", supportsWinograd},
            {"FusedConv", "cpu", launchConvPointwiseCpu, "conv2d_f32_pointwise_act", supportsConvPointwise},
            {"FusedConv", "cpu", launchConvPackedCpu, "conv2d_f32_packed_act", supportsConvPacked},
            {"FusedConv", "cpu", launchConvCpu, "conv2d_f32_im2col_act", supportsConv2d},
            {"Gemm", "cpu", launchGemmCpu, "gemm_f32_sgemm"},
            {"FusedGemm", "cpu", launchGemmCpu, "gemm_f32_sgemm_act"},
            {"MatMul", "cpu", launchMatMulCpu, "matmul_f32_sgemm"},
            {"BatchNormalization", "cpu", launchBatchNormCpu, "batchnorm_f32_affine"},
            {"FusedBatchNormalization", "cpu", launchBatchNormCpu, "batchnorm_f32_affine_act"},
            {"Add", "cpu", launchBinaryCpu, "add_f32_bcast"},
            {"Sub", "cpu", launchBinaryCpu, "sub_f32_bcast"},
            {"Mul", "cpu", launchBinaryCpu, "mul_f32_bcast"},
            {"Div", "cpu", launchBinaryCpu, "div_f32_bcast"},
            {"Sum", "cpu", launchSumCpu, "sum_f32_bcast"},
            {"FusedAdd", "cpu", launchBinaryCpu, "add_f32_bcast_act"},
            {"FusedSub", "cpu", launchBinaryCpu, "sub_f32_bcast_act"},
            {"FusedMul", "cpu", launchBinaryCpu, "mul_f32_bcast_act"},
            {"FusedDiv", "cpu", launchBinaryCpu, "div_f32_bcast_act"},
            {"FusedSum", "cpu", launchSumCpu, "sum_f32_bcast_act"},
            {"MaxPool", "cpu", launchMaxPoolCpu, "maxpool2d_f32_direct", supportsPool2d},
            {"AveragePool", "cpu", launchAveragePoolCpu, "avgpool2d_f32_direct", supportsPool2d},
            {"GlobalAveragePool", "cpu", launchGlobalAveragePoolCpu, "globalavgpool_f32_simd"},
            {"GlobalMaxPool", "cpu", launchGlobalMaxPoolCpu, "globalmaxpool_f32_direct"},
            {"PReLU", "cpu", launchPReLUCpu, "prelu_f32_simd_perchannel", supportsPReLUPerChannel},
            {"Resize", "cpu", launchResizeCpu, "resize2d_f32_separable", supportsResizeSpatial},
            {"Concat", "cpu", launchConcatCpu, "concat_f32_memcpy"},
            {"Softmax", "cpu", launchSoftmaxCpu, "softmax_f32_lastaxis", supportsSoftmaxLastAxis},
        };
        // Every activation of the list (operator/Activation.hpp): the ref formula, and the
        // fast one of the SIMD tables ("relu_f32_simd", ...). Identity and Dropout are
        // views in compiled plans (Scheduler.cpp): their cpu kernel copies only when the
        // output could not share the input's buffer (a graph input or a weight as source).
#define FIBNLR_X(Class, Name, Kind)                                                                 \
    l.push_back({Name, "ref", launchReduceRef});                                                    \
    l.push_back({Name, "cpu", launchReduceCpu, lower(Name) + "_f32_rows", supportsReduceSuffix});
        FIBNLR_REDUCTIONS(FIBNLR_X)
#undef FIBNLR_X
        for (const std::string& type : activationTypes()) {
            l.push_back({type, "ref", launchUnaryRef});
            if (type == "Identity" || type == "Dropout") {
                l.push_back({type, "cpu", launchCopyRef, lower(type) + "_f32_view"});
                continue;
            }
            l.push_back({type, "cpu", launchUnaryCpu, lower(type) + "_f32_simd"});
        }
        return l;
    }();
    return list;
}

KernelFn findKernel(const std::string& opType, const std::string& backend) {
    KernelFn fallback = nullptr;
    for (const KernelEntry& k : kernelList()) {
        if (k.opType != opType || k.supports) continue;
        if (k.backend == backend) return k.fn;
        if (k.backend == "ref" && !fallback) fallback = k.fn;
    }
    return fallback;
}

const KernelEntry* selectKernel(const Operator& op, const std::vector<Shape>& inputs, const std::string& backend) {
    const std::string type = op.type();
    const KernelEntry* fallback = nullptr;
    for (const KernelEntry& k : kernelList()) {
        if (k.opType != type) continue;
        if (k.backend == backend && (!k.supports || k.supports(op, inputs))) return &k;
        if (k.backend == "ref" && !fallback) fallback = &k;
    }
    return fallback;
}

} // namespace fibnlr
