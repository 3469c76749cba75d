#include <cmath>

#include "RefRun.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

TEST_CASE("LRN ref: hand-computed windows", "[kernels][ref][Normalization]") {
    // alpha = size so that alpha / size = 1; bias 1, beta 1: y = x / (1 + square_sum).
    const Tensor x = tensor({1, 3, 1, 1}, {1, 2, 3});
    SECTION("size 3: channels c-1..c+1") {
        requireTensor(runRef("LRN", {x}, {{"size", std::int64_t{3}}, {"alpha", 3.f}, {"beta", 1.f}}), {1, 3, 1, 1},
                      {1.f / 6, 2.f / 15, 3.f / 14});
    }
    SECTION("size 2: floor((2-1)/2) = 0 before, ceil = 1 after") {
        requireTensor(runRef("LRN", {x}, {{"size", std::int64_t{2}}, {"alpha", 2.f}, {"beta", 1.f}}), {1, 3, 1, 1},
                      {1.f / 6, 2.f / 14, 3.f / 10});
    }
}

TEST_CASE("LRN ref: 13 channels against the ONNX formula", "[kernels][ref][Normalization]") {
    const std::size_t C = 13, S = 15;
    const Tensor x = randomTensor({2, C, 3, 5}, 5);
    const Tensor y = runRef("LRN", {x}, {{"size", std::int64_t{5}}, {"alpha", 1e-2f}, {"beta", 0.75f}, {"bias", 2.f}});
    std::vector<float> want;
    for (std::size_t n = 0; n < 2; ++n)
        for (std::size_t c = 0; c < C; ++c)
            for (std::size_t i = 0; i < S; ++i) {
                double sq = 0;
                for (int d = -2; d <= 2; ++d) {
                    const int c2 = static_cast<int>(c) + d;
                    if (c2 < 0 || c2 >= static_cast<int>(C)) continue;
                    const double v = x.data<float>()[(n * C + c2) * S + i];
                    sq += v * v;
                }
                want.push_back(static_cast<float>(x.data<float>()[(n * C + c) * S + i] / std::pow(2 + 1e-2 / 5 * sq, 0.75)));
            }
    requireTensor(y, x.dims(), want);
}

TEST_CASE("Softmax ref", "[kernels][ref][Normalization]") {
    const double e = std::exp(1.0), e2 = std::exp(2.0);
    SECTION("last axis") {
        const double s = 1 + e + e2;
        requireTensor(runRef("Softmax", {tensor({2, 3}, {1, 2, 3, 1, 1, 1})}), {2, 3},
                      {static_cast<float>(1 / s), static_cast<float>(e / s), static_cast<float>(e2 / s), 1.f / 3, 1.f / 3,
                       1.f / 3});
    }
    SECTION("axis 0, large values do not overflow") {
        const Tensor y = runRef("Softmax", {tensor({2, 2}, {1000, 1, 1001, 3})}, {{"axis", std::int64_t{0}}});
        requireTensor(y, {2, 2},
                      {static_cast<float>(1 / (1 + e)), static_cast<float>(1 / (1 + e2)), static_cast<float>(e / (1 + e)),
                       static_cast<float>(e2 / (1 + e2))});
    }
    SECTION("axis 1 of a 4-D tensor with 13 channels sums to one") {
        const Tensor x = randomTensor({2, 13, 3, 5}, 8);
        const Tensor y = runRef("Softmax", {x}, {{"axis", std::int64_t{1}}});
        for (std::size_t n = 0; n < 2; ++n)
            for (std::size_t i = 0; i < 15; ++i) {
                double sum = 0, sumExp = 0;
                for (std::size_t c = 0; c < 13; ++c) sum += y.data<float>()[(n * 13 + c) * 15 + i];
                for (std::size_t c = 0; c < 13; ++c) sumExp += std::exp(x.data<float>()[(n * 13 + c) * 15 + i]);
                REQUIRE(sum == Approx(1));
                const std::size_t k = (n * 13 + 4) * 15 + i;
                REQUIRE(y.data<float>()[k] == Approx(std::exp(x.data<float>()[k]) / sumExp));
            }
    }
}
