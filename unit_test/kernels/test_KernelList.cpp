#include <algorithm>
#include <catch2/catch.hpp>
#include <set>

#include "cpu/KernelCases.hpp"

#include "fibnlr/kernels/Kernel.hpp"
#include "fibnlr/operator/OperatorList.hpp"

using namespace fibnlr;

TEST_CASE("kernelList: every operator type but Producer and Input has a ref kernel", "[kernels]") {
    for (const std::string& type : operatorTypes()) {
        INFO(type);
        if (type == "Producer" || type == "Input") CHECK(findKernel(type, "ref") == nullptr);
        else CHECK(findKernel(type, "ref") != nullptr);
    }
    for (const KernelEntry& k : kernelList()) {
        INFO(k.opType << " on " << k.backend);
        CHECK(k.fn != nullptr);
        // "Fused<op>" are steps of compiled plans (operator/Fused.hpp), not user operators.
        const std::string base = k.opType.rfind("Fused", 0) == 0 ? k.opType.substr(5) : k.opType;
        CHECK(std::find(operatorTypes().begin(), operatorTypes().end(), base) != operatorTypes().end());
    }
}

TEST_CASE("findKernel: falls back to ref, null for an unknown type", "[kernels]") {
    REQUIRE(findKernel("Conv", "cpu") == findKernel("Conv", "ref"));
    REQUIRE(findKernel("Conv", "no-such-backend") == findKernel("Conv", "ref"));
    REQUIRE(findKernel("NoSuchOp", "ref") == nullptr);
}

TEST_CASE("every cpu kernel has a ref kernel and test cases", "[kernels]") {
    std::set<std::string> names;
    for (const KernelEntry& k : kernelList()) {
        if (k.backend != "cpu") continue;
        INFO(k.opType << " / " << k.name);
        CHECK(!k.name.empty());
        CHECK(names.insert(k.opType + "/" + k.name).second);
        CHECK(findKernel(k.opType, "ref") != nullptr);
        CHECK(test::caseGenerators().count(k.opType) == 1);
    }
}

TEST_CASE("every op type with a cpu kernel is checked against ref in exactly one test area", "[kernels]") {
    for (const KernelEntry& k : kernelList()) {
        if (k.backend != "cpu") continue;
        int areas = 0;
        for (const auto& [area, types] : test::cpuTestAreas()) areas += static_cast<int>(std::count(types.begin(), types.end(), k.opType));
        INFO(k.opType << " / " << k.name);
        CHECK(areas == 1);
    }
}

