#include "fibnlr/data/CheckedMath.hpp"

#include <atomic>
#include <stdexcept>

#include <unistd.h>

namespace fibnlr {

namespace {
std::string dimsString(const std::vector<std::size_t>& dims) {
    std::string s = "[";
    for (std::size_t i = 0; i < dims.size(); ++i) s += (i ? ", " : "") + std::to_string(dims[i]);
    return s + "]";
}

std::size_t defaultLimit() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGE_SIZE);
    if (pages <= 0 || page <= 0) return std::size_t(1) << 40;
    return static_cast<std::size_t>(pages) / 2 * static_cast<std::size_t>(page);
}

std::atomic<std::size_t>& limit() {
    static std::atomic<std::size_t> value{defaultLimit()};
    return value;
}
} // namespace

std::size_t checkedMul(std::size_t a, std::size_t b, const char* what) {
    std::size_t r;
    if (__builtin_mul_overflow(a, b, &r))
        throw std::invalid_argument(std::string(what) + " overflows: " + std::to_string(a) + " * " + std::to_string(b));
    return r;
}

std::size_t checkedAdd(std::size_t a, std::size_t b, const char* what) {
    std::size_t r;
    if (__builtin_add_overflow(a, b, &r))
        throw std::invalid_argument(std::string(what) + " overflows: " + std::to_string(a) + " + " + std::to_string(b));
    return r;
}

std::int64_t checkedAdd64(std::int64_t a, std::int64_t b, const char* what) {
    std::int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        throw std::invalid_argument(std::string(what) + " overflows: " + std::to_string(a) + " + " + std::to_string(b));
    return r;
}

std::size_t checkedProduct(const std::vector<std::size_t>& dims, const char* what) {
    std::size_t n = 1;
    for (std::size_t d : dims)
        if (__builtin_mul_overflow(n, d, &n))
            throw std::invalid_argument(std::string(what) + " of " + dimsString(dims) + " overflows 64 bits");
    return n;
}

std::size_t memoryLimit() { return limit().load(std::memory_order_relaxed); }

void setMemoryLimit(std::size_t bytes) {
    if (bytes == 0) throw std::invalid_argument("memory limit must be > 0 bytes");
    limit().store(bytes, std::memory_order_relaxed);
}

std::size_t checkedTensorBytes(const std::vector<std::size_t>& dims, std::size_t elementSize, const std::string& what) {
    // An empty tensor (a 0 dim) is fine whatever the other dims are.
    for (std::size_t d : dims)
        if (d == 0) return 0;
    std::size_t n = 1;
    bool wraps = false;
    for (std::size_t d : dims) wraps = wraps || __builtin_mul_overflow(n, d, &n);
    if (wraps || n > kMaxTensorElements)
        throw std::invalid_argument(what + ": a tensor of " + dimsString(dims) + " has " +
                                    (wraps ? std::string("more than 2^64") : std::to_string(n)) +
                                    " elements, the limit is " + std::to_string(kMaxTensorElements));
    const std::size_t bytes = n * elementSize;  // n < 2^31, no overflow
    if (bytes > memoryLimit())
        throw std::invalid_argument(what + ": a tensor of " + dimsString(dims) + " needs " + std::to_string(bytes) +
                                    " bytes, more than the memory limit of " + std::to_string(memoryLimit()) +
                                    " bytes (fibnlr.set_memory_limit)");
    return bytes;
}

} // namespace fibnlr
