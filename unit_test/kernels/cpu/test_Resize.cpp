// The fast Resize kernel of src/kernels/cpu/Resize.cpp against its ref kernel (cases in KernelCases.cpp),
// on every SIMD path the CPU has and 1 and 3 threads.
#include <catch2/catch.hpp>

#include "KernelCases.hpp"

TEST_CASE("cpu Resize kernels match ref", "[kernels][cpu]") {
    fibnlr::test::checkArea("Resize");
}
