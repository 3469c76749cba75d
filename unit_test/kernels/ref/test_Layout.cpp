#include <limits>

#include "RefRun.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
std::vector<float> iota(std::size_t n) {
    std::vector<float> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<float>(i);
    return v;
}
const Tensor x23 = tensor({2, 3}, {1, 2, 3, 4, 5, 6});
} // namespace

TEST_CASE("Copy ref: Flatten, Reshape, Squeeze, Unsqueeze keep the data", "[kernels][ref][Layout]") {
    const Tensor x = tensor({1, 2, 3, 1}, iota(6));
    requireTensor(runRef("Flatten", {x}), {1, 6}, iota(6));
    requireTensor(runRef("Reshape", {x}, {{"shape", Ints{3, -1}}}), {3, 2}, iota(6));
    requireTensor(runRef("Squeeze", {x}), {2, 3}, iota(6));
    requireTensor(runRef("Unsqueeze", {x}, {{"axes", Ints{0}}}), {1, 1, 2, 3, 1}, iota(6));
}

TEST_CASE("Transpose ref", "[kernels][ref][Layout]") {
    requireTensor(runRef("Transpose", {x23}), {3, 2}, {1, 4, 2, 5, 3, 6});
    const Tensor x = tensor({2, 3, 4}, iota(24));
    const Tensor y = runRef("Transpose", {x}, {{"perm", Ints{2, 0, 1}}});
    REQUIRE(y.dims() == Shape{4, 2, 3});
    for (std::size_t k = 0; k < 4; ++k)
        for (std::size_t i = 0; i < 2; ++i)
            for (std::size_t j = 0; j < 3; ++j)
                REQUIRE(y.data<float>()[(k * 2 + i) * 3 + j] == x.data<float>()[(i * 3 + j) * 4 + k]);
}

TEST_CASE("Concat ref", "[kernels][ref][Layout]") {
    const Tensor a = tensor({2, 1, 2}, {1, 2, 3, 4});
    const Tensor b = tensor({2, 2, 2}, {5, 6, 7, 8, 9, 10, 11, 12});
    requireTensor(runRef("Concat", {a, b}, {{"axis", std::int64_t{1}}}), {2, 3, 2}, {1, 2, 5, 6, 7, 8, 3, 4, 9, 10, 11, 12});
    requireTensor(runRef("Concat", {a, a}, {{"axis", std::int64_t{-1}}}), {2, 1, 4}, {1, 2, 1, 2, 3, 4, 3, 4});
    requireTensor(runRef("Concat", {x23, x23}, {{"axis", std::int64_t{0}}}), {4, 3}, {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6});
    SECTION("three inputs of 13, 1 and 7 channels") {
        const Tensor p = randomTensor({2, 13, 3}, 1), q = randomTensor({2, 1, 3}, 2), r = randomTensor({2, 7, 3}, 3);
        const Tensor y = runRef("Concat", {p, q, r});
        REQUIRE(y.dims() == Shape{2, 21, 3});
        for (std::size_t n = 0; n < 2; ++n)
            for (std::size_t i = 0; i < 3; ++i) {
                REQUIRE(y.data<float>()[(n * 21 + 5) * 3 + i] == p.data<float>()[(n * 13 + 5) * 3 + i]);
                REQUIRE(y.data<float>()[(n * 21 + 13) * 3 + i] == q.data<float>()[n * 3 + i]);
                REQUIRE(y.data<float>()[(n * 21 + 20) * 3 + i] == r.data<float>()[(n * 7 + 6) * 3 + i]);
            }
    }
}

