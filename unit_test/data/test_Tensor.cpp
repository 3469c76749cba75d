#include <catch2/catch.hpp>

#include "fibnlr/data/Tensor.hpp"

using namespace fibnlr;

TEST_CASE("Tensor allocates zeroed, shares on copy, copies on clone", "[data][Tensor]") {
    Tensor t({2, 3});
    REQUIRE(t.size() == 6);
    REQUIRE(t.nbBytes() == 24);
    for (float v : t.toVector<float>()) REQUIRE(v == 0.f);
    Tensor shared = t;
    shared.data<float>()[4] = 7.f;
    REQUIRE(t.data<float>()[4] == 7.f);
    Tensor deep = t.clone();
    deep.data<float>()[4] = 1.f;
    REQUIRE(t.data<float>()[4] == 7.f);
    REQUIRE_FALSE(deep.sharesStorageWith(t));
}

TEST_CASE("Tensor::wrap borrows memory and keeps its owner alive", "[data][Tensor]") {
    auto owner = std::make_shared<std::vector<float>>(std::vector<float>{1, 2, 3, 4});
    std::weak_ptr<std::vector<float>> watch = owner;
    Tensor t = Tensor::wrap(owner->data(), {2, 2}, DataType::Float32, owner);
    owner.reset();
    REQUIRE_FALSE(watch.expired());
    REQUIRE(t.data<float>()[3] == 4.f);
    t = Tensor();
    REQUIRE(watch.expired());
}

TEST_CASE("Tensor reshaped views and resize", "[data][Tensor]") {
    Tensor t = Tensor::fromVector<float>({2, 3}, {0, 1, 2, 3, 4, 5});
    Tensor v = t.reshaped({3, 2});
    REQUIRE(v.sharesStorageWith(t));
    REQUIRE(v.dims() == Shape{3, 2});
    REQUIRE_THROWS_AS(t.reshaped({4, 2}), std::invalid_argument);
    const void* before = t.rawData();
    t.resize({6});
    REQUIRE(t.rawData() == before);
    t.resize({7});
    REQUIRE(t.size() == 7);
    REQUIRE(t.data<float>()[6] == 0.f);
}

TEST_CASE("Tensor holds int64 and names its dtype", "[data][Tensor]") {
    Tensor t = Tensor::fromVector<std::int64_t>({3}, {-1, 0, 5});
    REQUIRE(t.dataType() == DataType::Int64);
    REQUIRE(toString(t.dataType()) == "int64");
    REQUIRE(t.toVector<std::int64_t>() == std::vector<std::int64_t>{-1, 0, 5});
    REQUIRE(toString(Shape{2, 3}) == "[2, 3]");
}
