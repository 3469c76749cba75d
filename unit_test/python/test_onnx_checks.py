"""Tests for fibnlr.onnx_io.checks: graph structure, domains, opsets
(upgrade and rejection) and the input_shapes argument."""

import numpy as np
import pytest
from onnx import helper

from onnx_io_testlib import (
    RNG, assert_same_outputs, float_info, load_onnx_io, make_model,
    normalize, op_types, random_feeds, tensor)

checks = load_onnx_io("checks")


# --------------------------------------------------------------------------
# Opset upgrade and graph inputs


def _opset7_conv_bn():
    weights = {
        "w": RNG.standard_normal((4, 3, 3, 3)).astype(np.float32),
        "scale": RNG.uniform(0.5, 1.5, 4).astype(np.float32),
        "bias": RNG.standard_normal(4).astype(np.float32),
        "mean": RNG.standard_normal(4).astype(np.float32),
        "var": RNG.uniform(0.5, 1.5, 4).astype(np.float32),
        "unused": np.zeros(3, np.float32),
    }
    nodes = [
        helper.make_node("Conv", ["x", "w"], ["c"], kernel_shape=[3, 3],
                         pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"]),
        helper.make_node("BatchNormalization",
                         ["r", "scale", "bias", "mean", "var"], ["y"],
                         epsilon=1e-5),
    ]
    # Old exporters list every initializer as a graph input as well.
    inputs = [float_info("x", [1, 3, 6, 6])] + [
        float_info(name, list(value.shape))
        for name, value in weights.items()]
    model = make_model(nodes, inputs, [float_info("y", [1, 4, 6, 6])],
                   [tensor(n, v) for n, v in weights.items()], opset=7)
    model.ir_version = 3
    return model


def test_opset7_model_is_upgraded():
    original = _opset7_conv_bn()
    normalized = normalize(original)
    assert checks._default_opset(normalized) == 13
    assert [v.name for v in normalized.graph.input] == ["x"]
    assert sorted(t.name for t in normalized.graph.initializer) == [
        "bias", "mean", "scale", "var", "w"]
    assert op_types(normalized) == ["Conv", "Relu", "BatchNormalization"]
    assert_same_outputs(original, normalized, random_feeds((1, 3, 6, 6)))


# --------------------------------------------------------------------------
# Errors


def test_missing_initializer_is_reported():
    original = make_model([helper.make_node("Add", ["x", "bias"], ["y"],
                                        name="add_bias")],
                      [float_info("x", [2])], [float_info("y", [2])])
    with pytest.raises(ValueError,
                       match=r"'add_bias'.*'bias'.*missing initializer"):
        normalize(original)


def test_cycle_is_reported_with_its_nodes():
    nodes = [helper.make_node("Add", ["x", "c"], ["a"], name="first"),
             helper.make_node("Relu", ["a"], ["b"], name="second"),
             helper.make_node("Neg", ["b"], ["c"], name="third"),
             helper.make_node("Relu", ["x"], ["y"], name="outside")]
    original = make_model(nodes, [float_info("x", [2])],
                          [float_info("y", [2])])
    with pytest.raises(ValueError, match="cycle") as error:
        normalize(original)
    message = str(error.value)
    assert all(name in message for name in ("first", "second", "third"))
    assert "outside" not in message


@pytest.mark.parametrize("opset", [5, 22])
def test_unsupported_opset_is_rejected(opset):
    original = make_model([helper.make_node("Relu", ["x"], ["y"])],
                      [float_info("x", [2])], [float_info("y", [2])],
                      opset=opset)
    with pytest.raises(ValueError, match=rf"opset {opset}.*13\.\.21"):
        normalize(original)


def test_non_default_domain_is_rejected():
    nodes = [helper.make_node("FusedGemm", ["x", "x"], ["y"], name="fused",
                              domain="com.microsoft")]
    original = make_model(nodes, [float_info("x", [2, 2])],
                      [float_info("y", [2, 2])])
    original.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    with pytest.raises(ValueError, match=r"'fused'.*com\.microsoft.*Fused"):
        normalize(original)


@pytest.mark.parametrize("shape", [[0, 3], [-1, 3], [2.5, 3], [True, 3],
                                   ["N", 3]])
def test_bad_input_shapes_are_rejected(shape):
    original = make_model([helper.make_node("Relu", ["x"], ["y"])],
                      [float_info("x", ["N", 3])],
                      [float_info("y", ["N", 3])])
    with pytest.raises(ValueError, match="positive ints"):
        normalize(original, {"x": shape})
