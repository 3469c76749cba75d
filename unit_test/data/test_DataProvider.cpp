#include <catch2/catch.hpp>

#include <atomic>
#include <set>
#include <thread>

#include "fibnlr/data/DataProvider.hpp"
#include "fibnlr/data/TensorDatabase.hpp"

using namespace fibnlr;

namespace {
Tensor iota(Shape dims) {
    Tensor t(std::move(dims));
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] = static_cast<float>(i);
    return t;
}

/// A C++ database computing items on the fly; records which threads served it.
class CountingDatabase : public Database {
public:
    explicit CountingDatabase(std::size_t n) : mN(n) {}
    std::vector<Tensor> getItem(std::size_t index) const override {
        ++calls;
        Tensor t({2});
        t.data<float>()[0] = static_cast<float>(index);
        t.data<float>()[1] = -static_cast<float>(index);
        return {t};
    }
    std::size_t len() const override { return mN; }
    std::size_t getNbModalities() const override { return 1; }
    mutable std::atomic<int> calls{0};

private:
    std::size_t mN;
};
} // namespace

TEST_CASE("TensorDatabase items are views into the tensors", "[data]") {
    Tensor x = iota({5, 2, 3});
    Tensor y = iota({5});
    TensorDatabase db({x, y});
    CHECK(db.len() == 5);
    CHECK(db.getNbModalities() == 2);
    auto item = db.getItem(3);
    REQUIRE(item.size() == 2);
    CHECK(item[0].dims() == Shape{2, 3});
    CHECK(item[0].data<float>()[0] == 18.f);
    CHECK(item[0].rawData() == x.data<float>() + 18);  // no copy
    CHECK(item[1].data<float>()[0] == 3.f);
    CHECK_THROWS_AS(db.getItem(5), std::invalid_argument);
    CHECK_THROWS_WITH(TensorDatabase({x, iota({4})}), Catch::Contains("4 items"));
    CHECK_THROWS_AS(TensorDatabase({}), std::invalid_argument);
}

TEST_CASE("DataProvider batches in order, partial last batch, drop_last", "[data]") {
    auto db = std::make_shared<TensorDatabase>(std::vector<Tensor>{iota({5, 2})});
    DataProvider p(db, 2);
    CHECK(p.nbBatches() == 3);
    CHECK_FALSE(p.done());  // never iterated: not done
    std::vector<std::size_t> sizes;
    std::vector<float> firsts;
    while (!p.done()) {
        auto b = p.readBatch();
        sizes.push_back(b[0].dim(0));
        firsts.push_back(b[0].data<float>()[0]);
    }
    CHECK(sizes == std::vector<std::size_t>{2, 2, 1});
    CHECK(firsts == std::vector<float>{0.f, 4.f, 8.f});
    CHECK(p.readBatch().empty());
    p.resetEpoch();
    CHECK(p.readBatch()[0].rawData() == db->modalities()[0].rawData());  // consecutive rows: a view

    DataProvider dl(db, 2, false, true);
    CHECK(dl.nbBatches() == 2);
    int n = 0;
    while (!dl.done()) n += dl.readBatch().empty() ? 0 : 1;
    CHECK(n == 2);
    CHECK_THROWS_AS(DataProvider(db, 0), std::invalid_argument);
    CHECK_THROWS_AS(DataProvider(nullptr, 2), std::invalid_argument);
}

TEST_CASE("DataProvider shuffles deterministically with a seed, each item once per epoch", "[data]") {
    auto db = std::make_shared<TensorDatabase>(std::vector<Tensor>{iota({20, 1})});
    auto epoch = [](DataProvider& p) {
        std::vector<float> seen;
        while (!p.done())
            for (float v : p.readBatch()[0].toVector<float>()) seen.push_back(v);
        return seen;
    };
    DataProvider a(db, 3, true, false, 42), b(db, 3, true, false, 42);
    const auto ea = epoch(a), eb = epoch(b);
    CHECK(ea == eb);
    CHECK(std::set<float>(ea.begin(), ea.end()).size() == 20);
    std::vector<float> sorted(ea);
    std::sort(sorted.begin(), sorted.end());
    CHECK(sorted != ea);  // shuffled
    a.resetEpoch();
    CHECK(epoch(a) != ea);  // a new order next epoch
}

TEST_CASE("DataProvider over a C++ Database uses loader threads and assembles batches", "[data]") {
    auto db = std::make_shared<CountingDatabase>(7);
    DataProvider p(db, 4, false, false, 1, 3);
    auto b = p.readBatch();
    REQUIRE(b.size() == 1);
    CHECK(b[0].dims() == Shape{4, 2});
    CHECK(b[0].toVector<float>() == std::vector<float>{0, -0, 1, -1, 2, -2, 3, -3});
    CHECK(p.readBatch()[0].dims() == Shape{3, 2});
    CHECK(p.done());
    CHECK(db->calls == 7);
}
