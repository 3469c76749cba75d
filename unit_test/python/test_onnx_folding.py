"""Tests for fibnlr.onnx_io.folding: shape subgraphs and constants are
folded, following the batch-size rule of `normalize`."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st
from onnx import TensorProto, helper

from onnx_io_testlib import (
    ChannelShuffle, Flatten, assert_same_outputs, export_torch, initializer,
    make_model, normalize, op_types, random_feeds, run_model, tensor)


class _BatchZeros(torch.nn.Module):
    def forward(self, x):
        return torch.cat([x, torch.zeros(x.size(0), 4)], 1)


def test_flatten_view_folds_to_batch_free_reshape():
    original = export_torch(Flatten(), torch.randn(2, 3, 8, 8))
    normalized = normalize(original)
    assert op_types(normalized) == ["Conv", "Reshape", "Gemm"]
    reshape = normalized.graph.node[1]
    np.testing.assert_array_equal(initializer(normalized, reshape.input[1]),
                                  [0, -1])
    for batch in (2, 5):
        assert_same_outputs(original, normalized,
                            random_feeds((batch, 3, 8, 8)))


def test_channel_shuffle_folds_to_batch_free_reshapes():
    original = export_torch(ChannelShuffle(), torch.randn(2, 3, 4, 4))
    normalized = normalize(original)
    assert op_types(normalized) == ["Conv", "Reshape", "Transpose",
                                     "Reshape"]
    shapes = [initializer(normalized, node.input[1])
              for node in normalized.graph.node if node.op_type == "Reshape"]
    np.testing.assert_array_equal(shapes[0], [0, 2, 4, 4, 4])
    np.testing.assert_array_equal(shapes[1], [0, -1, 4, 4])
    for batch in (2, 1, 5):
        assert_same_outputs(original, normalized,
                            random_feeds((batch, 3, 4, 4)))


def test_batch_dependent_constant_needs_input_shapes():
    original = export_torch(_BatchZeros(), torch.randn(2, 3))
    with pytest.raises(ValueError, match=r"Shape.*'N'.*input_shapes"):
        normalize(original)
    normalized = normalize(original, {"x": [2, 3]})
    assert "Shape" not in op_types(normalized)
    assert "ConstantOfShape" not in op_types(normalized)
    # The folded zeros fix the batch size, so the input now declares it.
    dims = normalized.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [2, 3]
    assert normalized.graph.node[0].op_type == "Concat"
    assert_same_outputs(original, normalized, random_feeds((2, 3)))


def test_unknown_spatial_dims_leave_shape_subgraph_in_place():
    original = export_torch(ChannelShuffle(), torch.randn(2, 3, 4, 4),
                       axes={0: "N", 2: "H", 3: "W"})
    normalized = normalize(original)
    assert "Shape" in op_types(normalized)
    assert "Constant" not in op_types(normalized)
    for shape in ((2, 3, 4, 4), (5, 3, 6, 2)):
        assert_same_outputs(original, normalized, random_feeds(shape))
    pinned = normalize(original, {"x": [1, 3, 6, 2]})
    assert "Shape" not in op_types(pinned)
    assert_same_outputs(original, pinned, random_feeds((5, 3, 6, 2)))


def test_input_shapes_keep_unused_dynamic_batch():
    original = export_torch(Flatten(), torch.randn(2, 3, 8, 8))
    normalized = normalize(original, {"x": [1, 3, 8, 8]})
    dims = normalized.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N"
    assert_same_outputs(original, normalized, random_feeds((5, 3, 8, 8)))


# --------------------------------------------------------------------------
# Folded values agree with onnxruntime


@st.composite
def _slice_cases(draw):
    shape = draw(st.lists(st.integers(1, 5), min_size=1, max_size=3))
    axes = draw(st.permutations(range(len(shape))).map(
        lambda p: p[:draw(st.integers(1, len(shape)))]))
    bound = st.integers(-7, 7) | st.sampled_from([-2**62, 2**62])
    starts = [draw(bound) for _ in axes]
    ends = [draw(bound) for _ in axes]
    steps = [draw(st.integers(-3, 3).filter(bool)) for _ in axes]
    negative_axes = [a - len(shape) if draw(st.booleans()) else a
                     for a in axes]
    return shape, starts, ends, negative_axes, steps


@settings(max_examples=40, deadline=None, database=None)
@given(_slice_cases(), st.integers(-9, 9), st.integers(-4, 4).filter(bool))
def test_folded_shape_ops_match_onnxruntime(case, numerator, divisor):
    shape, starts, ends, axes, steps = case
    data = np.arange(math.prod(shape), dtype=np.int64).reshape(shape)
    inits = [tensor("data", data), tensor("starts", np.array(starts)),
             tensor("ends", np.array(ends)), tensor("axes", np.array(axes)),
             tensor("steps", np.array(steps)),
             tensor("num", np.array([numerator, -numerator])),
             tensor("den", np.array(divisor)),
             tensor("idx", np.array([-1, 0]))]
    nodes = [helper.make_node("Slice",
                              ["data", "starts", "ends", "axes", "steps"],
                              ["sliced"]),
             helper.make_node("Div", ["num", "den"], ["quotient"]),
             helper.make_node("Shape", ["data"], ["shape"]),
             helper.make_node("Gather", ["shape", "idx"], ["picked"])]
    outputs = [helper.make_tensor_value_info(name, TensorProto.INT64, None)
               for name in ("sliced", "quotient", "picked")]
    original = make_model(nodes, [], outputs, inits)
    normalized = normalize(original)
    assert not normalized.graph.node
    for ref, got in zip(run_model(original, {}), run_model(normalized, {}),
                        strict=True):
        np.testing.assert_array_equal(ref, got)
