#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "fibnlr/kernels/Counting.hpp"
#include "fibnlr/kernels/cpu/Micro.hpp"

using namespace fibnlr;

namespace {
struct Result {
    SignCounts counts;
    std::vector<std::uint8_t> alive;
};
Result run(CountSignsFn fn, const std::vector<float>& x, std::size_t outer, std::size_t c, std::size_t inner) {
    Result r;
    r.alive.assign(c, 0);
    fn(x.data(), outer, c, inner, r.alive.data(), r.counts);
    return r;
}
} // namespace

TEST_CASE("countSigns_f32_ref on hand-computed values", "[kernels][counting]") {
    // [N=2, C=2, inner=3]; channel 1 never positive.
    const std::vector<float> x{1.f, -2.f, 0.f, -1.f, -0.5f, 0.f, 3.f, 0.f, -4.f, 0.f, -1.5f, -3.f};
    Result r = run(countSigns_f32_ref, x, 2, 2, 3);
    CHECK(r.counts.pos == 4.0);   // 1 + 3
    CHECK(r.counts.neg == 12.0);  // 2 + 1 + 0.5 + 4 + 1.5 + 3
    CHECK(r.counts.nonFinite == 0);
    CHECK(r.alive == std::vector<std::uint8_t>{1, 0});
}

TEST_CASE("countSigns_f32_ref keeps non-finite values out of the masses", "[kernels][counting]") {
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    const std::vector<float> x{2.f, nan, -inf, -1.f, inf, 0.f};  // [1, 2, 3]
    Result r = run(countSigns_f32_ref, x, 1, 2, 3);
    CHECK(r.counts.pos == 2.0);
    CHECK(r.counts.neg == 1.0);
    CHECK(r.counts.nonFinite == 3);
    CHECK(r.alive == std::vector<std::uint8_t>{1, 1});  // +Inf marks channel 1 alive
}

TEST_CASE("every counting kernel matches the reference on awkward shapes", "[kernels][counting]") {
    // (outer, C, inner) for ranks 2 (inner 1), 3, 4 and 5 (spatial dims flattened into inner).
    const std::vector<std::vector<std::size_t>> shapes{
        {3, 13, 1},    {2, 127, 1},   {5, 13, 7},        {2, 127, 9},  {2, 13, 63},   {3, 13, 64},
        {2, 13, 65},   {1, 127, 100}, {2, 13, 1031},     {1, 3, 3000}, {2, 13, 4 * 5}, {1, 127, 3 * 5 * 7},
        {2, 13, 2 * 3 * 11 * 5}, {1, 1, 1}, {4, 1, 17},
    };
    std::mt19937 rng(1234);
    std::normal_distribution<float> normal(0.f, 1.f);
    const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
    for (const CountingKernel& k : countingKernels()) {
        if (!k.available()) continue;
        for (const auto& s : shapes)
            for (int variant = 0; variant < 3; ++variant) {
                const std::size_t n = s[0] * s[1] * s[2];
                std::vector<float> x(n);
                for (float& v : x) v = normal(rng) - 0.3f;
                // A dead channel (all <= 0) and, in variant 1, some non-finite values.
                for (std::size_t o = 0; o < s[0]; ++o)
                    for (std::size_t i = 0; i < s[2]; ++i) x[(o * s[1] + s[1] / 2) * s[2] + i] = -std::fabs(x[i]);
                if (variant == 1) {
                    x[n / 3] = nan;
                    x[n - 1] = -inf;
                    if (n > 5) x[n / 2] = inf;
                }
                if (variant == 2)
                    for (float& v : x) v = v > 0 ? 3e37f : v;  // float block sums overflow
                INFO(k.name << " shape " << s[0] << "x" << s[1] << "x" << s[2] << " variant " << variant);
                Result ref = run(countSigns_f32_ref, x, s[0], s[1], s[2]);
                Result got = run(k.fn, x, s[0], s[1], s[2]);
                CHECK(got.counts.pos == Approx(ref.counts.pos).epsilon(1e-5));
                CHECK(got.counts.neg == Approx(ref.counts.neg).epsilon(1e-5));
                CHECK(got.counts.nonFinite == ref.counts.nonFinite);
                CHECK(got.alive == ref.alive);
                CHECK(std::isfinite(got.counts.pos));
                CHECK(std::isfinite(got.counts.neg));
            }
    }
}

TEST_CASE("counting kernels accumulate: alive flags are never cleared", "[kernels][counting]") {
    for (const CountingKernel& k : countingKernels()) {
        if (!k.available()) continue;
        std::vector<std::uint8_t> alive{1, 0, 0};
        SignCounts c;
        c.pos = 10.0;
        const std::vector<float> x(3 * 80, -1.f);
        k.fn(x.data(), 1, 3, 80, alive.data(), c);
        CHECK(alive == std::vector<std::uint8_t>{1, 0, 0});
        CHECK(c.pos == 10.0);
        CHECK(c.neg == 240.0);
    }
}

TEST_CASE("counting precision holds over 1e9 elements", "[kernels][counting][slow]") {
    // A float accumulator stalls near 2^24 times the value; in blocks of 1024
    // widened to double the relative error stays at the block level (~1e-7)
    // however many elements are added. 0.1f is not exact in binary, so every
    // block rounds; −0.2f checks the negative mass the same way.
    std::vector<float> x(1 << 20);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = i % 2 ? 0.1f : -0.2f;
    for (const CountingKernel& k : countingKernels()) {
        if (!k.available() || k.name == "countSigns_f32_ref") continue;
        std::uint8_t alive = 0;
        SignCounts c;
        const std::size_t calls = 954;  // 954 · 2^20 ≈ 1.0e9 elements
        for (std::size_t i = 0; i < calls; ++i) k.fn(x.data(), 1, 1, x.size(), &alive, c);
        const double half = static_cast<double>(calls) * static_cast<double>(x.size() / 2);
        INFO(k.name);
        CHECK(c.pos == Approx(half * static_cast<double>(0.1f)).epsilon(1e-6));
        CHECK(c.neg == Approx(half * static_cast<double>(0.2f)).epsilon(1e-6));
        CHECK(alive == 1);
    }
}

TEST_CASE("streamRead_f32 sums its input", "[kernels][counting]") {
    std::vector<float> x(1000);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i % 7);
    double expect = 0;
    for (float v : x) expect += v;
    CHECK(streamRead_f32(x.data(), x.size()) == Approx(expect));
}

TEST_CASE("bestCountSigns is one of the listed kernels", "[kernels][counting]") {
    bool found = false;
    for (const CountingKernel& k : countingKernels()) found = found || (k.fn == bestCountSigns() && k.available());
    CHECK(found);
}

TEST_CASE("counting dispatches like every SIMD kernel: one entry per micro-kernel table, set_kernels applies",
          "[kernels][counting]") {
    std::vector<std::string> names;
    for (const CountingKernel& k : countingKernels()) names.push_back(k.name);
    CHECK(names == std::vector<std::string>{"countSigns_f32_ref", "countSigns_f32_generic", "countSigns_f32_avx2",
                                            "countSigns_f32_avx512"});
    setKernels("cpu-generic");
    CHECK(bestCountSigns() == microGeneric().countSigns);
    if (microAvx2()) {
        setKernels("cpu-avx2");
        CHECK(bestCountSigns() == microAvx2()->countSigns);
    }
    setKernels("cpu");
    CHECK(bestCountSigns() == micro().countSigns);
}
