#include "RefRun.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Conv.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
std::vector<float> iota(std::size_t n, float from = 1.f) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = from + static_cast<float>(i);
    return v;
}

/// Straightforward 2-D grouped convolution, written independently of the kernel's N-d index arithmetic.
std::vector<float> conv2d(const Tensor& x, const Tensor& w, const Tensor* b, std::size_t group, std::size_t sh,
                          std::size_t sw, std::size_t dh, std::size_t dw, int pt, int pl, std::size_t oh,
                          std::size_t ow) {
    const std::size_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    const std::size_t M = w.dim(0), cg = w.dim(1), KH = w.dim(2), KW = w.dim(3), mg = M / group;
    const float* xp = x.data<float>();
    const float* wp = w.data<float>();
    std::vector<float> y;
    for (std::size_t n = 0; n < N; ++n)
        for (std::size_t m = 0; m < M; ++m)
            for (std::size_t i = 0; i < oh; ++i)
                for (std::size_t j = 0; j < ow; ++j) {
                    double acc = b ? b->data<float>()[m] : 0.0;
                    for (std::size_t c = 0; c < cg; ++c)
                        for (std::size_t ki = 0; ki < KH; ++ki)
                            for (std::size_t kj = 0; kj < KW; ++kj) {
                                const int r = static_cast<int>(i * sh + ki * dh) - pt;
                                const int s = static_cast<int>(j * sw + kj * dw) - pl;
                                if (r < 0 || s < 0 || r >= static_cast<int>(H) || s >= static_cast<int>(W)) continue;
                                const std::size_t cin = (m / mg) * cg + c;
                                acc += xp[((n * C + cin) * H + r) * W + s] * wp[((m * cg + c) * KH + ki) * KW + kj];
                            }
                    y.push_back(static_cast<float>(acc));
                }
    return y;
}
} // namespace

TEST_CASE("Conv ref: hand-computed 2x2 kernel with bias", "[kernels][ref][Conv]") {
    // x = 1..9 in 3x3; y[i][j] = x[i][j]·1 + x[i][j+1]·2 + x[i+1][j]·3 + x[i+1][j+1]·4 + 0.5
    const Tensor y = runRef("Conv", {tensor({1, 1, 3, 3}, iota(9)), tensor({1, 1, 2, 2}, {1, 2, 3, 4}), tensor({1}, {0.5f})});
    requireTensor(y, {1, 1, 2, 2}, {37.5f, 47.5f, 67.5f, 77.5f});
}

TEST_CASE("Conv ref: padding, stride, asymmetric pads, dilation", "[kernels][ref][Conv]") {
    const Tensor x = tensor({1, 1, 3, 3}, iota(9));
    const Tensor ones3 = tensor({1, 1, 3, 3}, std::vector<float>(9, 1.f));
    SECTION("pads 1: sums of 3x3 neighbourhoods") {
        requireTensor(runRef("Conv", {x, ones3, Tensor()}, {{"pads", Ints{1, 1, 1, 1}}}), {1, 1, 3, 3},
                      {12, 21, 16, 27, 45, 33, 24, 39, 28});
    }
    SECTION("stride 2 keeps the corners") {
        requireTensor(runRef("Conv", {x, ones3}, {{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}}), {1, 1, 2, 2},
                      {12, 16, 24, 28});
    }
    SECTION("asymmetric pads: bottom and right only") {
        const Tensor ones2 = tensor({1, 1, 2, 2}, std::vector<float>(4, 1.f));
        requireTensor(runRef("Conv", {x, ones2}, {{"pads", Ints{0, 0, 1, 1}}}), {1, 1, 3, 3},
                      {12, 16, 9, 24, 28, 15, 15, 17, 9});
    }
    SECTION("dilation 2: taps on even rows and columns of a 5x5 input") {
        // x = r·5 + c; taps at r, c in {0, 2, 4}: 3·(0+2+4) + 5·3·(0+2+4) = 108
        requireTensor(runRef("Conv", {tensor({1, 1, 5, 5}, iota(25, 0.f)), ones3}, {{"dilations", Ints{2, 2}}}),
                      {1, 1, 1, 1}, {108});
    }
}

