#include <catch2/catch.hpp>

#include <thread>

#include "fibnlr/kernels/StepState.hpp"

using namespace fibnlr;

TEST_CASE("step state scopes nest, restore, and are per thread", "[kernels][state]") {
    std::unique_ptr<StepState> a, b;
    CHECK(currentStepState() == nullptr);
    {
        StepStateScope sa(&a);
        CHECK(currentStepState() == &a);
        {
            StepStateScope sb(&b);
            CHECK(currentStepState() == &b);
            std::unique_ptr<StepState>* seen = &a;
            std::thread([&] { seen = currentStepState(); }).join();
            CHECK(seen == nullptr);  // another thread runs no step
        }
        CHECK(currentStepState() == &a);
    }
    CHECK(currentStepState() == nullptr);
}
