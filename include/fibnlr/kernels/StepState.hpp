#pragma once
#include <memory>

namespace fibnlr {

/// State a kernel keeps from one run of a compiled plan's step to the next
/// (Winograd's transformed weights), owned by the step: it goes with the
/// plan, which is rebuilt when the graph, a parameter tensor or the kernel
/// selection changes. Parameters written in place do not rebuild the plan, so
/// a kernel keeps its state only while the inputs' TensorStamp (data/Tensor.hpp)
/// is the one it was made from; it never rereads the inputs to decide.
struct StepState {
    virtual ~StepState() = default;
};

/// The state slot of the step whose kernel runs on this thread: set by the
/// scheduler around the kernel call (StepStateScope); null when a kernel is
/// called outside a plan (tests, direct calls), which then keeps nothing.
/// Kernels read it on the calling thread, before they fan out to the pool.
std::unique_ptr<StepState>* currentStepState();

/// The current step's state as a T, made on first use (or when the slot holds
/// another type); null outside a plan.
template <class T> T* currentStepStateAs() {
    std::unique_ptr<StepState>* slot = currentStepState();
    if (!slot) return nullptr;
    T* state = dynamic_cast<T*>(slot->get());
    if (!state) slot->reset(state = new T);
    return state;
}

/// Makes `slot` the current step state for its lifetime, then restores the previous one.
class StepStateScope {
public:
    explicit StepStateScope(std::unique_ptr<StepState>* slot);
    ~StepStateScope();
    StepStateScope(const StepStateScope&) = delete;
    StepStateScope& operator=(const StepStateScope&) = delete;

private:
    std::unique_ptr<StepState>* mPrevious;
};

} // namespace fibnlr
