#include <catch2/catch.hpp>

#include <set>

#include "MergeTestUtils.hpp"
#include "fibnlr/operator/OperatorList.hpp"
#include "fibnlr/recipes/PlanDepth.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {

constexpr std::size_t kExpand = 16, kCh = 2, kSize = 8, kClasses = 10;

/// An inverted-residual-style block on 2 channels expanded to 16: merging it
/// (1×1 2→16, depthwise 3×3, 1×1 16→2) into one dense 3×3 2→2 conv cuts its
/// MACs per pixel from 2·16 + 9·16 + 16·2 = 208 to 36, but only when both of
/// its ReLUs are gone; with one left, each possible merge costs more than the pair it replaces.
Port block(GraphView& g, const std::string& p, const Port& in, std::mt19937& rng) {
    NodePtr e = addNode(g, "Conv", p + "_expand", {in},
                        {{"W", randomTensor({kExpand, kCh, 1, 1}, rng, 0.7f)}, {"B", randomTensor({kExpand}, rng, 0.1f)}});
    NodePtr r1 = addNode(g, "ReLU", p + "_relu1", {out(e)});
    NodePtr d = addNode(g, "Conv", p + "_dw", {out(r1)},
                        {{"W", randomTensor({kExpand, 1, 3, 3}, rng, 0.4f)}, {"B", randomTensor({kExpand}, rng, 0.1f)}},
                        {{"group", static_cast<std::int64_t>(kExpand)}, {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
    NodePtr r2 = addNode(g, "ReLU", p + "_relu2", {out(d)});
    NodePtr pr = addNode(g, "Conv", p + "_project", {out(r2)},
                         {{"W", randomTensor({kCh, kExpand, 1, 1}, rng, 0.3f)}, {"B", randomTensor({kCh}, rng, 0.1f)}});
    return out(pr);
}

/// x ─ block A ─ Add(x) ─ ReLU relu_h ─ block B ─ Flatten ─ Gemm → 10 logits.
std::shared_ptr<GraphView> twoBlockModel(unsigned seed = 0) {
    auto g = std::make_shared<GraphView>("two_blocks");
    std::mt19937 rng(seed);
    NodePtr x = addInput(*g, "x");
    Port a = block(*g, "A", out(x), rng);
    NodePtr add = addNode(*g, "Add", "add", {a, out(x)});
    NodePtr h = addNode(*g, "ReLU", "relu_h", {out(add)});
    Port b = block(*g, "B", out(h), rng);
    NodePtr flat = addNode(*g, "Flatten", "flatten", {b});
    NodePtr fc = addNode(*g, "Gemm", "fc", {out(flat)},
                         {{"B", randomTensor({kCh * kSize * kSize, kClasses}, rng, 0.3f)},
                          {"C", randomTensor({kClasses}, rng, 0.f)}});
    g->setOutputs({out(fc)});
    return g;
}

Tensor images(std::size_t n, unsigned seed = 1) {
    std::mt19937 rng(seed);
    return randomTensor({n, kCh, kSize, kSize}, rng);
}

std::vector<std::pair<std::string, std::string>> structure(const GraphView& g) {
    std::vector<std::pair<std::string, std::string>> s;
    for (const NodePtr& n : g.getNodes()) s.emplace_back(n->name(), n->type());
    return s;
}

/// The options most tests start from: MACs (deterministic costs) and a budget loose enough for both blocks.
PlanDepthOptions loose() {
    PlanDepthOptions o;
    o.objective = "macs";
    o.maxDivergence = 10.0;
    return o;
}

DepthPlan plan(const GraphView& g, const PlanDepthOptions& o = loose()) { return planDepth(g, images(256), o); }

double macs(const GraphView& g) {
    double m = 0;
    for (const LayerCost& c : layerCosts(g, {{1, kCh, kSize, kSize}})) m += c.macs;
    return m;
}

/// Mean KL(softmax(p) ‖ softmax(q)) over rows and the top-1 agreement, written
/// out here (not planDivergence) so the test checks the plan against an independent computation.
std::pair<double, double> klAndAgreement(const Tensor& p, const Tensor& q) {
    const std::size_t n = p.dims()[0], k = p.dims()[1];
    double kl = 0;
    std::size_t agree = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const float* a = p.data<float>() + i * k;
        const float* b = q.data<float>() + i * k;
        double za = 0, zb = 0;
        for (std::size_t j = 0; j < k; ++j) {
            za += std::exp(static_cast<double>(a[j]));
            zb += std::exp(static_cast<double>(b[j]));
        }
        for (std::size_t j = 0; j < k; ++j) {
            const double pa = std::exp(static_cast<double>(a[j])) / za;
            const double pb = std::exp(static_cast<double>(b[j])) / zb;
            kl += pa * std::log(pa / pb);
        }
        agree += std::max_element(a, a + k) - a == std::max_element(b, b + k) - b;
    }
    return {kl / static_cast<double>(n), static_cast<double>(agree) / static_cast<double>(n)};
}

const std::set<std::string> kBlockA{"A_relu1", "A_relu2"}, kBlockB{"B_relu1", "B_relu2"};

} // namespace

TEST_CASE("planDepth: units are runs of chains, a block is picked only whole", "[recipes][PlanDepth]") {
    auto g = twoBlockModel();
    const std::vector<std::string> prepared{"A_relu1", "A_relu2", "relu_h", "B_relu1", "B_relu2"};
    // relu_h reaches B_relu1 through B_expand; A_relu2 stops at the residual Add.
    CHECK(planChains(*g, prepared) ==
          std::vector<std::vector<std::string>>{{"A_relu1", "A_relu2"}, {"relu_h", "B_relu1", "B_relu2"}});
    CHECK(planUnits(*g, prepared, "nonlinear_ops").size() == 5);
    CHECK(planUnits(*g, prepared, "macs").size() == 3 + 6);  // 2+1 runs of chain A, 1+2+3 of chain B

    const DepthPlan p = plan(*g);
    const std::set<std::string> picked(p.picked.begin(), p.picked.end());
    INFO("picked: " << picked.size());
    for (const auto& blk : {kBlockA, kBlockB}) {
        std::size_t in = 0;
        for (const std::string& n : blk) in += picked.count(n);
        CHECK((in == 0 || in == blk.size()));
    }
    CHECK(picked.count("A_relu1") == 1);
    CHECK(picked.count("B_relu1") == 1);
    for (const PlanCandidate& c : p.candidates) {
        if (c.nodes.size() == 1 && (kBlockA.count(c.nodes[0]) || kBlockB.count(c.nodes[0]))) {
            CHECK(c.gain == 0.0);
            CHECK_FALSE(c.picked);
        }
        CHECK_FALSE(c.why.empty());
    }
    // Two blocks of 64 pixels, 208 -> 36 MACs each: what the plan priced.
    CHECK(p.costBefore - p.costAfter == Approx(2.0 * 64 * (208 - 36)));
    for (const auto& [name, type] : p.pickedTypes) CHECK(type == "ReLU");
}

TEST_CASE("planDepth: the damage budget is respected", "[recipes][PlanDepth]") {
    auto g = twoBlockModel();
    const DepthPlan wide = plan(*g);
    const PlanCandidate* costly = nullptr;
    for (const PlanCandidate& c : wide.candidates)
        if (c.picked && (!costly || c.damage > costly->damage)) costly = &c;
    REQUIRE(costly != nullptr);
    REQUIRE(costly->damage > 0);
    PlanDepthOptions o = loose();
    o.maxDivergence = costly->damage * 0.5;
    const DepthPlan tight = plan(*g, o);
    CHECK(tight.divergence <= o.maxDivergence);
    const std::set<std::string> picked(tight.picked.begin(), tight.picked.end());
    bool whole = true;
    for (const std::string& n : costly->nodes) whole = whole && picked.count(n);
    CHECK_FALSE(whole);
    bool exceeded = false;
    for (const PlanCandidate& c : tight.candidates) exceeded = exceeded || c.why.find("exceed max_divergence") != std::string::npos;
    CHECK(exceeded);

    o.maxDivergence = 0.0;
    const DepthPlan nothing = plan(*g, o);
    CHECK(nothing.picked.empty());
    CHECK(nothing.ratio == 1.0);
    CHECK(nothing.divergence == 0.0);
}

TEST_CASE("planDepth: deterministic for a seed", "[recipes][PlanDepth]") {
    auto g = twoBlockModel();
    PlanDepthOptions o = loose();
    o.seed = 3;
    const DepthPlan a = plan(*g, o), b = plan(*g, o);
    REQUIRE(a.candidates.size() == b.candidates.size());
    for (std::size_t i = 0; i < a.candidates.size(); ++i) {
        CHECK(a.candidates[i].nodes == b.candidates[i].nodes);
        CHECK(a.candidates[i].gain == b.candidates[i].gain);
        CHECK(a.candidates[i].damage == b.candidates[i].damage);
        CHECK(a.candidates[i].nnpr == b.candidates[i].nnpr);
        CHECK(a.candidates[i].why == b.candidates[i].why);
    }
    CHECK(a.picked == b.picked);
    CHECK(a.divergence == b.divergence);
    o.seed = 4;  // another held-out split: other measured damages
    const DepthPlan c = plan(*g, o);
    std::vector<double> da, dc;
    for (const PlanCandidate& x : a.candidates) da.push_back(x.damage);
    for (const PlanCandidate& x : c.candidates) dc.push_back(x.damage);
    CHECK(da != dc);
}

TEST_CASE("applyPlan gives the outputs and the cost the plan predicted", "[recipes][PlanDepth]") {
    auto g = twoBlockModel();
    const Tensor holdout = images(64, 9);
    const Tensor before = run(*g->clone(), holdout);
    PlanDepthOptions o = loose();
    o.holdout = holdout;
    const DepthPlan p = plan(*g, o);
    REQUIRE_FALSE(p.picked.empty());
    const SimplifyResult r = applyPlan(*g, p);
    CHECK(r.merged.size() >= 2);
    for (const std::string& name : p.picked) {
        NodePtr n = g->getNode(name);
        CHECK((n == nullptr || n->type() != "ReLU"));
    }
    const Tensor after = run(*g, holdout);
    const auto [kl, agreement] = klAndAgreement(before, after);
    CHECK(kl > 0.0);
    CHECK(kl == Approx(p.divergence).epsilon(1e-3).margin(1e-5));
    CHECK(agreement == Approx(p.agreement));
    CHECK(macs(*g) == Approx(p.costAfter));
}

TEST_CASE("planDepth: a target stops the plan, an unreachable one is reported with the best found",
          "[recipes][PlanDepth]") {
    auto g = twoBlockModel();
    PlanDepthOptions o = loose();
    o.objective = "nonlinear_ops";
    o.target = 0.5;
    const DepthPlan ops = plan(*g, o);
    for (const PlanCandidate& c : ops.candidates) CHECK(c.nodes.size() == 1);
    CHECK(ops.targetReached == std::optional<bool>(true));
    CHECK(ops.ratio <= 0.5);
    // Evaluations per image: 16 channels × 64 pixels per block ReLU, 2 × 64 for relu_h.
    CHECK(ops.costBefore == 4 * 16 * 64 + 2 * 64);
    bool stopped = false;
    for (const PlanCandidate& c : ops.candidates) stopped = stopped || c.why == "target reached before this unit";
    CHECK(stopped);

    PlanDepthOptions far = loose();
    far.target = 100.0;
    const DepthPlan best = plan(*g, far);
    CHECK(best.targetReached == std::optional<bool>(false));
    CHECK(best.message.find("target 100 not reached") != std::string::npos);
    CHECK_FALSE(best.picked.empty());
    CHECK(best.ratio > 1.0);
    CHECK(best.ratio < 100.0);
    CHECK(plan(*g).targetReached == std::nullopt);  // no target, nothing to report
}

TEST_CASE("planDepth: the latency objective prices with the timer it is given", "[recipes][PlanDepth]") {
    auto g = twoBlockModel();
    std::size_t calls = 0;
    PlanDepthOptions o;
    o.objective = "latency";
    o.maxDivergence = 10.0;
    o.latencyRuntime = "layers-as-seconds";
    // A deterministic stand-in for a clock: one millisecond per compute layer.
    o.timer = [&calls](GraphView& graph, const Shape&) {
        ++calls;
        double layers = 0;
        for (const NodePtr& n : graph.getNodes()) layers += n->type() != "Producer" && n->type() != "Input";
        return 1e-3 * layers;
    };
    const DepthPlan p = planDepth(*g, images(256), o);
    CHECK(calls > 0);
    CHECK(p.latencyRuntime == "layers-as-seconds");
    CHECK(p.costBefore > 0);
    CHECK_FALSE(p.picked.empty());
    CHECK(p.costAfter < p.costBefore);
    CHECK(p.ratio == Approx(p.costBefore / p.costAfter));
}

TEST_CASE("planDepth: a latency gain needs layers merged, not a clock that drifts", "[recipes][PlanDepth]") {
    // x ─ block A ─ Conv c ─ ReLU r ─ MaxPool ─ Flatten ─ Gemm: removing r merges nothing (a pool
    // follows). Each timing is 5 % faster than the one before, timing noise at its worst: r's removal
    // must still price exactly as nothing removed (pricing each set by its own timing gave it a gain).
    auto g = std::make_shared<GraphView>("pooled");
    std::mt19937 rng(3);
    Port a = block(*g, "A", out(addInput(*g, "x")), rng);
    NodePtr c = addNode(*g, "Conv", "c", {a}, {{"W", randomTensor({kCh, kCh, 3, 3}, rng, 0.4f)}},
                        {{"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
    NodePtr r = addNode(*g, "ReLU", "r", {out(c)});
    NodePtr pool = addNode(*g, "MaxPool", "pool", {out(r)},
                           {}, {{"kernel_shape", std::vector<std::int64_t>{3, 3}}, {"pads", std::vector<std::int64_t>{1, 1, 1, 1}}});
    NodePtr flat = addNode(*g, "Flatten", "flatten", {out(pool)});
    NodePtr fc = addNode(*g, "Gemm", "fc", {out(flat)},
                         {{"B", randomTensor({kCh * kSize * kSize, kClasses}, rng, 0.3f)}, {"C", randomTensor({kClasses}, rng, 0.f)}});
    g->setOutputs({out(fc)});
    PlanDepthOptions o;
    o.objective = "latency";
    o.maxDivergence = 10.0;
    o.latencyRuntime = "drifting";
    double drift = 1.0;
    o.timer = [&drift](GraphView& graph, const Shape&) {
        drift *= 0.95;
        double layers = 0;
        for (const NodePtr& n : graph.getNodes()) layers += n->type() != "Producer" && n->type() != "Input";
        return drift * 1e-3 * layers;
    };
    const DepthPlan p = planDepth(*g, images(256), o);
    bool found = false;
    for (const PlanCandidate& cand : p.candidates)
        if (cand.nodes == std::vector<std::string>{"r"}) {
            found = true;
            CHECK(cand.gain == 0.0);
            CHECK_FALSE(cand.picked);
        }
    REQUIRE(found);
}

TEST_CASE("planDepth / applyPlan: bad input throws naming the value, graph unchanged", "[recipes][PlanDepth]") {
    auto g = twoBlockModel();
    const auto shape = structure(*g);
    auto throwsWith = [&](PlanDepthOptions o, const std::string& text, std::size_t n = 256) {
        INFO(text);
        try {
            planDepth(*g, images(n), o);
            FAIL("no exception");
        } catch (const std::invalid_argument& e) {
            CHECK_THAT(e.what(), Catch::Contains(text));
        }
        CHECK(structure(*g) == shape);
    };
    PlanDepthOptions o;
    o.objective = "speed";
    throwsWith(o, "objective 'speed' is not one of latency, macs, nonlinear_ops");
    o = {};
    o.maxDivergence = -0.1;
    throwsWith(o, "max_divergence must be a finite number >= 0, got -0.1");
    o = {};
    o.objective = "macs";
    o.target = 0.0;
    throwsWith(o, "target (speed-up) must be a finite number > 0, got 0");
    o = {};
    o.objective = "nonlinear_ops";
    o.target = 1.5;
    throwsWith(o, "target (fraction of non-linear evaluations left) must be a finite number > 0 and <= 1, got 1.5");
    o = {};
    o.mode = "fast";
    throwsWith(o, "mode 'fast' is not one of exact, approximate");
    o = {};
    o.latencyRuntime = "tvm";
    throwsWith(o, "latency_runtime 'tvm' needs a timer");
    o = {};
    o.objective = "macs";
    throwsWith(o, "calibration has 40 images; plan_depth needs at least 64 to hold out 32", 40);

    // applyPlan: a node missing, a node of another type, a node that is no
    // one-input non-linearity after valid ones: all refused before any change.
    const DepthPlan p = plan(*g);
    REQUIRE(p.picked.size() >= 2);
    auto other = twoBlockModel();
    other->replace({other->getNode("A_relu1")}, {});
    const auto otherShape = structure(*other);
    CHECK_THROWS_WITH(applyPlan(*other, p), Catch::Contains("node 'A_relu1' is not in graph 'two_blocks'"));
    CHECK(structure(*other) == otherShape);

    auto changed = twoBlockModel();
    changed->replace({changed->getNode("A_relu1")}, {Node::create(makeOperator("Sigmoid"), "A_relu1")});
    const auto changedShape = structure(*changed);
    CHECK_THROWS_WITH(applyPlan(*changed, p), Catch::Contains("node 'A_relu1' is a Sigmoid; the plan was made when it was a ReLU"));
    CHECK(structure(*changed) == changedShape);

    DepthPlan bad = p;
    bad.picked.push_back("add");  // two data inputs: not a non-linearity to linearise
    CHECK_THROWS_WITH(applyPlan(*g, bad), Catch::Contains("node 'add' (Add) has 2 data inputs"));
    CHECK(structure(*g) == shape);
}
