#include <atomic>
#include <cstdlib>
#include <mutex>
#include <stdexcept>

#include "fibnlr/kernels/cpu/Micro.hpp"

namespace fibnlr {

namespace generic {
const Micro& table();
}
#if defined(__x86_64__) || defined(__i386__)
namespace avx2 {
const Micro& table();
}
#endif
#if defined(__x86_64__)
namespace avx512 {
const Micro& table();
}
#endif

const Micro& microGeneric() { return generic::table(); }

const Micro* microAvx2() {
#if defined(__x86_64__) || defined(__i386__)
    static const bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    return ok ? &avx2::table() : nullptr;
#else
    return nullptr;
#endif
}

const Micro* microAvx512() {
#if defined(__x86_64__)
    // GCC's check includes the OS saving the AVX-512 state (XCR0).
    static const bool ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
                           microAvx2() != nullptr;
    return ok ? &avx512::table() : nullptr;
#else
    return nullptr;
#endif
}

namespace {
std::mutex gMutex;
std::string gMode;
std::atomic<std::size_t> gRevision{0};
std::atomic<const Micro*> gMicro{nullptr};

void checkMode(const std::string& m) {
    if (m != "cpu" && m != "cpu-avx2" && m != "cpu-generic" && m != "ref")
        throw std::invalid_argument("set_kernels: '" + m + "' is not one of: cpu, cpu-avx2, cpu-generic, ref");
}
void apply(const std::string& m) {
    gMode = m;
    const Micro* best = &microGeneric();
    if (m != "cpu-generic" && microAvx2()) best = microAvx2();
    if (m != "cpu-generic" && m != "cpu-avx2" && microAvx512()) best = microAvx512();
    gMicro = best;
}
void init() {
    if (!gMode.empty()) return;
    const char* e = std::getenv("FIBNLR_KERNELS");
    std::string m = e && *e ? e : "cpu";
    try {
        checkMode(m);
    } catch (const std::invalid_argument&) {
        m = "cpu";  // a bad environment value must not make import fail
    }
    apply(m);
}
} // namespace

void setKernels(const std::string& mode) {
    checkMode(mode);
    std::lock_guard<std::mutex> lk(gMutex);
    apply(mode);
    ++gRevision;
}

const std::string& kernels() {
    std::lock_guard<std::mutex> lk(gMutex);
    init();
    return gMode;
}

std::size_t kernelsRevision() { return gRevision.load(); }

const Micro& micro() {
    const Micro* m = gMicro.load();
    if (!m) {
        kernels();
        m = gMicro.load();
    }
    return *m;
}

} // namespace fibnlr
