#include <cmath>

#include "RefRun.hpp"
#include "fibnlr/kernels/ref/BatchNorm.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

TEST_CASE("BatchNorm ref: hand-computed per channel", "[kernels][ref][BatchNorm]") {
    // epsilon 1 makes the denominators whole: sqrt(3 + 1) = 2, sqrt(15 + 1) = 4, sqrt(0 + 1) = 1.
    // channel 0: (x − 1)·4/2 + 1 = 2x − 1; channel 1: (x − 2)·(−1)/4 + 0.5 = 1 − x/4; channel 2: x.
    const Tensor scale = tensor({3}, {4, -1, 1}), bias = tensor({3}, {1, 0.5f, 0});
    const Tensor mean = tensor({3}, {1, 2, 0}), var = tensor({3}, {3, 15, 0});
    const Tensor x = tensor({2, 3, 2}, {0, 1, 4, 8, -2, 3, 5, -1, -4, 2, 7, 0.5f});
    const Tensor y = runRef("BatchNormalization", {x, scale, bias, mean, var}, {{"epsilon", 1.f}});
    requireTensor(y, {2, 3, 2}, {-1, 1, 0, -1, -2, 3, 9, -3, 2, 0.5f, 7, 0.5f});
    // rank 2: [N, C]
    requireTensor(runRef("BatchNormalization", {tensor({2, 3}, {0, 4, 5, 1, 8, -1}), scale, bias, mean, var},
                         {{"epsilon", 1.f}}),
                  {2, 3}, {-1, 0, 5, 1, -1, -1});
}

TEST_CASE("BatchNorm ref: rank 5 with 13 channels against a loop", "[kernels][ref][BatchNorm]") {
    const std::size_t C = 13, inner = 3 * 5 * 7;
    const Tensor x = randomTensor({2, C, 3, 5, 7}, 1);
    const Tensor scale = randomTensor({C}, 2), bias = randomTensor({C}, 3), mean = randomTensor({C}, 4);
    Tensor var = randomTensor({C}, 5);
    for (std::size_t c = 0; c < C; ++c) var.data<float>()[c] = std::abs(var.data<float>()[c]);
    const Tensor y = runRef("BatchNormalization", {x, scale, bias, mean, var}, {{"epsilon", 1e-3f}});
    std::vector<float> want(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
        const std::size_t c = (i / inner) % C;
        want[i] = (x.data<float>()[i] - mean.data<float>()[c]) / std::sqrt(var.data<float>()[c] + 1e-3f) *
                      scale.data<float>()[c] + bias.data<float>()[c];
    }
    requireTensor(y, x.dims(), want, 1e-4);
}

TEST_CASE("batchnorm_f32_ref: raw call, in place", "[kernels][ref][BatchNorm]") {
    std::vector<float> x{1, 2, 3, 4};
    const float scale[] = {2, 1}, bias[] = {0, 1}, mean[] = {1, 0}, var[] = {1, 1};
    batchnorm_f32_ref({1, 2, 2, 0.f}, x.data(), scale, bias, mean, var, x.data());
    requireClose(x, {0, 2, 4, 5});
}
