// keptPackedWeights inside a compiled plan, through each conv kernel on the
// packed tile (conv2d_f32_packed, _direct, _pointwise): the step keeps the
// packed weights while the weights' TensorStamp is unchanged, and packs again
// after a write the API sees (kernels/cpu/PackedWeights.cpp, data/Tensor.hpp).
#include <catch2/catch.hpp>

#include "../../scheduler/SchedulerTestUtils.hpp"
#include "fibnlr/graph/Builder.hpp"
#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/operator/Producer.hpp"
#include "fibnlr/scheduler/Scheduler.hpp"

using namespace fibnlr;
using fibnlr::test::requireClose;
using fibnlr::test::rnd;
using fibnlr::test::run;

TEST_CASE("conv steps on the packed tile keep their packed weights until a write the API sees", "[kernels][cpu][plan]") {
    struct Case {
        const char* kernel;
        Shape w, x;
        std::vector<std::int64_t> pads;
    };
    const Case cases[] = {
        // K = 80·9 = 720 (three K blocks), M = 300 (not a multiple of MR), 4×4 map at batch 1: too few
        // tiles for Winograd and K too large for the direct kernel.
        {"conv2d_f32_packed_act", {300, 80, 3, 3}, {1, 80, 4, 4}, {1, 1, 1, 1}},
        {"conv2d_f32_direct_act", {30, 20, 3, 3}, {1, 20, 6, 5}, {1, 0, 1, 2}},
        {"conv2d_f32_pointwise_act", {40, 12, 1, 1}, {1, 12, 23, 29}, {0, 0, 0, 0}},
    };
    for (const Case& c : cases) {
        INFO(c.kernel);
        GraphView g{"packed"};
        const NodePtr x = addInput(g, "x");
        const NodePtr conv = addNode(g, "Conv", "conv", {out(x)},
                                     {{"W", rnd(c.w, -0.2f, 0.2f, 41)}, {"B", rnd({c.w[0]}, -0.1f, 0.1f, 42)}},
                                     {{"pads", c.pads}});
        const NodePtr relu = addNode(g, "ReLU", "relu", {out(conv)});
        g.setOutputs({out(relu)});
        const Tensor in = rnd(c.x, -1.f, 1.f, 43);
        auto reference = [&] {
            auto copy = g.clone();
            return run(*copy, "ref", in);
        };
        ProducerOp& weights = static_cast<ProducerOp&>(conv->getParent(1)->getOperator());

        const std::vector<float> first = run(g, "cpu", in);
        const std::vector<std::string> plan = dynamic_cast<Scheduler&>(*g.executor()).describePlan();
        CHECK(std::find(plan.begin(), plan.end(), std::string("conv+relu : ") + c.kernel) != plan.end());
        requireClose(first, reference());
        CHECK(forward(g, {in})[0].toVector<float>() == first);  // kept weights: the same result, bit for bit

        // A write through the mutable accessor counts: the weights are packed again.
        float* w = weights.value().data<float>();
        for (std::size_t i = 0; i < weights.value().size(); ++i) w[i] = -0.5f * w[i] + 0.01f;
        const std::vector<float> second = forward(g, {in})[0].toVector<float>();
        CHECK(second != first);
        requireClose(second, reference());

        // A write the API cannot see (through a const pointer, cast) is not noticed: the
        // documented rule. The step keeps using the weights it packed before.
        const Tensor& view = static_cast<const ProducerOp&>(weights).value();
        float* hidden = const_cast<float*>(view.data<float>());
        for (std::size_t i = 0; i < view.size(); ++i) hidden[i] *= 2.f;
        CHECK(forward(g, {in})[0].toVector<float>() == second);

        // markWritten() declares it: the next forward packs the new weights.
        view.markWritten();
        const std::vector<float> third = forward(g, {in})[0].toVector<float>();
        CHECK(third != second);
        requireClose(third, reference());
    }
}
