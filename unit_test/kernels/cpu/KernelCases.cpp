#include "KernelCases.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <set>

#include "fibnlr/kernels/Counting.hpp"
#include "fibnlr/kernels/Kernel.hpp"
#include "fibnlr/kernels/cpu/Micro.hpp"
#include "fibnlr/kernels/cpu/ThreadPool.hpp"
#include "fibnlr/operator/Fused.hpp"
#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Reduce.hpp"

namespace fibnlr::test {

namespace {

using Ints = std::vector<std::int64_t>;

/// Uniform in [lo, hi), fixed seed per tensor shape and salt.
Tensor rnd(Shape dims, float lo = -1.f, float hi = 1.f, unsigned salt = 0) {
    Tensor t(dims);
    std::mt19937 gen(static_cast<unsigned>(t.size() * 7919u + salt));
    std::uniform_real_distribution<float> d(lo, hi);
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] = d(gen);
    return t;
}

/// Attributes to test an activation with, where its defaults would leave a branch untested.
AttrList testAttrs(const std::string& type) {
    if (type == "LeakyReLU") return {{"alpha", 0.1f}};
    if (type == "Clip") return {{"min", 0.f}, {"max", 0.5f}};
    if (type == "HardSigmoid") return {{"alpha", 0.3f}, {"beta", 0.4f}};
    if (type == "ELU") return {{"alpha", 0.5f}};
    if (type == "CELU") return {{"alpha", 0.7f}};
    if (type == "SELU") return {{"alpha", 1.5f}, {"gamma", 1.2f}};
    return {};
}

/// Every activation of the list (operator/Activation.hpp) that computes
/// something, plus the variants whose attributes select another formula.
const std::vector<std::pair<std::string, OperatorPtr>>& activations() {
    static const std::vector<std::pair<std::string, OperatorPtr>> acts = [] {
        std::vector<std::pair<std::string, OperatorPtr>> out;
        for (const std::string& type : activationTypes()) {
            OperatorPtr op = makeOperator(type, testAttrs(type));
            Activation act;
            activationOf(*op, act);
            if (act.kind != ActKind::None) out.emplace_back(type, op);
        }
        out.emplace_back("GELU_tanh", makeOperator("GELU", {{"approximate", std::string("tanh")}}));
        return out;
    }();
    return acts;
}

/// Each case again wrapped in FusedOp with every activation.
std::vector<KernelCase> fusedVariants(const std::vector<KernelCase>& base) {
    std::vector<KernelCase> out;
    // Every case at least once and every activation at least once.
    for (std::size_t i = 0, n = std::max(base.size(), activations().size()); i < n; ++i) {
        const KernelCase& c = base[i % base.size()];
        const auto& [name, actOp] = activations()[i % activations().size()];
        Activation act;
        activationOf(*actOp, act);
        out.push_back({c.label + " + " + name, std::make_shared<FusedOp>(c.op, act), c.inputs});
    }
    return out;
}

struct ConvSpec {
    Shape x, w;
    Ints strides, pads, dilations;
    std::int64_t group;
    bool bias;
};

std::vector<KernelCase> convCases() {
    const std::vector<ConvSpec> specs{
        {{1, 13, 11, 9}, {127, 13, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, true},
        {{2, 13, 11, 9}, {7, 13, 3, 3}, {2, 2}, {1, 0, 2, 1}, {2, 2}, 1, true},
        {{3, 13, 7, 5}, {127, 13, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, false},
        {{2, 16, 9, 9}, {8, 16, 1, 1}, {2, 2}, {0, 0, 0, 0}, {1, 1}, 1, true},
        {{2, 12, 10, 10}, {9, 4, 3, 3}, {1, 2}, {1, 1, 1, 1}, {1, 1}, 3, true},
        {{9, 13, 4, 4}, {17, 13, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, true},
        {{1, 3, 37, 33}, {16, 3, 7, 7}, {2, 2}, {3, 3, 3, 3}, {1, 1}, 1, false},
        {{2, 13, 17, 15}, {13, 1, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 13, true},
        {{2, 13, 17, 15}, {13, 1, 3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 13, false},
        {{1, 127, 9, 9}, {127, 1, 5, 5}, {1, 1}, {4, 4, 4, 4}, {2, 2}, 127, true},
        {{2, 13, 8, 11}, {13, 1, 3, 1}, {1, 3}, {1, 0, 1, 0}, {1, 1}, 13, true},
        {{1, 5, 4, 2}, {5, 1, 3, 3}, {1, 1}, {2, 2, 2, 2}, {2, 2}, 5, true},        // narrower than the kernel
        {{2, 7, 9, 19}, {7, 1, 3, 3}, {2, 3}, {1, 0, 1, 2}, {1, 2}, 7, false},    // asymmetric pads, dilation
        {{2, 11, 10, 13}, {11, 1, 3, 3}, {2, 2}, {0, 1, 1, 0}, {1, 1}, 11, true},  // dw 3×3/2, asymmetric pads
        {{1, 5, 2, 1}, {5, 1, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 5, false},     // dw 3×3 on a map smaller than it
        {{2, 9, 7, 6}, {9, 1, 3, 3}, {1, 1}, {0, 2, 1, 0}, {1, 1}, 9, true},      // dw 3×3/1 as one line, asymmetric pads
        {{3, 4, 3, 3}, {4, 1, 3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 4, false},     // dw 3×3/1 unpadded, one output pixel
        {{1, 6, 4, 3}, {6, 1, 3, 3}, {1, 1}, {3, 0, 0, 2}, {1, 1}, 6, true},      // dw 3×3/1, pads wider than the rows read
        // dw 3×3 with rows of ≥ 48 outputs, read in place (vector interior, scalar padded edges, rows
        // outside the map as zeros); maps over 256 pixels (strided: 1024), so no SIMD path takes the
        // interleaved kernel.
        {{1, 3, 7, 50}, {3, 1, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 3, true},
        {{1, 4, 9, 60}, {4, 1, 3, 3}, {1, 1}, {0, 2, 1, 0}, {1, 1}, 4, false},   // two left edges, none right
        {{1, 2, 8, 50}, {2, 1, 3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 2, true},    // unpadded: no edge
        {{1, 2, 43, 97}, {2, 1, 3, 3}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 2, true},   // stride 2, odd width: a right edge
        {{1, 2, 44, 99}, {2, 1, 3, 3}, {2, 2}, {0, 0, 1, 1}, {1, 1}, 2, false},  // stride 2, end pads only
        // dwconv2d_f32_interleaved (≤ 256 output pixels, or strided ≤ 1024; C ≥ half a vector): three channel
        // blocks, the last partial on every SIMD path; strided and unpadded, so the last input row and column
        // are never read (the padded window is smaller than the map).
        {{3, 37, 7, 7}, {37, 1, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 37, true},
        {{2, 20, 9, 8}, {20, 1, 3, 3}, {2, 2}, {0, 0, 0, 0}, {1, 1}, 20, false},
        {{2, 6, 9, 9}, {12, 1, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 6, true},  // depth multiplier 2: not "dw"
        {{2, 32, 40, 40}, {13, 32, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, true},  // several row blocks per image
        {{1, 16, 100, 100}, {13, 16, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, true},  // pointwise, blocks > 2048 floats
        {{1, 13, 7, 5}, {13, 13, 1, 1}, {1, 1}, {0, 0, 0, 1}, {1, 1}, 1, true},     // 1×1 with end padding
        {{2, 13, 1, 9}, {7, 13, 1, 1}, {1, 1}, {1, 0, 1, 2}, {1, 1}, 1, false},    // 1×1, pads only
        // Winograd-eligible (3×3, stride 1, ≥ 16 channels): F(4×4) with ≥ 64 4×4 tiles and
        // ≤ 256 input channels, else F(2×2) with ≥ 64 2×2 tiles. Odd output sizes,
        // asymmetric and no padding, several images per block, several tile-row blocks.
        {{9, 17, 7, 5}, {19, 17, 3, 3}, {1, 1}, {1, 0, 0, 2}, {1, 1}, 1, true},      // F2: 6×5 output, 36 F4 tiles
        {{16, 16, 5, 6}, {16, 16, 3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, false},    // F2, no padding
        {{17, 33, 4, 4}, {17, 33, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, true},     // F2, several images per item
        {{2, 257, 20, 20}, {16, 257, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, true},  // F2: > 256 channels; parallel items
        {{64, 16, 3, 3}, {21, 16, 3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, true},     // F4, one output pixel
        {{2, 16, 75, 71}, {16, 16, 3, 3}, {1, 1}, {2, 1, 1, 2}, {1, 1}, 1, true},    // F4, items in parallel at 3 threads
        {{3, 17, 18, 20}, {19, 17, 3, 3}, {1, 1}, {1, 0, 0, 2}, {1, 1}, 1, true},    // F4, 17×20: partial tiles both ways
        {{20, 16, 17, 16}, {16, 16, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, false},  // F4, images per item, partial chunk
        // conv2d_f32_direct (stride ≤ 2, group 1, 16 ≤ K ≤ 320, or more without Winograd): asymmetric pads,
        // dilation, 5×5, a 2×2 output, a one-row map, M not a multiple of MR, lines over several tiles.
        {{2, 5, 9, 11}, {13, 5, 3, 3}, {1, 1}, {1, 0, 2, 1}, {1, 1}, 1, true},
        {{1, 3, 17, 6}, {7, 3, 5, 5}, {1, 1}, {4, 2, 4, 2}, {2, 1}, 1, false},
        {{3, 16, 4, 4}, {25, 16, 3, 3}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, true},
        {{1, 20, 1, 40}, {12, 20, 1, 3}, {1, 1}, {0, 1, 0, 1}, {1, 1}, 1, true},
        {{1, 64, 7, 7}, {30, 64, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, false},
        {{2, 24, 15, 13}, {40, 24, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, true},
        // ... and K > 640 where Winograd does not apply: 3×3 with too few tiles, with M below and above
        // the packed kernel's 256 (M = 260, rows of 7), and a dense 5×5 (K = 1000) with asymmetric pads.
        {{1, 80, 7, 7}, {30, 80, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, true},
        {{1, 80, 7, 7}, {260, 80, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, false},
        {{2, 40, 9, 8}, {21, 40, 5, 5}, {1, 1}, {2, 1, 2, 2}, {1, 1}, 1, true},
        // ... and stride 2 (K ≤ 320) on phase planes: a 7×7 stem on odd sizes at batch 1 (few panels: row
        // blocks at 3 threads), asymmetric pads that leave the last input row and column unread, strides
        // (2, 1) with dilation 2 (every tap on one row phase), an even kernel, K = 320 with M over MR.
        {{1, 3, 23, 21}, {13, 3, 7, 7}, {2, 2}, {3, 3, 3, 3}, {1, 1}, 1, true},
        {{2, 16, 10, 9}, {20, 16, 3, 3}, {2, 2}, {1, 0, 0, 1}, {1, 1}, 1, false},
        {{1, 8, 11, 12}, {14, 8, 3, 3}, {2, 1}, {2, 1, 2, 1}, {2, 2}, 1, true},
        {{3, 6, 9, 7}, {9, 6, 4, 2}, {2, 2}, {1, 0, 2, 1}, {1, 1}, 1, true},
        {{1, 20, 8, 8}, {30, 20, 4, 4}, {2, 2}, {1, 1, 1, 1}, {1, 1}, 1, false},
        {{2, 40, 11, 9}, {27, 40, 3, 3}, {2, 2}, {1, 0, 1, 1}, {1, 1}, 1, true},  // K = 360 at batch > 1
        // conv2d_f32_pointwise (1×1 stride-1 unpadded group-1, ≥ 512 pixels in place, ≥ 24 channels out): maps whose
        // last tile is partial over or under half a tile on every SIMD path (667, 526 and 529 pixels),
        // M not a multiple of MR, K from 1 to 300 (several column blocks), several epilogue chunks per block.
        {{3, 13, 23, 29}, {50, 13, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, true},
        {{1, 300, 2, 263}, {24, 300, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, false},
        {{1, 1, 23, 23}, {37, 1, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, true},
        // Gathered at batch > 1 with ≤ 48 outputs on maps of ≥ 512 pixels: blocks across images of 667 and
        // 529 pixels.
        {{3, 13, 23, 29}, {25, 13, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, true},
        {{2, 1, 23, 23}, {37, 1, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, false},
        // Its gathered path (maps < 512 pixels, N·P ≥ 256, K ≥ 24): blocks that span images (7×7 and 13×14
        // maps), many 6-pixel images per block, a last block shorter than a tile, M not a multiple of MR,
        // 280 columns (N·P just above 256).
        {{11, 24, 7, 7}, {37, 24, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, true},
        {{5, 24, 7, 8}, {29, 24, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, false},
        {{3, 40, 13, 14}, {25, 40, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, false},
        {{90, 33, 2, 3}, {26, 33, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, true},
        // Strided 1×1 (projection shortcuts), gathered: stride 2 on odd maps (the last row and column
        // unread), strides (2, 3) with an end pad no tap reads, (2, 1) on one image of 20 rows of 26.
        {{3, 24, 27, 29}, {30, 24, 1, 1}, {2, 2}, {0, 0, 0, 0}, {1, 1}, 1, true},
        {{4, 25, 27, 29}, {26, 25, 1, 1}, {2, 3}, {0, 0, 0, 1}, {1, 1}, 1, false},
        {{1, 30, 40, 26}, {37, 30, 1, 1}, {2, 1}, {0, 0, 0, 0}, {1, 1}, 1, true},
        // Packed GEMM (conv2d_f32_packed: K = C/group·kh·kw ≥ 256 and M/group ≥ 256). M not a
        // multiple of MR, columns not a multiple of NR, K over one K block and not a multiple of it.
        {{1, 29, 5, 7}, {261, 29, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, true},     // K 261: two blocks of 131
        {{2, 300, 3, 5}, {256, 300, 1, 1}, {1, 1}, {0, 0, 0, 0}, {1, 1}, 1, false},  // 1×1 contiguous images, batch 2
        {{1, 40, 11, 9}, {270, 40, 3, 3}, {2, 1}, {1, 2, 0, 1}, {2, 1}, 1, true},    // strided, asymmetric pads, dilated
        {{3, 29, 13, 13}, {256, 29, 3, 3}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 1, false},  // 507 columns: 2 blocks across images
        {{1, 60, 4, 4}, {771, 20, 4, 4}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 3, true},     // 3 groups of 257 (units in parallel)
        {{1, 40, 4, 4}, {514, 20, 4, 4}, {1, 1}, {1, 1, 1, 1}, {1, 1}, 2, false},    // 2 groups (split over panels at 3 threads)
    };
    std::vector<KernelCase> cases;
    for (const ConvSpec& s : specs) {
        OperatorPtr op = makeOperator("Conv", {{"strides", s.strides}, {"pads", s.pads}, {"dilations", s.dilations},
                                               {"group", s.group}});
        cases.push_back({"Conv x" + toString(s.x) + " w" + toString(s.w) + " g" + std::to_string(s.group), op,
                         {rnd(s.x), rnd(s.w, -0.5f, 0.5f, 1), s.bias ? rnd({s.w[0]}, -1.f, 1.f, 2) : Tensor()}});
    }
    // The same geometries with a bias map B [M, *out] (a merged chain's f(0), added per position): every kernel variant.
    for (std::size_t i = 0, n = cases.size(); i < n; ++i) {
        const KernelCase& c = cases[i];
        const Shape y = c.op->inferShapes({c.inputs[0].dims(), c.inputs[1].dims()}).at(0);
        cases.push_back({c.label + " bias map", c.op,
                         {c.inputs[0], c.inputs[1], rnd(Shape(y.begin() + 1, y.end()), -1.f, 1.f, 3 + static_cast<unsigned>(i))}});
    }
    // 1-D conv.
    cases.push_back({"Conv 1-D", makeOperator("Conv", {{"pads", Ints{1, 1}}}), {rnd({2, 5, 20}), rnd({4, 5, 3}), Tensor()}});
    cases.push_back({"Conv 1-D packed", makeOperator("Conv", {{"pads", Ints{1, 1}}}), {rnd({2, 100, 20}), rnd({256, 100, 3}, -0.5f, 0.5f, 1), rnd({256})}});
    cases.push_back({"Conv 1-D direct", makeOperator("Conv", {{"pads", Ints{2, 1}}}), {rnd({2, 8, 50}), rnd({9, 8, 5}), rnd({9})}});
    cases.push_back({"Conv 1-D pointwise", makeOperator("Conv", {}), {rnd({2, 9, 600}), rnd({30, 9, 1}), rnd({30})}});
    cases.push_back({"Conv 1-D bias map", makeOperator("Conv", {{"pads", Ints{1, 1}}}), {rnd({2, 5, 20}), rnd({4, 5, 3}), rnd({4, 20})}});
    return cases;
}

std::vector<KernelCase> fusedConvCases() {
    std::vector<KernelCase> out = fusedVariants(convCases());
    // With a BatchNorm in the epilogue: inputs X, W, B, then scale, bias, mean, var (var > 0).
    std::size_t i = 0;
    for (const KernelCase& c : convCases()) {
        const std::size_t M = c.inputs[1].dim(0);
        Activation act;
        activationOf(*activations()[i++ % activations().size()].second, act);
        KernelCase k{c.label + " + BN", std::make_shared<FusedOp>(c.op, act, true, 1e-3f), c.inputs};
        for (unsigned s = 0; s < 3; ++s) k.inputs.push_back(rnd({M}, -1.f, 1.f, 10 + s));
        k.inputs.push_back(rnd({M}, 0.1f, 2.f, 20));
        out.push_back(k);
        // A fused PReLU (per-channel slopes, or one) after the conv, and after conv + BN on every other case.
        const bool perChannel = i % 2 == 0;
        const Tensor slope = rnd(perChannel ? Shape{M, 1, 1} : Shape{1}, -0.5f, 0.5f, 30);
        KernelCase pr{c.label + " + PReLU", std::make_shared<FusedOp>(c.op, Activation{ActKind::LeakyReLU}, false, 1e-5f, true),
                      c.inputs};
        pr.inputs.push_back(slope);
        out.push_back(pr);
        if (perChannel) {
            KernelCase bnPr{c.label + " + BN + PReLU",
                            std::make_shared<FusedOp>(c.op, Activation{ActKind::LeakyReLU}, true, 1e-3f, true), k.inputs};
            bnPr.inputs.push_back(slope);
            out.push_back(bnPr);
        }
    }
    return out;
}

std::vector<KernelCase> gemmCases() {
    std::vector<KernelCase> c;
    auto g = [](float alpha, float beta, std::int64_t ta, std::int64_t tb) {
        return makeOperator("Gemm", {{"alpha", alpha}, {"beta", beta}, {"transA", ta}, {"transB", tb}});
    };
    c.push_back({"Gemm C[N]", g(1.f, 1.f, 0, 0), {rnd({5, 13}), rnd({13, 127}), rnd({127})}});
    c.push_back({"Gemm transB C[M,1]", g(0.5f, 2.f, 0, 1), {rnd({5, 13}), rnd({127, 13}), rnd({5, 1})}});
    c.push_back({"Gemm transA scalar C", g(1.f, -1.f, 1, 0), {rnd({13, 3}), rnd({13, 7}), rnd({1})}});
    c.push_back({"Gemm no C", g(1.f, 1.f, 0, 1), {rnd({1, 13}), rnd({10, 13}), Tensor()}});
    c.push_back({"Gemm split columns", g(1.f, 1.f, 0, 1), {rnd({64, 512}), rnd({100, 512}), rnd({100})}});
    c.push_back({"Gemm split rows", g(1.f, 1.f, 0, 0), {rnd({300, 256}), rnd({256, 10}), rnd({10})}});
    c.push_back({"Gemm split rows, M > N", g(1.f, 1.f, 0, 0), {rnd({200, 300}), rnd({300, 64}), rnd({64})}});
    // One row (batch 1: a GEMV), from a transposed A, and split over columns at 3 threads (≥ 4e6 flops).
    c.push_back({"Gemm one row transA", g(0.5f, 2.f, 1, 0), {rnd({13, 1}), rnd({13, 127}), rnd({127})}});
    c.push_back({"Gemm one row split columns", g(1.f, 1.f, 0, 1), {rnd({1, 700}), rnd({3000, 700}), rnd({3000})}});
    return c;
}

std::vector<KernelCase> matmulCases() {
    std::vector<KernelCase> c;
    auto m = [] { return makeOperator("MatMul"); };
    c.push_back({"MatMul batched A, 2-D B", m(), {rnd({2, 3, 5, 13}), rnd({13, 7})}});
    c.push_back({"MatMul 1-D A", m(), {rnd({13}), rnd({13, 7})}});
    c.push_back({"MatMul 1-D B", m(), {rnd({5, 13}), rnd({13})}});
    c.push_back({"MatMul batch both", m(), {rnd({3, 5, 13}), rnd({3, 13, 7})}});
    c.push_back({"MatMul broadcast A", m(), {rnd({5, 13}), rnd({2, 13, 7})}});
    c.push_back({"MatMul large", m(), {rnd({64, 256}), rnd({256, 200})}});
    return c;
}

std::vector<KernelCase> batchNormCases() {
    std::vector<KernelCase> c;
    for (const Shape& x : {Shape{2, 13, 5, 7}, Shape{3, 127}, Shape{1, 13, 9}}) {
        const std::size_t C = x[1];
        c.push_back({"BN " + toString(x), makeOperator("BatchNormalization", {{"epsilon", 1e-3f}}),
                     {rnd(x), rnd({C}, -1.f, 1.f, 1), rnd({C}, -1.f, 1.f, 2), rnd({C}, -1.f, 1.f, 3),
                      rnd({C}, 0.1f, 2.f, 4)}});
    }
    return c;
}

std::vector<KernelCase> unaryCases(const std::string& type) {
    std::vector<KernelCase> c;
    std::vector<std::pair<std::string, OperatorPtr>> ops{{type, makeOperator(type, testAttrs(type))}};
    for (const auto& [name, op] : activations())
        if (op->type() == type && name != type) ops.emplace_back(name, op);  // attribute variants (GELU tanh)
    for (const auto& [name, op] : ops)
            for (const Shape& x : {Shape{2, 13, 7, 9}, Shape{127}, Shape{1, 3}}) {
                c.push_back({name + " " + toString(x), op, {rnd(x, -4.f, 4.f)}});
                // Saturated and overflowing branches (softplus switches formula at 20, eˣ overflows at 88).
                c.push_back({name + " wide " + toString(x), op, {rnd(x, -100.f, 100.f, 5)}});
            }
    return c;
}

std::vector<KernelCase> preluCases() {
    // Per channel in the layouts exporters write, one slope, and layouts only ref runs ([W] slopes, [H, W]).
    const std::vector<std::pair<Shape, Shape>> shapes{
        {{2, 13, 7, 9}, {13, 1, 1}}, {{2, 13, 7, 9}, {1, 13, 1, 1}}, {{3, 127}, {127}}, {{2, 13, 7, 9}, {1}},
        {{1, 3, 4097}, {3, 1}},      {{2, 5, 7, 9}, {9}},            {{2, 5, 7, 9}, {7, 9}}};
    std::vector<KernelCase> c;
    for (const auto& [x, s] : shapes)
        c.push_back({"PReLU " + toString(x) + " slope " + toString(s), makeOperator("PReLU"), {rnd(x), rnd(s, -0.5f, 0.5f, 1)}});
    Tensor nf = rnd({2, 3, 4, 4});
    nf.data<float>()[5] = std::numeric_limits<float>::quiet_NaN();
    nf.data<float>()[6] = -std::numeric_limits<float>::infinity();
    c.push_back({"PReLU non-finite", makeOperator("PReLU"), {nf, rnd({3, 1, 1}, 0.1f, 0.5f, 1)}});
    return c;
}

std::vector<KernelCase> reduceCases(const std::string& type) {
    // Suffix reductions (the cpu kernel), then one over a middle axis that only ref runs.
    const std::vector<std::pair<Ints, std::int64_t>> specs{{{2, 3}, 1}, {{1, 2, 3}, 0}, {{}, 1}, {{-1}, 0}, {{1}, 1}};
    std::vector<KernelCase> c;
    for (const auto& [axes, keep] : specs)
        c.push_back({type + " axes " + std::to_string(axes.size()) + " keepdims " + std::to_string(keep),
                     makeOperator(type, {{"axes", axes}, {"keepdims", keep}}), {rnd({2, 13, 7, 9})}});
    Tensor nf = rnd({3, 5, 33});
    nf.data<float>()[40] = std::numeric_limits<float>::quiet_NaN();
    nf.data<float>()[100] = std::numeric_limits<float>::infinity();
    c.push_back({type + " non-finite rows", makeOperator(type, {{"axes", Ints{2}}}), {nf}});
    Tensor big = rnd({2, 3, 4097}, 3e37f, 3.4e38f);  // float row sums overflow: the double fallback
    c.push_back({type + " overflowing sums", makeOperator(type, {{"axes", Ints{2}}}), {big}});
    return c;
}

std::vector<KernelCase> resizeCases() {
    using Floats = std::vector<float>;
    auto op = [](const char* mode, const char* transform, const char* rounding, AttrList size) {
        size.emplace_back("mode", std::string(mode));
        size.emplace_back("coordinate_transformation_mode", std::string(transform));
        size.emplace_back("nearest_mode", std::string(rounding));
        return makeOperator("Resize", size);
    };
    std::vector<KernelCase> c{
        {"nearest asymmetric floor x2", op("nearest", "asymmetric", "floor", {{"scales", Floats{1, 1, 2, 2}}}), {rnd({2, 13, 7, 9})}},
        {"nearest half_pixel ties", op("nearest", "half_pixel", "round_prefer_ceil", {{"sizes", Ints{2, 13, 10, 4}}}), {rnd({2, 13, 7, 9})}},
        {"linear pytorch_half_pixel x1.5 x0.5", op("linear", "pytorch_half_pixel", "floor", {{"scales", Floats{1, 1, 1.5f, 0.5f}}}), {rnd({2, 5, 7, 9})}},
        {"linear align_corners to 13x1", op("linear", "align_corners", "floor", {{"sizes", Ints{1, 3, 13, 1}}}), {rnd({1, 3, 4, 5})}},
        {"linear half_pixel 3-D", op("linear", "half_pixel", "floor", {{"scales", Floats{1, 1, 2.5f}}}), {rnd({2, 3, 17})}},
        {"linear asymmetric down", op("linear", "asymmetric", "floor", {{"scales", Floats{1, 1, 0.3f, 0.7f}}}), {rnd({1, 2, 33, 31})}},
        {"nearest resizing channels (ref only)", op("nearest", "asymmetric", "floor", {{"scales", Floats{1, 2, 1, 1}}}), {rnd({1, 3, 4, 4})}},
    };
    // Next to column 0, which output column 0 reads with weight 1 (and column 1 with weight 0):
    // a zero weight must not turn Inf or NaN into the output.
    Tensor nf = rnd({1, 2, 5, 5});
    nf.data<float>()[1] = std::numeric_limits<float>::infinity();
    nf.data<float>()[26] = std::numeric_limits<float>::quiet_NaN();
    c.push_back({"linear non-finite", op("linear", "half_pixel", "floor", {{"scales", Floats{1, 1, 2, 2}}}), {nf}});
    return c;
}

std::vector<KernelCase> binaryCases(const std::string& type) {
    const std::vector<std::pair<Shape, Shape>> shapes{
        {{2, 13, 7, 9}, {2, 13, 7, 9}}, {{2, 13, 7, 9}, {13, 1, 1}}, {{2, 13, 1, 1}, {2, 13, 7, 9}},
        {{2, 13, 7, 9}, {}},            {{127}, {1}},                {{2, 13, 7, 9}, {9}},
        {{2, 1, 7, 1}, {1, 13, 1, 9}},  {{1}, {1}},                  {{3, 4097}, {3, 4097}},
    };
    std::vector<KernelCase> c;
    for (const auto& [a, b] : shapes)
        c.push_back({type + " " + toString(a) + " " + toString(b), makeOperator(type),
                     {rnd(a), type == "Div" ? rnd(b, 0.5f, 2.f, 1) : rnd(b, -1.f, 1.f, 1)}});
    // Non-finite values: never in the masses, counted apart (fused statistics).
    Tensor nf = rnd({2, 13, 7, 9});
    nf.data<float>()[3] = std::numeric_limits<float>::infinity();
    nf.data<float>()[500] = -std::numeric_limits<float>::infinity();
    nf.data<float>()[77] = std::numeric_limits<float>::quiet_NaN();
    c.push_back({type + " non-finite", makeOperator(type), {nf, rnd({13, 1, 1}, 0.5f, 2.f, 1)}});
    return c;
}

std::vector<KernelCase> sumCases() {
    std::vector<KernelCase> c;
    c.push_back({"Sum 1", makeOperator("Sum", {}, 1), {rnd({2, 13, 5})}});
    c.push_back({"Sum 2 bcast", makeOperator("Sum", {}, 2), {rnd({2, 13, 5}), rnd({13, 1}, -1.f, 1.f, 1)}});
    c.push_back({"Sum 3 bcast", makeOperator("Sum", {}, 3), {rnd({13, 1}), rnd({2, 13, 5}, -1.f, 1.f, 1), rnd({5}, -1.f, 1.f, 2)}});
    return c;
}

std::vector<KernelCase> poolCases(const std::string& type) {
    struct P {
        Shape x;
        Ints k, s, pads, dil;
        std::int64_t ceil, countPad;
    };
    const std::vector<P> ps{
        {{2, 13, 11, 9}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 0, 0},
        {{2, 13, 11, 9}, {3, 3}, {2, 2}, {1, 1, 1, 1}, {}, 0, 1},
        {{1, 13, 8, 8}, {2, 2}, {2, 2}, {0, 0, 0, 0}, {}, 0, 0},
        {{2, 5, 12, 13}, {3, 2}, {1, 1}, {1, 0, 1, 1}, {2, 1}, 0, 0},
        {{2, 5, 12, 13}, {3, 3}, {2, 2}, {0, 0, 0, 0}, {}, 1, 1},
        {{2, 5, 12, 13}, {3, 3}, {2, 2}, {1, 1, 0, 0}, {}, 1, 0},
        {{2, 5, 20}, {3}, {2}, {1, 1}, {}, 0, 0},
        // 3×3 undilated max (one pass per row over a padded copy): stride 1 with asymmetric pads, stride 3.
        {{2, 7, 9, 10}, {3, 3}, {1, 1}, {1, 0, 0, 2}, {}, 0, 0},
        {{1, 3, 13, 14}, {3, 3}, {3, 3}, {0, 1, 2, 1}, {}, 1, 0},
    };
    std::vector<KernelCase> c;
    for (const P& p : ps) {
        AttrList a{{"kernel_shape", p.k}, {"strides", p.s}, {"pads", p.pads}, {"ceil_mode", p.ceil}};
        if (type == "MaxPool") {
            if (!p.dil.empty()) a.push_back({"dilations", p.dil});
        } else {
            if (!p.dil.empty()) continue;  // AveragePool has no dilations here
            a.push_back({"count_include_pad", p.countPad});
        }
        c.push_back({type + " x" + toString(p.x) + " k" + std::to_string(p.k[0]), makeOperator(type, a), {rnd(p.x)}});
    }
    if (type == "MaxPool") {
        // A NaN in plane 1 (it must win its windows), and plane 2 all −Inf (the lowest float, as ref and onnxruntime).
        Tensor x = rnd({1, 3, 7, 8});
        x.data<float>()[56 + 19] = std::numeric_limits<float>::quiet_NaN();
        for (std::size_t i = 112; i < 168; ++i) x.data<float>()[i] = -std::numeric_limits<float>::infinity();
        const AttrList a{{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}};
        c.push_back({"MaxPool 3x3/2 NaN and -Inf planes", makeOperator(type, a), {x}});
    }
    return c;
}

std::vector<KernelCase> globalPoolCases(const std::string& type) {
    std::vector<KernelCase> c;
    for (const Shape& x : {Shape{2, 13, 7, 9}, Shape{3, 127, 1, 1}, Shape{2, 5, 20}, Shape{1, 3, 33, 31}, Shape{2, 3, 7}})
        c.push_back({type + " " + toString(x), makeOperator(type), {rnd(x)}});
    Tensor nan = rnd({2, 3, 5, 5});
    nan.data<float>()[30] = std::numeric_limits<float>::quiet_NaN();  // plane 1 only
    c.push_back({type + " NaN in one plane", makeOperator(type), {nan}});
    return c;
}

std::vector<KernelCase> concatCases() {
    std::vector<KernelCase> c;
    c.push_back({"Concat axis 1", makeOperator("Concat", {{"axis", std::int64_t(1)}}, 3),
                 {rnd({2, 13, 5, 3}), rnd({2, 1, 5, 3}, -1.f, 1.f, 1), rnd({2, 127, 5, 3}, -1.f, 1.f, 2)}});
    c.push_back({"Concat axis 0", makeOperator("Concat", {{"axis", std::int64_t(0)}}, 2),
                 {rnd({1, 13, 5}), rnd({3, 13, 5}, -1.f, 1.f, 1)}});
    c.push_back({"Concat axis -1", makeOperator("Concat", {{"axis", std::int64_t(-1)}}, 2),
                 {rnd({2, 3, 5}), rnd({2, 3, 7}, -1.f, 1.f, 1)}});
    return c;
}

std::vector<KernelCase> softmaxCases() {
    std::vector<KernelCase> c;
    c.push_back({"Softmax [5,13]", makeOperator("Softmax"), {rnd({5, 13}, -5.f, 5.f)}});
    c.push_back({"Softmax [2,3,127] axis 2", makeOperator("Softmax", {{"axis", std::int64_t(2)}}), {rnd({2, 3, 127}, -5.f, 5.f)}});
    c.push_back({"Softmax [1,1000]", makeOperator("Softmax"), {rnd({1, 1000}, -20.f, 20.f)}});
    return c;
}

} // namespace

const std::map<std::string, CaseGenerator>& caseGenerators() {
    static const std::map<std::string, CaseGenerator> gens = [] {
        std::map<std::string, CaseGenerator> g{
        {"Conv", convCases},
        {"FusedConv", fusedConvCases},
        {"Gemm", gemmCases},
        {"FusedGemm", [] { return fusedVariants(gemmCases()); }},
        {"MatMul", matmulCases},
        {"BatchNormalization", batchNormCases},
        {"FusedBatchNormalization", [] { return fusedVariants(batchNormCases()); }},
        {"Add", [] { return binaryCases("Add"); }},
        {"Sub", [] { return binaryCases("Sub"); }},
        {"Mul", [] { return binaryCases("Mul"); }},
        {"Div", [] { return binaryCases("Div"); }},
        {"FusedAdd", [] { return fusedVariants(binaryCases("Add")); }},
        {"FusedSub", [] { return fusedVariants(binaryCases("Sub")); }},
        {"FusedMul", [] { return fusedVariants(binaryCases("Mul")); }},
        {"FusedDiv", [] { return fusedVariants(binaryCases("Div")); }},
        {"Sum", sumCases},
        {"FusedSum", [] { return fusedVariants(sumCases()); }},
        {"MaxPool", [] { return poolCases("MaxPool"); }},
        {"AveragePool", [] { return poolCases("AveragePool"); }},
        {"GlobalAveragePool", [] { return globalPoolCases("GlobalAveragePool"); }},
        {"GlobalMaxPool", [] { return globalPoolCases("GlobalMaxPool"); }},
        {"PReLU", preluCases},
        {"Resize", resizeCases},
        {"Concat", concatCases},
        {"Softmax", softmaxCases},
        };
        for (const std::string& type : activationTypes()) g[type] = [type] { return unaryCases(type); };
#define FIBNLR_X(Class, Name, Kind) g[Name] = [] { return reduceCases(Name); };
        FIBNLR_REDUCTIONS(FIBNLR_X)
#undef FIBNLR_X
        return g;
    }();
    return gens;
}

std::vector<std::string> simdPaths() {
    std::vector<std::string> paths{"cpu-generic"};
    if (microAvx2()) paths.push_back("cpu-avx2");
    if (microAvx512()) paths.push_back("cpu");
    return paths;
}

std::vector<std::string> checkAgainstRef(const std::string& opType) {
    const auto it = caseGenerators().find(opType);
    REQUIRE(it != caseGenerators().end());
    const std::vector<KernelCase> cases = it->second();
    REQUIRE(!cases.empty());
    const KernelFn ref = findKernel(opType, "ref");
    REQUIRE(ref != nullptr);
    const std::vector<std::string> paths = simdPaths();
    std::set<std::string> used;
    const std::size_t threadsBefore = numThreads();
    for (const KernelCase& c : cases) {
        std::vector<Shape> shapes;
        std::vector<const Tensor*> in;
        for (const Tensor& t : c.inputs) {
            shapes.push_back(t.empty() ? Shape{} : t.dims());
            in.push_back(t.empty() ? nullptr : &t);
        }
        const std::vector<Shape> outShapes = c.op->inferShapes(shapes);
        std::vector<Tensor> want;
        std::vector<Tensor*> wantPtr;
        for (const Shape& s : outShapes) want.emplace_back(s);
        for (Tensor& t : want) wantPtr.push_back(&t);
        ref(*c.op, in, wantPtr);
        for (const KernelEntry& k : kernelList()) {
            if (k.opType != opType || k.backend != "cpu" || (k.supports && !k.supports(*c.op, shapes))) continue;
            used.insert(k.name);
            // F(4×4, 3×3) Winograd rounds about 10× more than direct summation
            // (transform entries up to 8 and fractions down to 1/24): up to 3e-5
            // of the output's scale on these cases, against ~2e-6 for the others.
            const float tol = k.name.rfind("conv2d_f32_winograd4", 0) == 0 ? 1e-4f : 2e-5f;
            for (const std::string& path : paths)
                for (std::size_t threads : {1, 3}) {
                    setKernels(path);
                    setNumThreads(threads);
                    std::vector<Tensor> got;
                    std::vector<Tensor*> gotPtr;
                    for (const Shape& s : outShapes) got.emplace_back(s);
                    for (Tensor& t : got) gotPtr.push_back(&t);
                    k.fn(*c.op, in, gotPtr);
                    for (std::size_t o = 0; o < want.size(); ++o) {
                        float scale = 1.f, err = 0.f;
                        std::size_t nonFiniteMismatches = 0;  // NaN against a number, or different infinities
                        const float* w = want[o].data<float>();
                        const float* g = got[o].data<float>();
                        for (std::size_t i = 0; i < want[o].size(); ++i) {
                            if (!std::isfinite(w[i]) || !std::isfinite(g[i])) {
                                const bool same = (std::isnan(w[i]) && std::isnan(g[i])) || w[i] == g[i];
                                nonFiniteMismatches += same ? 0 : 1;
                                continue;
                            }
                            scale = std::max(scale, std::fabs(w[i]));
                            err = std::max(err, std::fabs(w[i] - g[i]));
                        }
                        INFO(k.name << " on " << c.label << ", path " << path << ", " << threads << " threads");
                        CHECK(err <= tol * scale);
                        CHECK(nonFiniteMismatches == 0);
                    }
                }
        }
    }
    setKernels("cpu");
    setNumThreads(threadsBefore);
    return {used.begin(), used.end()};
}

namespace {
/// A fused kernel asked for statistics (FusedOp::withStats) writes exactly
/// the same output, and its statistics equal counting the pre-activation
/// tensor (the same kernel with no activation) with the reference counter:
/// masses to 1e-9 relative (double accumulation, another order), flags and
/// non-finite count exact.
void checkEpilogueStats(const std::string& opType) {
    for (const KernelCase& c : caseGenerators().at(opType)()) {
        const auto* f = dynamic_cast<const FusedOp*>(c.op.get());
        REQUIRE(f);
        std::vector<Shape> shapes;
        std::vector<const Tensor*> in;
        for (const Tensor& t : c.inputs) {
            shapes.push_back(t.empty() ? Shape{} : t.dims());
            in.push_back(t.empty() ? nullptr : &t);
        }
        const Shape outShape = c.op->inferShapes(shapes)[0];
        const std::size_t C = outShape.size() >= 2 ? outShape[1] : 1, outer = outShape.size() >= 2 ? outShape[0] : 1;
        const std::size_t inner = numElements(outShape) / (outer * C);
        auto stats = std::make_shared<EpilogueStats>();
        const auto counting = f->withStats(stats);
        const FusedOp noAct(f->base().clone(), Activation{}, f->hasBatchNorm(), f->epsilon());
        for (const KernelEntry& k : kernelList()) {
            if (k.opType != opType || k.backend != "cpu" || (k.supports && !k.supports(*c.op, shapes))) continue;
            for (const std::string& path : simdPaths()) {
                setKernels(path);
                Tensor y1(outShape), y2(outShape), y0(outShape);
                stats->reset(C);
                k.fn(*counting, in, {&y1});
                k.fn(*c.op, in, {&y2});
                k.fn(noAct, in, {&y0});
                INFO(k.name << " on " << c.label << ", path " << path);
                // Bit for bit (NaN inputs stay NaN through every activation, and NaN != NaN).
                CHECK(std::memcmp(y1.data<float>(), y2.data<float>(), y1.nbBytes()) == 0);
                SignCounts want;
                std::vector<std::uint8_t> alive(C, 0);
                countSigns_f32_ref(y0.data<float>(), outer, C, inner, alive.data(), want);
                CHECK(std::fabs(stats->neg - want.neg) <= 1e-9 * want.neg);
                CHECK(std::fabs(stats->pos - want.pos) <= 1e-9 * want.pos);
                CHECK(stats->nonFinite == want.nonFinite);
                CHECK(stats->alive == alive);
            }
        }
    }
    setKernels("cpu");
}
} // namespace

const std::map<std::string, std::vector<std::string>>& cpuTestAreas() {
    static const std::map<std::string, std::vector<std::string>> areas = [] {
        std::map<std::string, std::vector<std::string>> a{
            {"Conv", {"Conv", "FusedConv"}},
            {"Gemm", {"Gemm", "FusedGemm", "MatMul"}},
            {"Elementwise", {"BatchNormalization", "FusedBatchNormalization", "Add", "Sub", "Mul", "Div", "FusedAdd",
                             "FusedSub", "FusedMul", "FusedDiv", "Sum", "FusedSum", "PReLU"}},
            {"Pool", {"MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool"}},
            {"Resize", {"Resize"}},
            {"Layout", {"Concat", "Softmax"}},
        };
        for (const std::string& type : activationTypes()) a["Elementwise"].push_back(type);
#define FIBNLR_X(Class, Name, Kind) a["Pool"].push_back(Name);
        FIBNLR_REDUCTIONS(FIBNLR_X)
#undef FIBNLR_X
        return a;
    }();
    return areas;
}

void checkArea(const std::string& area) { checkAllEntries(cpuTestAreas().at(area)); }

void checkAllEntries(const std::vector<std::string>& opTypes) {
    for (const std::string& type : opTypes) {
        if (type.rfind("Fused", 0) == 0) checkEpilogueStats(type);
        const std::vector<std::string> used = checkAgainstRef(type);
        for (const KernelEntry& k : kernelList())
            if (k.opType == type && k.backend == "cpu") {
                INFO("kernel " << k.name << " (" << type << ") was reached by no test case");
                CHECK(std::find(used.begin(), used.end(), k.name) != used.end());
            }
    }
}

} // namespace fibnlr::test
