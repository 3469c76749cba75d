#include "fibnlr/scheduler/Plan.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace fibnlr {

void foldBatchNormIntoConv(const Tensor& w, const Tensor* b, const Tensor& gamma, const Tensor& beta,
                           const Tensor& mean, const Tensor& var, float epsilon, Tensor& wOut, Tensor& bOut) {
    const std::size_t M = w.dim(0), per = w.size() / M;
    wOut = Tensor(w.dims());
    bOut = Tensor({M});
    const float* wp = w.data<float>();
    float* wo = wOut.data<float>();
    float* bo = bOut.data<float>();
    for (std::size_t m = 0; m < M; ++m) {
        const double s = gamma.data<float>()[m] / std::sqrt(static_cast<double>(var.data<float>()[m]) + epsilon);
        for (std::size_t i = 0; i < per; ++i) wo[m * per + i] = static_cast<float>(wp[m * per + i] * s);
        const double bias = b ? b->data<float>()[m] : 0.0;
        bo[m] = static_cast<float>((bias - mean.data<float>()[m]) * s + beta.data<float>()[m]);
    }
}

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
