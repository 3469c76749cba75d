#include <catch2/catch.hpp>

#include <new>

#include "fibnlr/data/Allocation.hpp"
#include "fibnlr/data/Tensor.hpp"

using namespace fibnlr;

TEST_CASE("allocateAligned: zeroed, 64-byte aligned, counted", "[data][allocation]") {
    const std::size_t before = testing::allocationCount();
    auto p = allocateAligned(100);
    CHECK(testing::allocationCount() == before + 1);
    CHECK(reinterpret_cast<std::uintptr_t>(p.get()) % 64 == 0);
    for (std::size_t i = 0; i < 100; ++i) CHECK(static_cast<unsigned char*>(p.get())[i] == 0);
    CHECK(allocateAligned(0) != nullptr);
}

TEST_CASE("failAllocation makes the n-th next allocation throw once, 0 switches it off", "[data][allocation]") {
    testing::failAllocation(2);
    CHECK_NOTHROW(allocateAligned(8));
    CHECK_THROWS_AS(allocateAligned(8), std::bad_alloc);
    CHECK_NOTHROW(allocateAligned(8));  // once only
    testing::failAllocation(1);
    testing::failAllocation(0);
    CHECK_NOTHROW(allocateAligned(8));
    testing::failAllocation(1);
    CHECK_THROWS_AS(Tensor(Shape{4, 4}), std::bad_alloc);  // tensors allocate through it
}

TEST_CASE("Tensor::resize leaves the tensor unchanged when the allocation fails", "[data][allocation]") {
    Tensor t = Tensor::fromVector<float>({2}, {1.f, 2.f});
    testing::failAllocation(1);
    CHECK_THROWS_AS(t.resize({3, 3}), std::bad_alloc);
    CHECK(t.dims() == Shape{2});
    CHECK(t.toVector<float>() == std::vector<float>{1.f, 2.f});
}
