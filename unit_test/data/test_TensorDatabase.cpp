#include <catch2/catch.hpp>

#include "fibnlr/data/TensorDatabase.hpp"

using namespace fibnlr;

namespace {
Tensor iota(Shape dims) {
    Tensor t(std::move(dims));
    for (std::size_t i = 0; i < t.size(); ++i) t.data<float>()[i] = static_cast<float>(i);
    return t;
}
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

TEST_CASE("TensorDatabase slices are views that keep the data alive", "[data]") {
    Tensor view;
    {
        TensorDatabase db({iota({6, 2})});
        view = db.slice(0, 2, 3);
    }
    CHECK(view.dims() == Shape{3, 2});
    CHECK(view.toVector<float>() == std::vector<float>{4, 5, 6, 7, 8, 9});
    TensorDatabase db({iota({6, 2})});
    CHECK_THROWS_AS(db.slice(0, 5, 2), std::invalid_argument);
}
