#include "fibnlr/kernels/StepState.hpp"

namespace fibnlr {

namespace {
thread_local std::unique_ptr<StepState>* gCurrent = nullptr;
}

std::unique_ptr<StepState>* currentStepState() { return gCurrent; }

StepStateScope::StepStateScope(std::unique_ptr<StepState>* slot) : mPrevious(gCurrent) { gCurrent = slot; }
StepStateScope::~StepStateScope() { gCurrent = mPrevious; }

} // namespace fibnlr
