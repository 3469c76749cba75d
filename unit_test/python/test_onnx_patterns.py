"""Tests for fibnlr.onnx_io.patterns: activation chains fused into one
node (GELU), and the pattern table that drives the fusion."""

import math

import numpy as np
import pytest
import torch
from onnx import helper

from onnx_io_testlib import (
    assert_same_outputs, export_torch, float_info, load_onnx_io, make_model,
    normalize, op_types, random_feeds, run_model, tensor, with_opset)

checks = load_onnx_io("checks")
patterns = load_onnx_io("patterns")


class _LinearGelu(torch.nn.Module):
    def __init__(self, approximate="none"):
        super().__init__()
        self.fc = torch.nn.Linear(8, 8)
        self.gelu = torch.nn.GELU(approximate=approximate)

    def forward(self, x):
        return self.gelu(self.fc(x))


# --------------------------------------------------------------------------
# GELU from torch exports


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_torch_gelu_is_fused(approximate):
    original = export_torch(_LinearGelu(approximate), torch.randn(2, 8))
    normalized = normalize(original)
    assert op_types(normalized) == ["Gemm", "Gelu"]
    gelu = normalized.graph.node[1]
    assert helper.get_attribute_value(gelu.attribute[0]) == \
        approximate.encode()
    assert checks._default_opset(normalized) == 13
    runnable = with_opset(normalized, 20)
    for batch in (2, 5):
        assert_same_outputs(original, runnable, random_feeds((batch, 8)))


# --------------------------------------------------------------------------
# Hand-built GELU variants

_SQRT2 = math.sqrt(2.0)


def _erf_gelu(variant):
    """0.5 * x * (1 + erf(x / sqrt2)) written in several exporter styles."""
    consts = [tensor("sqrt2", np.float32(_SQRT2)),
              tensor("inv_sqrt2", np.float32(1 / _SQRT2)),
              tensor("one", np.float32(1)), tensor("half", np.float32(0.5))]
    if variant == "div":
        scaled = helper.make_node("Div", ["x", "sqrt2"], ["s"])
    else:
        scaled = helper.make_node("Mul", ["inv_sqrt2", "x"], ["s"])
    nodes = [scaled, helper.make_node("Erf", ["s"], ["e"]),
             helper.make_node("Add", ["one", "e"], ["a"])]
    nodes += {
        "div": [helper.make_node("Mul", ["x", "a"], ["m"]),
                helper.make_node("Mul", ["m", "half"], ["y"])],
        "half_first": [helper.make_node("Mul", ["half", "a"], ["m"]),
                       helper.make_node("Mul", ["x", "m"], ["y"])],
        "half_x": [helper.make_node("Mul", ["half", "x"], ["m"]),
                   helper.make_node("Mul", ["a", "m"], ["y"])],
    }["div" if variant == "div" else variant]
    return make_model(nodes, [float_info("x", ["N", 6])],
                  [float_info("y", ["N", 6])], consts)


@pytest.mark.parametrize("variant", ["div", "half_first", "half_x"])
def test_erf_gelu_variants_are_fused(variant):
    original = _erf_gelu(variant)
    normalized = normalize(original)
    assert op_types(normalized) == ["Gelu"]
    assert list(normalized.graph.node[0].input) == ["x"]
    assert not normalized.graph.initializer
    assert_same_outputs(original, with_opset(normalized, 20),
                         random_feeds((3, 6)))


def test_gelu_with_shared_intermediate_is_not_fused():
    original = _erf_gelu("div")
    original.graph.output.append(float_info("e", ["N", 6]))
    normalized = normalize(original)
    assert "Erf" in op_types(normalized)
    assert "Gelu" not in op_types(normalized)


def test_native_gelu_is_kept():
    original = make_model([helper.make_node("Gelu", ["x"], ["y"])],
                      [float_info("x", [2, 3])], [float_info("y", [2, 3])],
                      opset=20)
    normalized = normalize(original)
    assert op_types(normalized) == ["Gelu"]
    assert_same_outputs(original, normalized, random_feeds((2, 3)))


# --------------------------------------------------------------------------
# The pattern table: one row per pattern, one driver


def _match_double_neg(m, first):
    """Neg(Neg(x)) -> Match with input x (a stand-in pattern for the table)."""
    second = m.reader(first.output[0], "Neg")
    if second is None:
        return None
    return patterns.Match([first.input[0]], [first, second],
                          second.output[0], {})


def _neg_chain(length):
    names = ["x"] + [f"n{i}" for i in range(1, length)] + ["y"]
    nodes = [helper.make_node("Neg", [a], [b], name=f"neg{i}")
             for i, (a, b) in enumerate(zip(names, names[1:]))]
    return make_model(nodes, [float_info("x", [2, 3])],
                      [float_info("y", [2, 3])])


def test_added_pattern_row_is_fused_by_the_driver(monkeypatch):
    row = patterns.Pattern("Identity", ("Neg",), _match_double_neg)
    monkeypatch.setattr(patterns, "PATTERNS", [*patterns.PATTERNS, row])
    original = _neg_chain(2)
    normalized = normalize(original)
    assert op_types(normalized) == ["Identity"]
    assert [n.name for n in normalized.graph.node] == ["Identity_0"]
    assert list(normalized.graph.node[0].input) == ["x"]
    assert_same_outputs(original, normalized, random_feeds((2, 3)))


def test_overlapping_matches_of_a_row_fuse_the_first():
    # Neg -> Neg -> Neg: the matches around the first and second Neg share
    # the second; only the first is fused.  (_fuse expects named nodes, as
    # normalize leaves them.)
    row = patterns.Pattern("Identity", ("Neg",), _match_double_neg)
    original = _neg_chain(3)
    normalized = with_opset(original, 13)
    patterns._fuse(normalized.graph, row)
    assert op_types(normalized) == ["Identity", "Neg"]
    feeds = random_feeds((2, 3))
    for ref, got in zip(run_model(original, feeds),
                        run_model(normalized, feeds), strict=True):
        np.testing.assert_array_equal(ref, got)
