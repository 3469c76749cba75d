#include <catch2/catch.hpp>

#include "fibnlr/operator/Producer.hpp"

using namespace fibnlr;

TEST_CASE("ProducerOp: shape from its tensor, clone shares, deepClone copies", "[operator][Producer]") {
    ProducerOp op(Tensor::fromVector<float>({2, 3}, {1, 2, 3, 4, 5, 6}));
    CHECK(op.nbInputs() == 0);
    CHECK(op.inferShapes({}).at(0) == Shape{2, 3});
    const auto shallow = std::static_pointer_cast<ProducerOp>(op.clone());
    const auto deep = std::static_pointer_cast<ProducerOp>(op.deepClone());
    op.value().data<float>()[0] = 42;
    CHECK(shallow->value().data<float>()[0] == 42);
    CHECK(deep->value().data<float>()[0] == 1);
    CHECK(ProducerOp().inferShapes({}).at(0) == Shape{});
}

TEST_CASE("InputOp: no inputs, shape only from compile", "[operator][Producer]") {
    InputOp op;
    CHECK(op.nbInputs() == 0);
    REQUIRE_THROWS_WITH(op.inferShapes({}), Catch::Contains("compile"));
}

TEST_CASE("ProducerOp::assign copies in place as one write, refuses another shape or type whole",
          "[operator][Producer]") {
    ProducerOp op(Tensor::fromVector<float>({2}, {1, 2}));
    const Tensor view = op.value();
    const TensorStamp before = view.stamp();
    op.assign(Tensor::fromVector<float>({2}, {5, 6}), "conv parameter W");
    CHECK(view.toVector<float>() == std::vector<float>{5, 6});
    CHECK(view.stamp() != before);
    const TensorStamp after = view.stamp();
    REQUIRE_THROWS_WITH(op.assign(Tensor::fromVector<float>({3}, {0, 0, 0}), "conv parameter W"),
                        Catch::Contains("conv parameter W: shape [3] given, [2] expected"));
    REQUIRE_THROWS_WITH(op.assign(Tensor::fromVector<std::int64_t>({2}, {0, 0}), "conv parameter W"),
                        Catch::Contains("element type int64 given, float32 expected"));
    CHECK(view.toVector<float>() == std::vector<float>{5, 6});
    CHECK(view.stamp() == after);
}
