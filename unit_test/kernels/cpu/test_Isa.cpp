#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "fibnlr/kernels/cpu/Micro.hpp"

using namespace fibnlr;

TEST_CASE("set_kernels selects the SIMD path and rejects unknown modes", "[kernels][isa]") {
    const std::size_t rev = kernelsRevision();
    setKernels("cpu-generic");
    CHECK(std::string(micro().name) == "generic");
    CHECK(kernels() == "cpu-generic");
    setKernels("cpu");
    CHECK(std::string(micro().name) == (microAvx2() ? "avx2" : "generic"));
    setKernels("ref");
    CHECK(kernels() == "ref");
    CHECK_THROWS_AS(setKernels("fast"), std::invalid_argument);
    setKernels("cpu");
    CHECK(kernelsRevision() == rev + 4);  // four successful calls; the rejected one changes nothing
}

TEST_CASE("both micro-kernel tables agree on reductions with tails", "[kernels][isa]") {
    std::vector<float> x(1027);
    for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>((i * 29 % 83)) - 41.f;
    for (const Micro* m : {&microGeneric(), microAvx2()}) {
        if (!m) continue;
        for (std::size_t n : {1, 7, 8, 9, 1027}) {
            double want = 0;
            float mx = x[0];
            for (std::size_t i = 0; i < n; ++i) want += x[i], mx = std::max(mx, x[i]);
            CHECK(m->sum(x.data(), n) == Approx(want).margin(1e-3));
            CHECK(m->max(x.data(), n) == mx);
        }
    }
}
