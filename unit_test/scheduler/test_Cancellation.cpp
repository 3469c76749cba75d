#include <catch2/catch.hpp>

#include <stdexcept>

#include "../recipes/FIBNLRTestGraphs.hpp"
#include "fibnlr/data/TensorDatabase.hpp"
#include "fibnlr/recipes/FIBNLR.hpp"
#include "fibnlr/scheduler/Cancellation.hpp"

using namespace fibnlr;
using namespace fibnlr::test;

namespace {
struct Interrupted : std::runtime_error {
    Interrupted() : std::runtime_error("interrupted") {}
};
/// Installs a stop check that throws on its `n`-th call; removes it on scope exit.
struct StopAfter {
    std::shared_ptr<int> calls = std::make_shared<int>(0);
    explicit StopAfter(int n) {
        auto c = calls;
        setStopCheck([c, n] {
            if (++*c >= n) throw Interrupted();
        }, std::chrono::milliseconds(0));
    }
    ~StopAfter() { setStopCheck({}); }
};
} // namespace

TEST_CASE("checkStop runs the installed check; none installed does nothing", "[scheduler][cancellation]") {
    CHECK_NOTHROW(checkStop());
    {
        StopAfter stop(2);
        CHECK_NOTHROW(checkStop());
        CHECK_THROWS_AS(checkStop(), Interrupted);
    }
    CHECK_NOTHROW(checkStop());
}

TEST_CASE("checkStop is rate-limited by the interval", "[scheduler][cancellation]") {
    int calls = 0;
    setStopCheck([&calls] { ++calls; }, std::chrono::milliseconds(100000));
    for (int i = 0; i < 100; ++i) checkStop();
    setStopCheck({});
    CHECK(calls <= 1);
}

TEST_CASE("a stop during fibnlrCompute over a DataProvider ends it between batches, attributes restored",
          "[scheduler][cancellation]") {
    ResidualGraph r;
    compile(r.g, {"cpu", DataType::Float32, {{2, 4, 6, 6}}});
    fibnlrPrepare(r.g);
    FIBNLRParameters p;
    p.maxIteration = 0;
    p.convergenceThreshold = 0.0;
    auto db = std::make_shared<TensorDatabase>(std::vector<Tensor>{randomTensor({40, 4, 6, 6}, 1)});
    DataProvider provider(db, 2);
    fibnlrCompute(r.g, provider, p);  // some history to restore
    const NPR npr = get<NPR>(*r.relu1);
    const NNPR nnpr = get<NNPR>(*r.relu1);
    const ActivityTracker tracker = get<ActivityTracker>(*r.relu1);
    {
        StopAfter stop(5);  // the forward steps check too, so it fires within the first batches
        CHECK_THROWS_AS(fibnlrCompute(r.g, provider, p), Interrupted);
    }
    CHECK_FALSE(provider.done());  // stopped early, not at the end of the data
    CHECK(get<NPR>(*r.relu1) == npr);
    CHECK(get<NNPR>(*r.relu1) == nnpr);
    CHECK(get<ActivityTracker>(*r.relu1) == tracker);
    CHECK(r.g.hooks().count(kFIBNLRHookKey) == 0);  // measuring switched off again
    CHECK(fibnlrCompute(r.g, provider, p).size() == 20);  // and it runs again
}
