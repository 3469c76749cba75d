#include "RefRun.hpp"
#include "fibnlr/kernels/ref/Gemm.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
const Tensor A = tensor({2, 3}, {1, 2, 3, 4, 5, 6});
const Tensor At = tensor({3, 2}, {1, 4, 2, 5, 3, 6});
const Tensor B = tensor({3, 2}, {7, 8, 9, 10, 11, 12});
const Tensor Bt = tensor({2, 3}, {7, 9, 11, 8, 10, 12});
const std::vector<float> AB{58, 64, 139, 154};  // A·B by hand

/// Element (i, j) of a dense row-major matrix with `cols` columns, read transposed when `t`.
float at(const Tensor& m, bool t, std::size_t i, std::size_t j) {
    return t ? m.data<float>()[j * m.dim(1) + i] : m.data<float>()[i * m.dim(1) + j];
}
} // namespace

TEST_CASE("Gemm ref: hand-computed, every transpose combination", "[kernels][ref][Gemm]") {
    for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
            INFO("transA " << ta << " transB " << tb);
            const AttrList attrs{{"transA", std::int64_t{ta}}, {"transB", std::int64_t{tb}}};
            requireTensor(runRef("Gemm", {ta ? At : A, tb ? Bt : B}, attrs), {2, 2}, AB);
        }
}

TEST_CASE("Gemm ref: alpha, beta and C broadcast", "[kernels][ref][Gemm]") {
    const AttrList ab{{"alpha", 2.f}, {"beta", 0.5f}};
    SECTION("C [N]") { requireTensor(runRef("Gemm", {A, B, tensor({2}, {10, 20})}, ab), {2, 2}, {121, 138, 283, 318}); }
    SECTION("C [M, 1]") { requireTensor(runRef("Gemm", {A, B, tensor({2, 1}, {1, 2})}), {2, 2}, {59, 65, 141, 156}); }
    SECTION("C [M, N]") {
        requireTensor(runRef("Gemm", {A, B, tensor({2, 2}, {1, 2, 3, 4})}, ab), {2, 2}, {116.5f, 129, 279.5f, 310});
    }
    SECTION("C scalar and [1, 1]") {
        requireTensor(runRef("Gemm", {A, B, tensor({}, {-8})}, ab), {2, 2}, {112, 124, 274, 304});
        requireTensor(runRef("Gemm", {A, B, tensor({1, 1}, {-8})}, ab), {2, 2}, {112, 124, 274, 304});
    }
    SECTION("C absent") { requireTensor(runRef("Gemm", {A, B, Tensor()}, ab), {2, 2}, {116, 128, 278, 308}); }
}

TEST_CASE("Gemm ref: awkward sizes against a loop", "[kernels][ref][Gemm]") {
    const std::size_t M = 13, N = 17, K = 19;
    for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
            const Tensor a = randomTensor(ta ? Shape{K, M} : Shape{M, K}, 1 + ta);
            const Tensor b = randomTensor(tb ? Shape{N, K} : Shape{K, N}, 3 + tb);
            const Tensor c = randomTensor({1, N}, 5);
            const Tensor y = runRef("Gemm", {a, b, c},
                                    {{"transA", std::int64_t{ta}}, {"transB", std::int64_t{tb}}, {"alpha", 0.7f}, {"beta", -1.5f}});
            std::vector<float> want;
            for (std::size_t m = 0; m < M; ++m)
                for (std::size_t n = 0; n < N; ++n) {
                    double s = 0;
                    for (std::size_t k = 0; k < K; ++k) s += static_cast<double>(at(a, ta, m, k)) * at(b, tb, k, n);
                    want.push_back(static_cast<float>(0.7 * s - 1.5 * c.data<float>()[n]));
                }
            INFO("transA " << ta << " transB " << tb);
            requireTensor(y, {M, N}, want);
        }
}

TEST_CASE("gemm_f32_ref: leading dimensions larger than the matrix", "[kernels][ref][Gemm]") {
    // A is the left 2x3 block of a 2x4 buffer, B the top-left 3x2 block of a 3x3 buffer.
    const std::vector<float> a{1, 2, 3, -100, 4, 5, 6, -100};
    const std::vector<float> b{7, 8, -100, 9, 10, -100, 11, 12, -100};
    GemmParams p;
    p.M = 2, p.N = 2, p.K = 3, p.lda = 4, p.ldb = 3, p.beta = 0.f;
    std::vector<float> y(4);
    gemm_f32_ref(p, a.data(), b.data(), nullptr, y.data());
    requireClose(y, AB);
}

TEST_CASE("MatMul ref: 2-D and 1-D operands", "[kernels][ref][MatMul]") {
    const Tensor v = tensor({3}, {1, 2, 3});
    requireTensor(runRef("MatMul", {A, B}), {2, 2}, AB);
    requireTensor(runRef("MatMul", {v, B}), {2}, {58, 64});     // row vector · B
    requireTensor(runRef("MatMul", {A, v}), {2}, {14, 32});     // A · column vector
    requireTensor(runRef("MatMul", {v, v}), {}, {14});          // dot product, rank 0
}

TEST_CASE("MatMul ref: batch dims broadcast", "[kernels][ref][MatMul]") {
    // [2, 1, 5, 7] · [3, 7, 9] -> [2, 3, 5, 9]
    const Tensor a = randomTensor({2, 1, 5, 7}, 21);
    const Tensor b = randomTensor({3, 7, 9}, 22);
    const Tensor y = runRef("MatMul", {a, b});
    REQUIRE(y.dims() == Shape{2, 3, 5, 9});
    std::vector<float> want;
    for (std::size_t i = 0; i < 2; ++i)
        for (std::size_t j = 0; j < 3; ++j)
            for (std::size_t m = 0; m < 5; ++m)
                for (std::size_t n = 0; n < 9; ++n) {
                    double s = 0;
                    for (std::size_t k = 0; k < 7; ++k)
                        s += static_cast<double>(a.data<float>()[(i * 5 + m) * 7 + k]) * b.data<float>()[(j * 7 + k) * 9 + n];
                    want.push_back(static_cast<float>(s));
                }
    requireClose(y.toVector<float>(), want);
    // a 1-D operand against a batched matrix: [7] · [3, 7, 9] -> [3, 9]
    const Tensor v = randomTensor({7}, 23);
    const Tensor yv = runRef("MatMul", {v, b});
    REQUIRE(yv.dims() == Shape{3, 9});
    double s = 0;
    for (std::size_t k = 0; k < 7; ++k) s += static_cast<double>(v.data<float>()[k]) * b.data<float>()[(2 * 7 + k) * 9 + 4];
    REQUIRE(yv.data<float>()[2 * 9 + 4] == Approx(s));
}
