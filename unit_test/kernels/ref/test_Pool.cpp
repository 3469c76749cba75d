#include <limits>

#include "RefRun.hpp"
#include "fibnlr/kernels/ref/Launchers.hpp"
#include "fibnlr/operator/Pool.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
const Tensor seq16 = [] {  // 4x4, values (7·i) mod 16 so maxima are not simply the last tap
    std::vector<float> v(16);
    for (std::size_t i = 0; i < 16; ++i) v[i] = static_cast<float>((7 * i) % 16);
    return tensor({1, 1, 4, 4}, v);
}();
const Tensor row5 = tensor({1, 1, 5}, {1, 2, 3, 4, 5});
} // namespace

TEST_CASE("MaxPool ref: hand-computed", "[kernels][ref][Pool]") {
    // seq16 = [0 7 14 5; 12 3 10 1; 8 15 6 13; 4 11 2 9]
    requireTensor(runRef("MaxPool", {seq16}, {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}), {1, 1, 2, 2},
                  {12, 14, 15, 13});
    SECTION("dilation 2: taps two apart") {
        requireTensor(runRef("MaxPool", {seq16}, {{"kernel_shape", Ints{2, 2}}, {"dilations", Ints{2, 2}}}),
                      {1, 1, 2, 2}, {14, 15, 12, 11});
    }
    SECTION("padding never wins, even over negative values") {
        std::vector<float> neg(16);
        for (std::size_t i = 0; i < 16; ++i) neg[i] = -1.f - static_cast<float>(i);
        const AttrList attrs{{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}};
        requireTensor(runRef("MaxPool", {tensor({1, 1, 4, 4}, neg)}, attrs), {1, 1, 2, 2}, {-1, -2, -5, -6});
    }
    SECTION("ceil mode keeps a clipped last window") {
        const Tensor x = tensor({1, 1, 5}, {-1, -5, -2, -4, -3});
        requireTensor(runRef("MaxPool", {x}, {{"kernel_shape", Ints{2}}, {"strides", Ints{2}}}), {1, 1, 2}, {-1, -2});
        requireTensor(runRef("MaxPool", {x}, {{"kernel_shape", Ints{2}}, {"strides", Ints{2}}, {"ceil_mode", std::int64_t{1}}}),
                      {1, 1, 3}, {-1, -2, -3});
    }
    SECTION("a window wholly in the padding gives the lowest float") {
        const Tensor y = runRef("MaxPool", {tensor({1, 1, 1}, {3})}, {{"kernel_shape", Ints{1}}, {"pads", Ints{1, 0}}});
        requireTensor(y, {1, 1, 2}, {std::numeric_limits<float>::lowest(), 3});
    }
}

