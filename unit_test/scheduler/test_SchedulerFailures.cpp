// forward and compile give the strong guarantee: after any exception the
// graph's compiled state is as before and the call can be retried.
#include <catch2/catch.hpp>

#include <new>

#include "../recipes/FIBNLRTestGraphs.hpp"
#include "fibnlr/data/Allocation.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
/// The output of a fresh copy of `g` compiled for `x`'s shape (independent of `g`'s compiled state).
Tensor reference(const GraphView& g, const Tensor& x, const std::string& backend) {
    auto copy = g.clone();
    compile(*copy, {backend, DataType::Float32, {x.dims()}});
    return forward(*copy, {x})[0];
}
void checkClose(const Tensor& a, const Tensor& b) {
    REQUIRE(a.dims() == b.dims());
    auto va = a.toVector<float>(), vb = b.toVector<float>();
    for (std::size_t i = 0; i < va.size(); ++i) REQUIRE(va[i] == Approx(vb[i]).margin(1e-5));
}
} // namespace

TEST_CASE("forward retried after std::bad_alloc at every allocation of a re-plan gives correct outputs",
          "[scheduler][failures]") {
    for (const std::string backend : {"cpu", "ref"}) {
        ResidualGraph r;
        compile(r.g, {backend, DataType::Float32, {{2, 4, 6, 6}}});
        auto& sched = dynamic_cast<Scheduler&>(*r.g.executor());
        const Tensor x2 = randomTensor({2, 4, 6, 6}, 11), x3 = randomTensor({3, 4, 6, 6}, 12);
        const Tensor ref2 = reference(r.g, x2, backend), ref3 = reference(r.g, x3, backend);
        std::size_t failures = 0;
        for (std::size_t n = 1;; ++n) {
            testing::failAllocation(n);
            bool threw = false;
            try {
                forward(r.g, {x3});
            } catch (const std::bad_alloc&) {
                threw = true;
            }
            testing::failAllocation(0);
            if (!threw) break;  // the n-th allocation was past the call: every point was covered
            ++failures;
            // Exactly as before: compiled dims, plan and outputs of the old batch size.
            CHECK(sched.options().dims == std::vector<Shape>{{2, 4, 6, 6}});
            CHECK(sched.outputShape(*r.relu2)[0] == 2);
            checkClose(forward(r.g, {x2})[0], ref2);
            // A retry without the fault re-plans and gives the right answer, then goes back.
            checkClose(forward(r.g, {x3})[0], ref3);
            checkClose(forward(r.g, {x2})[0], ref2);
        }
        CHECK(failures >= 3);  // inputs, planned buffers and the output copy all allocate
        checkClose(forward(r.g, {x3})[0], ref3);
    }
}

TEST_CASE("compile that fails on std::bad_alloc keeps the previous compiled plan", "[scheduler][failures]") {
    ResidualGraph r;
    compile(r.g, {"cpu", DataType::Float32, {{2, 4, 6, 6}}});
    auto before = r.g.executor();
    const Tensor x2 = randomTensor({2, 4, 6, 6}, 5);
    const Tensor ref2 = reference(r.g, x2, "cpu");
    testing::failAllocation(1);
    CHECK_THROWS_AS(compile(r.g, {"cpu", DataType::Float32, {{5, 4, 6, 6}}}), std::bad_alloc);
    testing::failAllocation(0);
    CHECK(r.g.executor() == before);
    checkClose(forward(r.g, {x2})[0], ref2);
}

TEST_CASE("a forward whose graph changed re-plans aside: a failure keeps the old plan", "[scheduler][failures]") {
    ResidualGraph r;
    compile(r.g, {"cpu", DataType::Float32, {{2, 4, 6, 6}}});
    const Tensor x = randomTensor({2, 4, 6, 6}, 3);
    const std::vector<std::string> plan = dynamic_cast<Scheduler&>(*r.g.executor()).describePlan();
    r.g.touch();
    testing::failAllocation(1);
    CHECK_THROWS_AS(forward(r.g, {x}), std::bad_alloc);
    testing::failAllocation(0);
    CHECK(dynamic_cast<Scheduler&>(*r.g.executor()).describePlan() == plan);
    checkClose(forward(r.g, {x})[0], reference(r.g, x, "cpu"));
}