TEST_CASE("selectKernel picks the first supporting variant, then falls back to ref", "[kernels]") {
    // The name of the cpu kernel selected for `op` on `shapes` (there must be one).
    auto picked = [](const Operator& op, const std::vector<Shape>& shapes) {
        const KernelEntry* e = selectKernel(op, shapes, "cpu");
        REQUIRE(e);
        return e->name;
    };
    // Depthwise: interleaved on a small map (≤ 256 outputs) with enough channels, direct on a large one.
    OperatorPtr dw = makeOperator("Conv", {{"group", std::int64_t(64)}});
    CHECK(picked(*dw, {{1, 64, 5, 5}, {64, 1, 3, 3}, {}}) == "dwconv2d_f32_interleaved");
    CHECK(picked(*dw, {{1, 64, 40, 40}, {64, 1, 3, 3}, {}}) == "dwconv2d_f32_direct");
    OperatorPtr dense = makeOperator("Conv");
    CHECK(picked(*dense, {{1, 8, 5, 5}, {4, 8, 3, 3}, {}}) == "conv2d_f32_direct");  // stride 1, K = 72
    // Stride 2 on phase planes with 16 ≤ K ≤ 320: direct (a 7×7 ImageNet stem, K = 147); with K = 576
    // (a downsampling 3×3 of ResNet18), stride 3, one input channel (K = 9) and a 1×1 conv on a small
    // map: im2col.
    OperatorPtr strided = makeOperator("Conv", {{"strides", std::vector<std::int64_t>{2, 2}}});
    CHECK(picked(*strided, {{1, 8, 5, 5}, {4, 8, 3, 3}, {}}) == "conv2d_f32_direct");
    CHECK(picked(*strided, {{1, 3, 224, 224}, {64, 3, 7, 7}, {}}) == "conv2d_f32_direct");
    CHECK(picked(*strided, {{1, 64, 56, 56}, {128, 64, 3, 3}, {}}) == "conv2d_f32_im2col");
    CHECK(picked(*strided, {{8, 64, 56, 56}, {128, 64, 3, 3}, {}}) == "conv2d_f32_direct");  // K = 576 at batch > 1
    CHECK(picked(*strided, {{1, 64, 32, 32}, {128, 64, 3, 3}, {}}) == "conv2d_f32_direct");  // ... or on ≤ 256 outputs
    CHECK(picked(*strided, {{8, 128, 28, 28}, {256, 128, 3, 3}, {}}) != "conv2d_f32_direct");  // K = 1152
    CHECK(picked(*strided, {{1, 1, 28, 28}, {16, 1, 3, 3}, {}}) == "conv2d_f32_im2col");
    OperatorPtr stride3 = makeOperator("Conv", {{"strides", std::vector<std::int64_t>{3, 3}}});
    CHECK(picked(*stride3, {{1, 8, 9, 9}, {4, 8, 3, 3}, {}}) == "conv2d_f32_im2col");
    // A strided 1×1 conv (a ResNet shortcut) with N·P ≥ 512: the pointwise kernel's gathered path; on
    // fewer columns the packed GEMM (M and K ≥ 256) or im2col, and im2col with a begin pad.
    CHECK(picked(*strided, {{1, 64, 56, 56}, {128, 64, 1, 1}, {}}) == "conv2d_f32_pointwise");
    CHECK(picked(*strided, {{1, 256, 14, 14}, {512, 256, 1, 1}, {}}) == "conv2d_f32_packed");
    CHECK(picked(*strided, {{1, 64, 14, 14}, {128, 64, 1, 1}, {}}) == "conv2d_f32_im2col");
    OperatorPtr stridedPad = makeOperator("Conv", {{"strides", std::vector<std::int64_t>{2, 2}},
                                                   {"pads", std::vector<std::int64_t>{1, 1, 0, 0}}});
    CHECK(picked(*stridedPad, {{1, 64, 56, 56}, {128, 64, 1, 1}, {}}) == "conv2d_f32_im2col");
    CHECK(picked(*dense, {{1, 8, 5, 5}, {4, 8, 1, 1}, {}}) == "conv2d_f32_im2col");
    // A 1×1 conv on a map of ≥ 512 pixels with ≥ 24 outputs: the pointwise kernel.
    CHECK(picked(*dense, {{1, 8, 32, 32}, {24, 8, 1, 1}, {}}) == "conv2d_f32_pointwise");
    // Small maps at batch > 1 with K ≥ 24 (the gathered path) from 256 columns N·P; K = 16, batch 1 or
    // fewer columns: im2col.
    CHECK(picked(*dense, {{8, 24, 14, 14}, {24, 24, 1, 1}, {}}) == "conv2d_f32_pointwise");
    CHECK(picked(*dense, {{8, 576, 7, 7}, {160, 576, 1, 1}, {}}) == "conv2d_f32_pointwise");  // 392 columns
    CHECK(picked(*dense, {{5, 24, 7, 7}, {32, 24, 1, 1}, {}}) == "conv2d_f32_im2col");  // 245 columns
    CHECK(picked(*dense, {{8, 16, 14, 14}, {64, 16, 1, 1}, {}}) == "conv2d_f32_im2col");
    CHECK(picked(*dense, {{1, 24, 14, 14}, {24, 24, 1, 1}, {}}) == "conv2d_f32_im2col");
    // Many weights (K = 2304, M = 256), too few tiles for Winograd and rows of 2: the packed GEMM.
    CHECK(picked(*dense, {{1, 256, 4, 4}, {256, 256, 3, 3}, {}}) == "conv2d_f32_packed");
    // Large K without Winograd: the direct kernel where output rows are ≥ 7 wide or the packed GEMM does not
    // apply (M < 256), the packed GEMM on shorter rows (a 4×4 map).
    OperatorPtr same = makeOperator("Conv", {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
    CHECK(picked(*same, {{1, 512, 7, 7}, {512, 512, 3, 3}, {}}) == "conv2d_f32_direct");
    CHECK(picked(*same, {{1, 128, 4, 4}, {128, 128, 3, 3}, {}}) == "conv2d_f32_direct");
    CHECK(picked(*same, {{1, 256, 4, 4}, {256, 256, 3, 3}, {}}) == "conv2d_f32_packed");
    OperatorPtr five = makeOperator("Conv", {{"pads", std::vector<std::int64_t>{2, 2, 2, 2}}});
    CHECK(picked(*five, {{1, 64, 14, 14}, {64, 64, 5, 5}, {}}) == "conv2d_f32_direct");  // K = 1600 (a merged chain)
    // A 3-D conv has no cpu variant: the ref kernel runs it.
    const KernelEntry* k = selectKernel(*dense, {{1, 2, 4, 4, 4}, {3, 2, 3, 3, 3}, {}}, "cpu");
    REQUIRE(k);
    CHECK(k->backend == "ref");
    // Ops without a cpu kernel fall back to ref too.
    OperatorPtr lrn = makeOperator("LRN", {{"size", std::int64_t(3)}});
    k = selectKernel(*lrn, {{1, 4, 3, 3}}, "cpu");
    REQUIRE(k);
    CHECK(k->backend == "ref");
}