TEST_CASE("Split ref", "[kernels][ref][Layout]") {
    const Tensor x = tensor({2, 5}, iota(10));
    SECTION("explicit sizes on axis 1") {
        const std::vector<Tensor> y = runRef(*makeOperator("Split", {{"axis", std::int64_t{1}}, {"split", Ints{2, 3}}}), {x});
        REQUIRE(y.size() == 2);
        requireTensor(y[0], {2, 2}, {0, 1, 5, 6});
        requireTensor(y[1], {2, 3}, {2, 3, 4, 7, 8, 9});
    }
    SECTION("equal parts, the last smaller") {
        const std::vector<Tensor> y =
            runRef(*makeOperator("Split", {{"axis", std::int64_t{-1}}, {"num_outputs", std::int64_t{3}}}), {x});
        REQUIRE(y.size() == 3);
        requireTensor(y[0], {2, 2}, {0, 1, 5, 6});
        requireTensor(y[1], {2, 2}, {2, 3, 7, 8});
        requireTensor(y[2], {2, 1}, {4, 9});
    }
    SECTION("axis 0, then Concat restores the input") {
        const Tensor t = randomTensor({13, 3, 2}, 4);
        // num_outputs first: setAttribute validates, and 3 sizes for the default 2 outputs is invalid
        const OperatorPtr op = makeOperator("Split", {{"num_outputs", std::int64_t{3}}, {"split", Ints{6, 0, 7}}});
        const std::vector<Tensor> y = runRef(*op, {t});
        REQUIRE(y[1].dims() == Shape{0, 3, 2});
        requireTensor(runRef("Concat", {y[0], y[1], y[2]}, {{"axis", std::int64_t{0}}}), t.dims(), t.toVector<float>());
    }
}

TEST_CASE("Slice ref", "[kernels][ref][Layout]") {
    const Tensor x = tensor({3, 4}, iota(12));
    requireTensor(runRef("Slice", {x}, {{"starts", Ints{1, 0}}, {"ends", Ints{3, 4}}, {"steps", Ints{1, 2}}}), {2, 2},
                  {4, 6, 8, 10});
    requireTensor(runRef("Slice", {x}, {{"starts", Ints{-1}}, {"ends", Ints{std::numeric_limits<std::int64_t>::min()}},
                                        {"axes", Ints{1}}, {"steps", Ints{-1}}}),
                  {3, 4}, {3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8});
    requireTensor(runRef("Slice", {x}, {{"starts", Ints{10, 3}}, {"ends", Ints{-10, 0}}, {"steps", Ints{-2, -2}}}), {2, 2},
                  {11, 9, 3, 1});
    requireTensor(runRef("Slice", {x}, {{"starts", Ints{1}}, {"ends", Ints{100}}, {"axes", Ints{-2}}}), {2, 4},
                  {4, 5, 6, 7, 8, 9, 10, 11});
}

TEST_CASE("Pad ref", "[kernels][ref][Layout]") {
    const Tensor x = tensor({2, 2}, {1, 2, 3, 4});
    const Tensor r = tensor({4}, {1, 2, 3, 4});
    requireTensor(runRef("Pad", {x}, {{"pads", Ints{0, 1, 0, 2}}, {"value", 9.f}}), {2, 5}, {9, 1, 2, 9, 9, 9, 3, 4, 9, 9});
    requireTensor(runRef("Pad", {r}, {{"pads", Ints{2, 2}}, {"mode", std::string("reflect")}}), {8}, {3, 2, 1, 2, 3, 4, 3, 2});
    requireTensor(runRef("Pad", {r}, {{"pads", Ints{2, 2}}, {"mode", std::string("edge")}}), {8}, {1, 1, 1, 2, 3, 4, 4, 4});
    SECTION("2-D reflect") {
        const Tensor y = runRef("Pad", {tensor({3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})},
                                {{"pads", Ints{1, 1, 1, 1}}, {"mode", std::string("reflect")}});
        requireTensor(y, {5, 5}, {5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 8, 7, 8, 9, 8, 5, 4, 5, 6, 5});
    }
    SECTION("negative pads crop first, then pad from the cropped range") {
        const Tensor five = tensor({5}, {1, 2, 3, 4, 5});
        requireTensor(runRef("Pad", {r}, {{"pads", Ints{-1, 1}}}), {4}, {2, 3, 4, 0});
        requireTensor(runRef("Pad", {five}, {{"pads", Ints{-1, 2}}, {"mode", std::string("reflect")}}), {6}, {2, 3, 4, 5, 4, 3});
        requireTensor(runRef("Pad", {five}, {{"pads", Ints{2, -2}}, {"mode", std::string("edge")}}), {5}, {1, 1, 1, 2, 3});
        requireTensor(runRef("Pad", {x}, {{"pads", Ints{-1, 0, 0, -1}}}), {1, 1}, {3});
    }
}