TEST_CASE("AveragePool ref: count_include_pad", "[kernels][ref][Pool]") {
    const AttrList base{{"kernel_shape", Ints{3}}, {"pads", Ints{1, 1}}};
    AttrList incl = base;
    incl.emplace_back("count_include_pad", std::int64_t{1});
    requireTensor(runRef("AveragePool", {row5}, base), {1, 1, 5}, {1.5f, 2, 3, 4, 4.5f});
    requireTensor(runRef("AveragePool", {row5}, incl), {1, 1, 5}, {1, 2, 3, 4, 3});
    SECTION("2-D: corners divide by 4 or by 9") {
        const Tensor x = tensor({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
        requireTensor(runRef("AveragePool", {x}, {{"kernel_shape", Ints{2, 2}}}), {1, 1, 2, 2}, {3, 4, 6, 7});
        const AttrList pad{{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}};
        const Tensor y0 = runRef("AveragePool", {x}, pad);
        CHECK(y0.data<float>()[0] == Approx(12.0 / 4));
        CHECK(y0.data<float>()[1] == Approx(21.0 / 6));
        CHECK(y0.data<float>()[4] == Approx(5));
        AttrList padIncl = pad;
        padIncl.emplace_back("count_include_pad", std::int64_t{1});
        const Tensor y1 = runRef("AveragePool", {x}, padIncl);
        CHECK(y1.data<float>()[0] == Approx(12.0 / 9));
        CHECK(y1.data<float>()[1] == Approx(21.0 / 9));
    }
}

TEST_CASE("AveragePool ref: ceil mode clips the last window", "[kernels][ref][Pool]") {
    const AttrList k2s2{{"kernel_shape", Ints{2}}, {"strides", Ints{2}}, {"ceil_mode", std::int64_t{1}}};
    requireTensor(runRef("AveragePool", {row5}, k2s2), {1, 1, 3}, {1.5f, 3.5f, 5});
    // 6 values, kernel 3, stride 2, pads 1: windows over padded positions [0,3), [2,5), [4,7), [6,9);
    // the last covers x[5], the end pad and one position past it (clipped).
    const Tensor x = tensor({1, 1, 6}, {1, 2, 3, 4, 5, 6});
    AttrList attrs{{"kernel_shape", Ints{3}}, {"strides", Ints{2}}, {"pads", Ints{1, 1}}, {"ceil_mode", std::int64_t{1}}};
    requireTensor(runRef("AveragePool", {x}, attrs), {1, 1, 4}, {1.5f, 3, 5, 6});
    attrs.emplace_back("count_include_pad", std::int64_t{1});
    requireTensor(runRef("AveragePool", {x}, attrs), {1, 1, 4}, {1, 3, 5, 3});
}

TEST_CASE("Pool ref: awkward shapes against a direct loop", "[kernels][ref][Pool]") {
    // 13 channels, 10x11 input, kernel 3x2, stride 2x1, pads (1, 0, 1, 1), ceil mode.
    const std::size_t C = 13, H = 10, W = 11, KH = 3, KW = 2, SH = 2, SW = 1;
    const Tensor x = randomTensor({2, C, H, W}, 3);
    const AttrList common{{"kernel_shape", Ints{3, 2}}, {"strides", Ints{2, 1}}, {"pads", Ints{1, 0, 1, 1}},
                          {"ceil_mode", std::int64_t{1}}};
    const Tensor mx = runRef("MaxPool", {x}, common);
    const Tensor av = runRef("AveragePool", {x}, common);
    const std::size_t OH = 6, OW = 11;  // ceil((10 + 2 − 3) / 2) + 1, (11 + 1 − 2) / 1 + 1
    REQUIRE(mx.dims() == Shape{2, C, OH, OW});
    REQUIRE(av.dims() == mx.dims());
    std::vector<float> wantMax, wantAvg;
    for (std::size_t p = 0; p < 2 * C; ++p)
        for (std::size_t i = 0; i < OH; ++i)
            for (std::size_t j = 0; j < OW; ++j) {
                float m = -1e30f;
                double s = 0;
                int n = 0;
                for (std::size_t a = 0; a < KH; ++a)
                    for (std::size_t b = 0; b < KW; ++b) {
                        const int r = static_cast<int>(i * SH + a) - 1, c = static_cast<int>(j * SW + b);
                        if (r < 0 || r >= static_cast<int>(H) || c >= static_cast<int>(W)) continue;
                        const float v = x.data<float>()[(p * H + r) * W + c];
                        m = std::max(m, v);
                        s += v;
                        ++n;
                    }
                wantMax.push_back(m);
                wantAvg.push_back(static_cast<float>(s / n));
            }
    requireClose(mx.toVector<float>(), wantMax);
    requireClose(av.toVector<float>(), wantAvg);
}

TEST_CASE("maxpool_f32_ref / avgpool_f32_ref: raw calls through poolParams", "[kernels][ref][Pool]") {
    AveragePoolOp op;
    op.attrs.kernelShape = {2, 2};
    op.attrs.strides = {2, 2};
    PoolParams p = poolParams(op.window(seq16.dims()), seq16.dims());
    REQUIRE(p.outDims == Shape{2, 2});
    std::vector<float> y(4);
    maxpool_f32_ref(p, seq16.data<float>(), y.data());
    requireClose(y, {12, 14, 15, 13});
    avgpool_f32_ref(p, seq16.data<float>(), y.data());
    requireClose(y, {5.5f, 7.5f, 9.5f, 7.5f});
}

TEST_CASE("GlobalAveragePool ref", "[kernels][ref][Pool]") {
    requireTensor(runRef("GlobalAveragePool", {tensor({1, 2, 2, 2}, {1, 2, 3, 4, -1, -1, 5, 9})}), {1, 2, 1, 1}, {2.5f, 3});
    requireTensor(runRef("GlobalAveragePool", {row5}), {1, 1, 1}, {3});
    const Tensor x = randomTensor({3, 13, 5, 7}, 9);
    const Tensor y = runRef("GlobalAveragePool", {x});
    REQUIRE(y.dims() == Shape{3, 13, 1, 1});
    for (std::size_t p = 0; p < 39; ++p) {
        double s = 0;
        for (std::size_t i = 0; i < 35; ++i) s += x.data<float>()[p * 35 + i];
        REQUIRE(y.data<float>()[p] == Approx(s / 35).margin(1e-6));
    }
}

TEST_CASE("ReduceMean ref: axes and keepdims", "[kernels][ref][Pool]") {
    const Tensor x = tensor({2, 3}, {1, 2, 3, 4, 5, 6});
    requireTensor(runRef("ReduceMean", {x}, {{"axes", Ints{0}}}), {1, 3}, {2.5f, 3.5f, 4.5f});
    requireTensor(runRef("ReduceMean", {x}, {{"axes", Ints{-1}}, {"keepdims", std::int64_t{0}}}), {2}, {2, 5});
    requireTensor(runRef("ReduceMean", {x}), {1, 1}, {3.5f});
    requireTensor(runRef("ReduceMean", {x}, {{"keepdims", std::int64_t{0}}}), {}, {3.5f});
    SECTION("two non-adjacent axes of a 3-D tensor") {
        const Tensor t = randomTensor({3, 5, 7}, 4);
        const Tensor y = runRef("ReduceMean", {t}, {{"axes", Ints{2, 0}}, {"keepdims", std::int64_t{0}}});
        REQUIRE(y.dims() == Shape{5});
        for (std::size_t j = 0; j < 5; ++j) {
            double s = 0;
            for (std::size_t i = 0; i < 3; ++i)
                for (std::size_t k = 0; k < 7; ++k) s += t.data<float>()[(i * 5 + j) * 7 + k];
            REQUIRE(y.data<float>()[j] == Approx(s / 21).margin(1e-6));
        }
    }
}

TEST_CASE("ReduceMax, ReduceMin, ReduceSum ref: hand-computed, NaN wins in Max and Min", "[kernels][ref][Pool]") {
    const Tensor x = tensor({2, 3}, {1, -2, 3, 4, 5, -6});
    requireTensor(runRef("ReduceMax", {x}, {{"axes", Ints{0}}}), {1, 3}, {4, 5, 3});
    requireTensor(runRef("ReduceMin", {x}, {{"axes", Ints{1}}, {"keepdims", std::int64_t{0}}}), {2}, {-2, -6});
    requireTensor(runRef("ReduceSum", {x}), {1, 1}, {5});
    requireTensor(runRef("ReduceMax", {x}, {{"keepdims", std::int64_t{0}}}), {}, {5});
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (const char* type : {"ReduceMax", "ReduceMin"}) {
        INFO(type);
        // NaN first, in the middle, and last in its window; the other row has none.
        for (std::size_t at : {0, 1, 2}) {
            std::vector<float> v{1, 2, 3, 4, 5, 6};
            v[at] = nan;
            const std::vector<float> y = runRef(type, {tensor({2, 3}, v)}, {{"axes", Ints{1}}}).toVector<float>();
            CHECK(std::isnan(y[0]));
            CHECK(y[1] == (std::string(type) == "ReduceMax" ? 6.f : 4.f));
        }
    }
}

TEST_CASE("GlobalMaxPool ref", "[kernels][ref][Pool]") {
    requireTensor(runRef("GlobalMaxPool", {tensor({1, 2, 2, 2}, {1, 2, 3, 4, -1, -1, 5, 9})}), {1, 2, 1, 1}, {4, 9});
    requireTensor(runRef("GlobalMaxPool", {tensor({1, 1, 3}, {-3, -1, -2})}), {1, 1, 1}, {-1});
    const std::vector<float> y =
        runRef("GlobalMaxPool", {tensor({1, 2, 2}, {1, std::numeric_limits<float>::quiet_NaN(), 3, 4})}).toVector<float>();
    CHECK(std::isnan(y[0]));
    CHECK(y[1] == 4.f);
}
