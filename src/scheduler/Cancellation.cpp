#include "fibnlr/scheduler/Cancellation.hpp"

#include <atomic>
#include <memory>
#include <mutex>

namespace fibnlr {

namespace {
using Clock = std::chrono::steady_clock;

struct Installed {
    StopCheck check;
    Clock::duration interval;
};

std::mutex gMutex;  // guards gInstalled (the pointer, not the call)
std::shared_ptr<const Installed> gInstalled;
std::atomic<bool> gAny{false};
std::atomic<Clock::rep> gLast{0};
} // namespace

void setStopCheck(StopCheck check, std::chrono::milliseconds interval) {
    std::shared_ptr<const Installed> next;
    if (check) next = std::make_shared<const Installed>(Installed{std::move(check), interval});
    std::lock_guard<std::mutex> lock(gMutex);
    gInstalled = std::move(next);
    gAny = gInstalled != nullptr;
}

void checkStop() {
    if (!gAny.load(std::memory_order_relaxed)) return;
    std::shared_ptr<const Installed> installed;
    {
        std::lock_guard<std::mutex> lock(gMutex);
        installed = gInstalled;
    }
    if (!installed) return;
    const Clock::rep now = Clock::now().time_since_epoch().count();
    Clock::rep last = gLast.load(std::memory_order_relaxed);
    if (installed->interval.count() > 0) {
        if (now - last < installed->interval.count()) return;
        // One thread among those that find the interval elapsed runs the check.
        if (!gLast.compare_exchange_strong(last, now)) return;
    }
    installed->check();
}

} // namespace fibnlr
