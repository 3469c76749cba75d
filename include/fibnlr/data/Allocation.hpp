#pragma once
// The one place fibnlr allocates tensor storage and planned buffers, with a
// fault-injection switch so tests can prove that a failed allocation leaves
// graphs and compiled plans exactly as they were.
#include <cstddef>
#include <memory>

namespace fibnlr {

/// Zeroed storage of `bytes` bytes (at least 1), 64-byte aligned so SIMD
/// kernels can use aligned loads on whole buffers. Throws std::bad_alloc.
std::shared_ptr<void> allocateAligned(std::size_t bytes);

namespace testing {
/// Fault injection, off by default: the `n`-th next call of allocateAligned
/// (1 = the very next one) throws std::bad_alloc, once; 0 switches it off.
/// Process-wide and thread-safe; meant for tests only.
void failAllocation(std::size_t n);
/// Calls of allocateAligned so far (to tell how many a call makes).
std::size_t allocationCount();
} // namespace testing

} // namespace fibnlr
