#include "fibnlr/data/Allocation.hpp"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>

namespace fibnlr {

namespace {
std::atomic<std::size_t> gCalls{0};
/// Value of gCalls at which the injected failure fires (0: none).
std::atomic<std::size_t> gFailAt{0};
} // namespace

std::shared_ptr<void> allocateAligned(std::size_t bytes) {
    const std::size_t call = ++gCalls;
    std::size_t failAt = call;
    if (gFailAt.load(std::memory_order_relaxed) == call && gFailAt.compare_exchange_strong(failAt, 0))
        throw std::bad_alloc();
    void* p = ::operator new[](std::max<std::size_t>(bytes, 1), std::align_val_t(64));
    std::memset(p, 0, bytes);
    return std::shared_ptr<void>(p, [](void* q) { ::operator delete[](q, std::align_val_t(64)); });
}

namespace testing {
void failAllocation(std::size_t n) { gFailAt = n == 0 ? 0 : gCalls.load() + n; }
std::size_t allocationCount() { return gCalls.load(); }
} // namespace testing

} // namespace fibnlr
