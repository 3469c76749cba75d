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

TEST_CASE("Tensor stamps change with every non-const access, by any copy, and never repeat across storages",
          "[data][Tensor]") {
    Tensor t({4});
    const Tensor& ct = t;
    const TensorStamp s0 = t.stamp();
    REQUIRE(s0.storage != 0);
    (void)ct.data<float>();  // a const read is not a write
    (void)ct.rawData();
    REQUIRE(t.stamp() == s0);
    Tensor view = t.reshaped({2, 2});  // copies and views share the count
    view.data<float>()[0] = 1.f;
    const TensorStamp s1 = t.stamp();
    REQUIRE(s1 != s0);
    REQUIRE(s1.storage == s0.storage);
    REQUIRE(view.stamp() == s1);
    (void)t.rawData();
    REQUIRE(t.stamp() != s1);
    const TensorStamp s2 = t.stamp();
    ct.markWritten();  // a write the API could not see, declared
    REQUIRE(t.stamp() != s2);
    t.resize({2, 2});  // same bytes, other meaning
    REQUIRE(t.stamp() != s2);
    const TensorStamp s3 = t.stamp();
    t.resize({8});  // new storage
    REQUIRE(t.stamp().storage != s3.storage);
    REQUIRE(t.clone().stamp().storage != t.stamp().storage);
    REQUIRE(Tensor().stamp().storage == 0);
    float buf[2] = {0, 0};
    const Tensor w1 = Tensor::wrap(buf, {2}, DataType::Float32, nullptr);
    const Tensor w2 = Tensor::wrap(buf, {2}, DataType::Float32, nullptr);
    REQUIRE(w1.stamp() != w2.stamp());  // two wraps of one buffer are two storages
}
