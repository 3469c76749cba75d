// Fast kernels of src/kernels/cpu/Pool.cpp against their ref kernels on awkward
// shapes (cases in KernelCases.cpp), on every SIMD path the CPU has (plain, AVX2, AVX-512) and 1 and 3 threads.
#include <catch2/catch.hpp>

#include "KernelCases.hpp"

TEST_CASE("cpu Pool kernels match ref", "[kernels][cpu]") {
    fibnlr::test::checkArea("Pool");
}
