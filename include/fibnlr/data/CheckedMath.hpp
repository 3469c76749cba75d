#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace fibnlr {

/// Checked size arithmetic for shape rules, tensor allocation and the memory plan.
///
/// Dims, element counts and byte sizes come from model files, so they can be
/// anything a 64-bit field holds. Unchecked, a product or sum near 2^64 wraps to
/// a small number: the buffer is allocated small while kernels loop over the true
/// size. Every such computation goes through these helpers, which throw
/// std::invalid_argument (ValueError in Python) instead of wrapping; `what` names
/// the quantity and the caller adds the node.

/// Elements per tensor: kernels pass sizes to a BLAS with 32-bit integers, so no
/// tensor (hence no dimension) may hold more than 2^31 - 1 elements.
constexpr std::size_t kMaxTensorElements = static_cast<std::size_t>(std::numeric_limits<std::int32_t>::max());

/// a * b, or std::invalid_argument("<what> overflows: a * b").
std::size_t checkedMul(std::size_t a, std::size_t b, const char* what);
/// a + b, or std::invalid_argument("<what> overflows: a + b").
std::size_t checkedAdd(std::size_t a, std::size_t b, const char* what);
/// a + b on signed 64-bit values (pads, slice bounds), or std::invalid_argument.
std::int64_t checkedAdd64(std::int64_t a, std::int64_t b, const char* what);
/// Product of `dims` (1 for rank 0), or std::invalid_argument when it overflows.
std::size_t checkedProduct(const std::vector<std::size_t>& dims, const char* what);

/// The memory limit in bytes: no tensor and no compiled memory plan may need more.
/// Default: half the physical memory (2^40 when it cannot be read).
std::size_t memoryLimit();
/// Sets the memory limit (bytes > 0; std::invalid_argument otherwise). Thread-safe.
void setMemoryLimit(std::size_t bytes);

/// Bytes of a tensor of `dims` with `elementSize`-byte elements; throws
/// std::invalid_argument naming `what`, the dims and the size when the element
/// count exceeds kMaxTensorElements or the bytes exceed memoryLimit().
std::size_t checkedTensorBytes(const std::vector<std::size_t>& dims, std::size_t elementSize, const std::string& what);

} // namespace fibnlr
