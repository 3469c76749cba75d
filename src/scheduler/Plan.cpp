#include "fibnlr/scheduler/Plan.hpp"

#include <algorithm>
#include <numeric>

namespace fibnlr {

MemoryPlan planMemory(const std::vector<MemoryValue>& values) {
    MemoryPlan plan;
    plan.slotOf.assign(values.size(), SIZE_MAX);
    std::vector<std::size_t> busyUntil;  // per slot: the last step reading a value in it
    std::vector<std::size_t> order(values.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a].def < values[b].def; });
    for (std::size_t v : order) {
        const MemoryValue& mv = values[v];
        std::size_t slot = SIZE_MAX;
        if (mv.shareWith != SIZE_MAX && plan.slotOf[mv.shareWith] != SIZE_MAX) {
            const std::size_t s = plan.slotOf[mv.shareWith];
            // In place: the source is last read by this very step and nothing else lives in its slot.
            if (mv.view || (values[mv.shareWith].lastUse == mv.def && busyUntil[s] == mv.def)) slot = s;
        }
        if (slot == SIZE_MAX) {
            // Best fit among free slots; else grow the largest free one; else a new slot.
            std::size_t best = SIZE_MAX, largest = SIZE_MAX;
            for (std::size_t s = 0; s < busyUntil.size(); ++s) {
                if (busyUntil[s] >= mv.def) continue;  // still read at or after this step
                if (plan.slotFloats[s] >= mv.floats && (best == SIZE_MAX || plan.slotFloats[s] < plan.slotFloats[best])) best = s;
                if (largest == SIZE_MAX || plan.slotFloats[s] > plan.slotFloats[largest]) largest = s;
            }
            slot = best != SIZE_MAX ? best : largest;
            if (slot == SIZE_MAX) {
                slot = busyUntil.size();
                busyUntil.push_back(0);
                plan.slotFloats.push_back(0);
            }
        }
        plan.slotOf[v] = slot;
        plan.slotFloats[slot] = std::max(plan.slotFloats[slot], mv.floats);
        busyUntil[slot] = std::max({busyUntil[slot], mv.lastUse, mv.def});
    }
    return plan;
}

} // namespace fibnlr
