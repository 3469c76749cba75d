#include "RefRun.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
using Floats = std::vector<float>;
using Ints = std::vector<std::int64_t>;
AttrList attrs(const std::string& mode, const std::string& transform, const std::string& nearest = "round_prefer_floor") {
    return {{"mode", mode}, {"coordinate_transformation_mode", transform}, {"nearest_mode", nearest}};
}
AttrList with(AttrList a, const char* name, AttrValue v) {
    a.emplace_back(name, std::move(v));
    return a;
}
} // namespace

TEST_CASE("Resize ref: nearest, values computed by hand", "[kernels][ref][Resize]") {
    const Tensor x = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
    // PyTorch's Upsample(scale_factor=2, mode="nearest"): asymmetric, floor.
    requireTensor(runRef("Resize", {x}, with(attrs("nearest", "asymmetric", "floor"), "scales", Floats{1, 1, 2, 2})),
                  {1, 1, 4, 4}, {1, 1, 2, 2, 1, 1, 2, 2, 3, 3, 4, 4, 3, 3, 4, 4});
    // half_pixel: output i reads (i + 0.5)/2 − 0.5 = −0.25, 0.25, 0.75, 1.25, rounded and clamped.
    const Tensor row = tensor({1, 1, 2}, {5, 7});
    requireTensor(runRef("Resize", {row}, with(attrs("nearest", "half_pixel"), "scales", Floats{1, 1, 2})), {1, 1, 4},
                  {5, 5, 7, 7});
    // Ties: asymmetric with scale 4/3 reads 0, 0.75, 1.5, 2.25 of a row of 3.
    const Tensor three = tensor({3}, {10, 20, 30});
    requireTensor(runRef("Resize", {three}, with(attrs("nearest", "asymmetric", "round_prefer_floor"), "sizes", Ints{4})),
                  {4}, {10, 20, 20, 30});
    requireTensor(runRef("Resize", {three}, with(attrs("nearest", "asymmetric", "round_prefer_ceil"), "sizes", Ints{4})),
                  {4}, {10, 20, 30, 30});
    requireTensor(runRef("Resize", {three}, with(attrs("nearest", "asymmetric", "ceil"), "sizes", Ints{4})), {4},
                  {10, 20, 30, 30});
    // Down-sampling by 2, asymmetric: every other element.
    requireTensor(runRef("Resize", {tensor({4}, {1, 2, 3, 4})}, with(attrs("nearest", "asymmetric", "floor"), "scales", Floats{0.5f})),
                  {2}, {1, 3});
}

TEST_CASE("Resize ref: linear, values computed by hand", "[kernels][ref][Resize]") {
    const Tensor x = tensor({1, 1, 2, 2}, {1, 2, 3, 4});
    // align_corners to 3×3: the corners stay, the middle is the mean.
    requireTensor(runRef("Resize", {x}, with(attrs("linear", "align_corners"), "sizes", Ints{1, 1, 3, 3})), {1, 1, 3, 3},
                  {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4});
    // half_pixel ×2 on a row {0, 4}: coordinates −0.25, 0.25, 0.75, 1.25 clamped to [0, 1].
    requireTensor(runRef("Resize", {tensor({1, 1, 2}, {0, 4})}, with(attrs("linear", "half_pixel"), "scales", Floats{1, 1, 2})),
                  {1, 1, 4}, {0, 1, 3, 4});
    // pytorch_half_pixel to one output reads coordinate 0; half_pixel reads the middle.
    const Tensor row = tensor({1, 1, 4}, {0, 2, 4, 6});
    requireTensor(runRef("Resize", {row}, with(attrs("linear", "pytorch_half_pixel"), "sizes", Ints{1, 1, 1})), {1, 1, 1}, {0});
    requireTensor(runRef("Resize", {row}, with(attrs("linear", "half_pixel"), "sizes", Ints{1, 1, 1})), {1, 1, 1}, {3});
    // asymmetric ×2: 0, 0.5, 1, 1.5 → 0, 1, 2, 3 (last clamped to 2... of a row of 2: {0, 2})
    requireTensor(runRef("Resize", {tensor({2}, {0, 2})}, with(attrs("linear", "asymmetric"), "scales", Floats{2})), {4},
                  {0, 1, 2, 2});
}
