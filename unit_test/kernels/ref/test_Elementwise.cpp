#include <cmath>
#include <limits>

#include "RefRun.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

TEST_CASE("Elementwise ref: binary ops with broadcasting", "[kernels][ref][Elementwise]") {
    const Tensor a = tensor({2, 3}, {1, 2, 3, 4, 5, 6});
    const Tensor row = tensor({3}, {10, 20, 30});
    const Tensor col = tensor({2, 1}, {2, 4});
    requireTensor(runRef("Add", {a, row}), {2, 3}, {11, 22, 33, 14, 25, 36});
    requireTensor(runRef("Sub", {row, a}), {2, 3}, {9, 18, 27, 6, 15, 24});
    requireTensor(runRef("Mul", {a, col}), {2, 3}, {2, 4, 6, 16, 20, 24});
    requireTensor(runRef("Div", {a, col}), {2, 3}, {0.5f, 1, 1.5f, 1, 1.25f, 1.5f});
    // both operands broadcast: [2, 1] against [3]
    requireTensor(runRef("Add", {col, row}), {2, 3}, {12, 22, 32, 14, 24, 34});
    // a scalar
    requireTensor(runRef("Mul", {tensor({}, {-1}), a}), {2, 3}, {-1, -2, -3, -4, -5, -6});
}

TEST_CASE("Elementwise ref: Sum of three inputs", "[kernels][ref][Elementwise]") {
    const Tensor y = runRef("Sum", {tensor({2, 2}, {1, 2, 3, 4}), tensor({2}, {10, 20}), tensor({1}, {100})});
    requireTensor(y, {2, 2}, {111, 122, 113, 124});
    requireTensor(runRef("Sum", {tensor({3}, {1, 2, 3})}), {3}, {1, 2, 3});
}

TEST_CASE("Elementwise ref: per-channel operand on an awkward 4-D shape", "[kernels][ref][Elementwise]") {
    const Tensor x = randomTensor({2, 13, 3, 5}, 11);
    const Tensor c = randomTensor({13, 1, 1}, 12);
    const Tensor y = runRef("Mul", {x, c});
    REQUIRE(y.dims() == x.dims());
    for (std::size_t i = 0; i < x.size(); ++i)
        REQUIRE(y.data<float>()[i] == x.data<float>()[i] * c.data<float>()[(i / 15) % 13]);
}

TEST_CASE("PReLU ref: one slope, per-channel slopes, NaN", "[kernels][ref][PReLU]") {
    requireTensor(runRef("PReLU", {tensor({4}, {-2, -1, 0, 3}), tensor({1}, {0.5f})}), {4}, {-1, -0.5f, 0, 3});
    // [1, 2, 2] with slopes [2, 1]: channel 0 · 0.1, channel 1 · 3.
    requireTensor(runRef("PReLU", {tensor({1, 2, 2}, {-1, 2, -1, -2}), tensor({2, 1}, {0.1f, 3})}), {1, 2, 2},
                  {-0.1f, 2, -3, -6});
    const std::vector<float> y =
        runRef("PReLU", {tensor({2}, {std::numeric_limits<float>::quiet_NaN(), -1}), tensor({1}, {2})}).toVector<float>();
    CHECK(std::isnan(y[0]));
    CHECK(y[1] == -2.f);
}
