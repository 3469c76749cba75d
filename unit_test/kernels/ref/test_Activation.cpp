#include <cmath>

#include "RefRun.hpp"
#include "fibnlr/kernels/ref/Activation.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
const std::vector<float> xs{-3.f, -1.f, -0.5f, 0.f, 0.5f, 1.f, 3.f, 7.f};

std::vector<float> unary(const std::string& type, const AttrList& attrs = {}) {
    const Tensor y = runRef(type, {tensor({2, 1, 4}, xs)}, attrs);
    REQUIRE(y.dims() == Shape{2, 1, 4});
    return y.toVector<float>();
}
} // namespace

TEST_CASE("Activation ref: hand-computed values", "[kernels][ref][Activation]") {
    requireClose(unary("ReLU"), {0, 0, 0, 0, 0.5f, 1, 3, 7});
    requireClose(unary("LeakyReLU", {{"alpha", 0.1f}}), {-0.3f, -0.1f, -0.05f, 0, 0.5f, 1, 3, 7});
    requireClose(unary("Clip", {{"min", 0.f}, {"max", 6.f}}), {0, 0, 0, 0, 0.5f, 1, 3, 6});
    // HardSigmoid = clip(0.2x + 0.5, 0, 1); HardSwish = x · clip(x/6 + 1/2, 0, 1)
    requireClose(unary("HardSigmoid"), {0, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 1, 1});
    requireClose(unary("HardSwish"), {0, -1.f / 3, -5.f / 24, 0, 7.f / 24, 2.f / 3, 3, 7});
    requireClose(unary("Identity"), xs);
    requireClose(unary("Dropout", {{"ratio", 0.3f}}), xs);
}

TEST_CASE("Activation ref: transcendental values", "[kernels][ref][Activation]") {
    // GELU(x) = x·Φ(x): Φ(1) = 0.8413447, Φ(0.5) = 0.6914625, Φ(3) = 0.9986501
    const std::vector<float> gelu = unary("GELU");
    CHECK(gelu[5] == Approx(0.8413447));
    CHECK(gelu[1] == Approx(-1 + 0.8413447));
    CHECK(gelu[4] == Approx(0.5 * 0.6914625));
    CHECK(gelu[6] == Approx(3 * 0.9986501));
    CHECK(gelu[3] == 0.f);
    // tanh form: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715x³))) = 0.8411920 at 1
    CHECK(unary("GELU", {{"approximate", std::string("tanh")}})[5] == Approx(0.8411920));
    const std::vector<float> sig = unary("Sigmoid");
    CHECK(sig[3] == Approx(0.5));
    CHECK(sig[5] == Approx(0.7310586));
    CHECK(sig[0] == Approx(0.0474259));
    const std::vector<float> th = unary("Tanh");
    CHECK(th[4] == Approx(0.4621172));
    CHECK(th[1] == Approx(-0.7615942));
}

TEST_CASE("Activation ref: awkward size matches the scalar definitions", "[kernels][ref][Activation]") {
    const Tensor x = randomTensor({3, 13, 5, 7}, 7);
    const std::vector<float> got = runRef("LeakyReLU", {x}, {{"alpha", 0.2f}}).toVector<float>();
    const std::vector<float> gelu = runRef("GELU", {x}).toVector<float>();
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float v = x.data<float>()[i];
        REQUIRE(got[i] == (v >= 0 ? v : 0.2f * v));
        REQUIRE(gelu[i] == geluRef(v));
    }
}
