#include <cmath>

#include "RefRun.hpp"
#include "fibnlr/operator/Activation.hpp"

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

TEST_CASE("Activation ref: the exponential family, values computed by hand", "[kernels][ref][Activation]") {
    // xs = {-3, -1, -0.5, 0, 0.5, 1, 3, 7}; e^-1 − 1 = −0.6321206, e^-3 − 1 = −0.9502129
    const std::vector<float> elu = unary("ELU");
    CHECK(elu[1] == Approx(-0.6321206));
    CHECK(elu[0] == Approx(-0.9502129));
    CHECK(elu[6] == 3.f);
    CHECK(unary("ELU", {{"alpha", 2.f}})[1] == Approx(-1.2642411));
    // SELU = γ·(x > 0 ? x : α(eˣ − 1)), α = 1.6732632, γ = 1.0507010
    const std::vector<float> selu = unary("SELU");
    CHECK(selu[1] == Approx(1.0507010 * 1.6732632 * -0.6321206));
    CHECK(selu[5] == Approx(1.0507010));
    // CELU_α(x) = max(0, x) + min(0, α(e^(x/α) − 1)): α = 2 at −1 gives 2(e^-0.5 − 1) = −0.7869387
    CHECK(unary("CELU", {{"alpha", 2.f}})[1] == Approx(-0.7869387));
    CHECK(unary("CELU", {{"alpha", 2.f}})[6] == 3.f);
    // Softplus = ln(1 + eˣ): ln 2 = 0.6931472 at 0, 1.3132617 at 1, 0.0485874 at −3
    const std::vector<float> sp = unary("Softplus");
    CHECK(sp[3] == Approx(0.6931472));
    CHECK(sp[5] == Approx(1.3132617));
    CHECK(sp[0] == Approx(0.0485874));
    // Mish = x·tanh(softplus(x)): tanh(1.3132617) = 0.8650984; SiLU = x·σ(x)
    CHECK(unary("Mish")[5] == Approx(0.8650984));
    CHECK(unary("Mish")[1] == Approx(-1 * std::tanh(0.3132617)));
    CHECK(unary("SiLU")[5] == Approx(0.7310586));
    CHECK(unary("SiLU")[1] == Approx(-0.2689414));
    requireClose(unary("ReLU6"), {0, 0, 0, 0, 0.5f, 1, 3, 6});
    // Far from 0: no overflow (softplus(100) = 100, Mish and SiLU(−100) ≈ 0).
    const Tensor far = runRef("Softplus", {tensor({4}, {100.f, -100.f, 1e30f, -1e30f})});
    requireClose(far.toVector<float>(), {100.f, 0.f, 1e30f, 0.f});
    requireClose(runRef("SiLU", {tensor({2}, {-100.f, 100.f})}).toVector<float>(), {0.f, 100.f});
    requireClose(runRef("Mish", {tensor({2}, {-100.f, 100.f})}).toVector<float>(), {0.f, 100.f});
}

TEST_CASE("Activation ref: awkward size matches the scalar definitions", "[kernels][ref][Activation]") {
    const Tensor x = randomTensor({3, 13, 5, 7}, 7);
    const std::vector<float> got = runRef("LeakyReLU", {x}, {{"alpha", 0.2f}}).toVector<float>();
    const std::vector<float> gelu = runRef("GELU", {x}).toVector<float>();
    for (std::size_t i = 0; i < x.size(); ++i) {
        const float v = x.data<float>()[i];
        REQUIRE(got[i] == (v >= 0 ? v : 0.2f * v));
        REQUIRE(gelu[i] == applyActivationRef({ActKind::GELU}, v));
    }
}