TEST_CASE("Conv ref: 1-D with two channels and asymmetric pads", "[kernels][ref][Conv]") {
    // channel 0 = 1..5 with w [1, 0, -1]; channel 1 = [1, -1, 1, -1, 1] with w [1, 1, 1]
    const Tensor x = tensor({1, 2, 5}, {1, 2, 3, 4, 5, 1, -1, 1, -1, 1});
    const Tensor w = tensor({1, 2, 3}, {1, 0, -1, 1, 1, 1});
    requireTensor(runRef("Conv", {x, w}), {1, 1, 3}, {-1, -3, -1});
    requireTensor(runRef("Conv", {x, w}, {{"pads", Ints{1, 0}}}), {1, 1, 4}, {-2, -1, -3, -1});
}

TEST_CASE("Conv ref: groups and depthwise against a direct 2-D loop", "[kernels][ref][Conv]") {
    struct Case {
        std::size_t n, c, m, group, h, w, kh, kw, sh, sw, dh, dw;
        std::int64_t pt, pl, pb, pr;
    };
    const Case cases[] = {
        {2, 13, 7, 1, 9, 11, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1},    // odd channels, same padding
        {1, 12, 9, 3, 10, 7, 3, 2, 2, 1, 1, 2, 1, 0, 2, 1},    // groups, stride, dilation, asymmetric pads
        {1, 13, 13, 13, 7, 9, 3, 3, 2, 2, 1, 1, 1, 1, 1, 1},   // depthwise, stride 2
        {2, 5, 10, 5, 6, 6, 3, 3, 1, 1, 2, 2, 2, 2, 2, 2},     // depthwise multiplier 2, dilation 2
        {1, 17, 3, 1, 5, 13, 1, 1, 1, 3, 1, 1, 0, 0, 0, 0},    // pointwise, stride on one axis
    };
    unsigned seed = 1;
    for (const Case& k : cases) {
        const Tensor x = randomTensor({k.n, k.c, k.h, k.w}, seed++);
        const Tensor w = randomTensor({k.m, k.c / k.group, k.kh, k.kw}, seed++);
        const Tensor b = randomTensor({k.m}, seed++);
        const AttrList attrs{{"group", static_cast<std::int64_t>(k.group)},
                             {"strides", Ints{static_cast<std::int64_t>(k.sh), static_cast<std::int64_t>(k.sw)}},
                             {"dilations", Ints{static_cast<std::int64_t>(k.dh), static_cast<std::int64_t>(k.dw)}},
                             {"pads", Ints{k.pt, k.pl, k.pb, k.pr}}};
        const Tensor y = runRef("Conv", {x, w, b}, attrs);
        const std::size_t oh = (k.h + k.pt + k.pb - (k.kh - 1) * k.dh - 1) / k.sh + 1;
        const std::size_t ow = (k.w + k.pl + k.pr - (k.kw - 1) * k.dw - 1) / k.sw + 1;
        INFO("case with " << k.c << " channels, group " << k.group);
        REQUIRE(y.dims() == Shape{k.n, k.m, oh, ow});
        requireClose(y.toVector<float>(),
                     conv2d(x, w, &b, k.group, k.sh, k.sw, k.dh, k.dw, static_cast<int>(k.pt), static_cast<int>(k.pl), oh, ow));
    }
}

TEST_CASE("conv_f32_ref: raw call through convParams, no bias", "[kernels][ref][Conv]") {
    ConvOp op;
    op.attrs.pads = {1, 1, 1, 1};
    const Tensor x = tensor({1, 1, 3, 3}, iota(9));
    const Tensor w = tensor({1, 1, 3, 3}, std::vector<float>(9, 1.f));
    const ConvParams p = convParams(op, x.dims(), w.dims());
    REQUIRE(p.outDims == Shape{3, 3});
    REQUIRE(p.padBegin == Shape{1, 1});
    std::vector<float> y(9);
    conv_f32_ref(p, x.data<float>(), w.data<float>(), nullptr, y.data());
    requireClose(y, {12, 21, 16, 27, 45, 33, 24, 39, 28});
}
