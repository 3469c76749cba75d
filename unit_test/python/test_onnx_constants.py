"""Tests for fibnlr.onnx_io.constants: Constant nodes become initializers."""

import numpy as np
from onnx import helper, numpy_helper

from onnx_io_testlib import (
    RNG, assert_same_outputs, float_info, initializer, make_model, normalize,
    op_types, random_feeds, tensor)


def test_constant_nodes_become_initializers():
    weight = RNG.standard_normal((12, 4)).astype(np.float32)
    nodes = [
        helper.make_node("Constant", [], ["w"],
                         value=numpy_helper.from_array(weight)),
        helper.make_node("Constant", [], ["shape"], value_ints=[0, -1]),
        helper.make_node("Constant", [], ["scale"], value_float=2.0),
        helper.make_node("Reshape", ["x", "shape"], ["flat"]),
        helper.make_node("MatMul", ["flat", "w"], ["m"]),
        helper.make_node("Mul", ["m", "scale"], ["y"]),
    ]
    original = make_model(nodes, [float_info("x", ["N", 3, 4])],
                      [float_info("y", ["N", 4])])
    normalized = normalize(original)
    assert op_types(normalized) == ["Reshape", "MatMul", "Mul"]
    np.testing.assert_array_equal(initializer(normalized, "w"), weight)
    assert initializer(normalized, "scale").dtype == np.float32
    for batch in (2, 5):
        assert_same_outputs(original, normalized, random_feeds((batch, 3, 4)))


def test_constant_of_shape_weight_is_folded():
    nodes = [
        helper.make_node("Constant", [], ["wshape"], value_ints=[6, 4]),
        helper.make_node("ConstantOfShape", ["wshape"], ["w"],
                         value=tensor("v", np.array([0.25], np.float32))),
        helper.make_node("MatMul", ["x", "w"], ["y"]),
    ]
    original = make_model(nodes, [float_info("x", ["N", 6])],
                      [float_info("y", ["N", 4])])
    normalized = normalize(original)
    assert op_types(normalized) == ["MatMul"]
    np.testing.assert_array_equal(initializer(normalized, "w"),
                                  np.full((6, 4), 0.25, np.float32))
    assert_same_outputs(original, normalized, random_feeds((3, 6)))
