"""Tests for fibnlr.onnx_io.preprocess (ONNX normalisation before import)."""

import importlib.util
import io
import math
import pathlib
import sys
import types
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch
from hypothesis import given, settings, strategies as st
from onnx import TensorProto, helper, numpy_helper


def _load_preprocess():
    # Loaded by path so the test needs neither the compiled fibnlr core
    # (imported by fibnlr/__init__.py) nor an installed package.  A stand-in
    # parent package lets preprocess.py import its sibling validate.py.
    folder = (pathlib.Path(__file__).resolve().parents[2] / "python" / "fibnlr"
              / "onnx_io")
    package = types.ModuleType("fibnlr_onnx_io")
    package.__path__ = [str(folder)]
    sys.modules[package.__name__] = package
    for name in ("validate", "preprocess"):
        spec = importlib.util.spec_from_file_location(
            f"{package.__name__}.{name}", folder / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return module


preprocess = _load_preprocess()
normalize = preprocess.normalize

RNG = np.random.default_rng(0)


# --------------------------------------------------------------------------
# Helpers


def _run(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def _assert_same_outputs(original, normalized, feeds):
    for ref, got in zip(_run(original, feeds), _run(normalized, feeds),
                        strict=True):
        assert ref.shape == got.shape
        tolerance = 1e-5 * max(float(np.max(np.abs(ref))), 1e-30)
        assert float(np.max(np.abs(ref - got))) <= tolerance


def _with_opset(model, version):
    """Copy with a different default opset, e.g. so ORT accepts Gelu."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for opset in copy.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = version
    return copy


def _op_types(model):
    return [node.op_type for node in model.graph.node]


def _initializer(model, name):
    for tensor in model.graph.initializer:
        if tensor.name == name:
            return numpy_helper.to_array(tensor)
    raise KeyError(name)


def _export(module, example, axes=None):
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the legacy exporter is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module.eval(), (example,), buffer, dynamo=False, opset_version=13,
            input_names=["x"], output_names=["y"],
            dynamic_axes={"x": axes or {0: "N"}})
    return onnx.load_from_string(buffer.getvalue())


def _feeds(shape):
    return {"x": RNG.standard_normal(shape).astype(np.float32)}


def _model(nodes, inputs, outputs, initializers=(), opset=13):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph,
                             opset_imports=[helper.make_opsetid("", opset)])


def _float_info(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def _tensor(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


# --------------------------------------------------------------------------
# Torch exports with a dynamic batch axis


class _Flatten(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.fc = torch.nn.Linear(4 * 6 * 6, 5)

    def forward(self, x):
        y = self.conv(x)
        return self.fc(y.view(y.size(0), -1))


class _ChannelShuffle(torch.nn.Module):
    def __init__(self, groups=2):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 1)
        self.groups = groups

    def forward(self, x):
        x = self.conv(x)
        b, c, h, w = x.size()
        x = x.view(b, self.groups, c // self.groups, h, w)
        x = torch.transpose(x, 1, 2).contiguous()
        return x.view(b, -1, h, w)


class _LinearGelu(torch.nn.Module):
    def __init__(self, approximate="none"):
        super().__init__()
        self.fc = torch.nn.Linear(8, 8)
        self.gelu = torch.nn.GELU(approximate=approximate)

    def forward(self, x):
        return self.gelu(self.fc(x))


class _BatchZeros(torch.nn.Module):
    def forward(self, x):
        return torch.cat([x, torch.zeros(x.size(0), 4)], 1)


def test_flatten_view_folds_to_batch_free_reshape():
    original = _export(_Flatten(), torch.randn(2, 3, 8, 8))
    normalized = normalize(original)
    assert _op_types(normalized) == ["Conv", "Reshape", "Gemm"]
    reshape = normalized.graph.node[1]
    np.testing.assert_array_equal(_initializer(normalized, reshape.input[1]),
                                  [0, -1])
    for batch in (2, 5):
        _assert_same_outputs(original, normalized, _feeds((batch, 3, 8, 8)))


def test_channel_shuffle_folds_to_batch_free_reshapes():
    original = _export(_ChannelShuffle(), torch.randn(2, 3, 4, 4))
    normalized = normalize(original)
    assert _op_types(normalized) == ["Conv", "Reshape", "Transpose",
                                     "Reshape"]
    shapes = [_initializer(normalized, node.input[1])
              for node in normalized.graph.node if node.op_type == "Reshape"]
    np.testing.assert_array_equal(shapes[0], [0, 2, 4, 4, 4])
    np.testing.assert_array_equal(shapes[1], [0, -1, 4, 4])
    for batch in (2, 1, 5):
        _assert_same_outputs(original, normalized, _feeds((batch, 3, 4, 4)))


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_torch_gelu_is_fused(approximate):
    original = _export(_LinearGelu(approximate), torch.randn(2, 8))
    normalized = normalize(original)
    assert _op_types(normalized) == ["Gemm", "Gelu"]
    gelu = normalized.graph.node[1]
    assert helper.get_attribute_value(gelu.attribute[0]) == \
        approximate.encode()
    assert preprocess._default_opset(normalized) == 13
    runnable = _with_opset(normalized, 20)
    for batch in (2, 5):
        _assert_same_outputs(original, runnable, _feeds((batch, 8)))


def test_batch_dependent_constant_needs_input_shapes():
    original = _export(_BatchZeros(), torch.randn(2, 3))
    with pytest.raises(ValueError, match=r"Shape.*'N'.*input_shapes"):
        normalize(original)
    normalized = normalize(original, {"x": [2, 3]})
    assert "Shape" not in _op_types(normalized)
    assert "ConstantOfShape" not in _op_types(normalized)
    # The folded zeros fix the batch size, so the input now declares it.
    dims = normalized.graph.input[0].type.tensor_type.shape.dim
    assert [d.dim_value for d in dims] == [2, 3]
    assert normalized.graph.node[0].op_type == "Concat"
    _assert_same_outputs(original, normalized, _feeds((2, 3)))


def test_unknown_spatial_dims_leave_shape_subgraph_in_place():
    original = _export(_ChannelShuffle(), torch.randn(2, 3, 4, 4),
                       axes={0: "N", 2: "H", 3: "W"})
    normalized = normalize(original)
    assert "Shape" in _op_types(normalized)
    assert "Constant" not in _op_types(normalized)
    for shape in ((2, 3, 4, 4), (5, 3, 6, 2)):
        _assert_same_outputs(original, normalized, _feeds(shape))
    pinned = normalize(original, {"x": [1, 3, 6, 2]})
    assert "Shape" not in _op_types(pinned)
    _assert_same_outputs(original, pinned, _feeds((5, 3, 6, 2)))


def test_input_shapes_keep_unused_dynamic_batch():
    original = _export(_Flatten(), torch.randn(2, 3, 8, 8))
    normalized = normalize(original, {"x": [1, 3, 8, 8]})
    dims = normalized.graph.input[0].type.tensor_type.shape.dim
    assert dims[0].dim_param == "N"
    _assert_same_outputs(original, normalized, _feeds((5, 3, 8, 8)))


# --------------------------------------------------------------------------
# Hand-built GELU variants

_SQRT2 = math.sqrt(2.0)


def _erf_gelu(variant):
    """0.5 * x * (1 + erf(x / sqrt2)) written in several exporter styles."""
    consts = [_tensor("sqrt2", np.float32(_SQRT2)),
              _tensor("inv_sqrt2", np.float32(1 / _SQRT2)),
              _tensor("one", np.float32(1)), _tensor("half", np.float32(0.5))]
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
    return _model(nodes, [_float_info("x", ["N", 6])],
                  [_float_info("y", ["N", 6])], consts)


@pytest.mark.parametrize("variant", ["div", "half_first", "half_x"])
def test_erf_gelu_variants_are_fused(variant):
    original = _erf_gelu(variant)
    normalized = normalize(original)
    assert _op_types(normalized) == ["Gelu"]
    assert list(normalized.graph.node[0].input) == ["x"]
    assert not normalized.graph.initializer
    _assert_same_outputs(original, _with_opset(normalized, 20),
                         _feeds((3, 6)))


def test_gelu_with_shared_intermediate_is_not_fused():
    original = _erf_gelu("div")
    original.graph.output.append(_float_info("e", ["N", 6]))
    normalized = normalize(original)
    assert "Erf" in _op_types(normalized)
    assert "Gelu" not in _op_types(normalized)


def test_native_gelu_is_kept():
    original = _model([helper.make_node("Gelu", ["x"], ["y"])],
                      [_float_info("x", [2, 3])], [_float_info("y", [2, 3])],
                      opset=20)
    normalized = normalize(original)
    assert _op_types(normalized) == ["Gelu"]
    _assert_same_outputs(original, normalized, _feeds((2, 3)))


# --------------------------------------------------------------------------
# Constants


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
    original = _model(nodes, [_float_info("x", ["N", 3, 4])],
                      [_float_info("y", ["N", 4])])
    normalized = normalize(original)
    assert _op_types(normalized) == ["Reshape", "MatMul", "Mul"]
    np.testing.assert_array_equal(_initializer(normalized, "w"), weight)
    assert _initializer(normalized, "scale").dtype == np.float32
    for batch in (2, 5):
        _assert_same_outputs(original, normalized, _feeds((batch, 3, 4)))


def test_constant_of_shape_weight_is_folded():
    nodes = [
        helper.make_node("Constant", [], ["wshape"], value_ints=[6, 4]),
        helper.make_node("ConstantOfShape", ["wshape"], ["w"],
                         value=_tensor("v", np.array([0.25], np.float32))),
        helper.make_node("MatMul", ["x", "w"], ["y"]),
    ]
    original = _model(nodes, [_float_info("x", ["N", 6])],
                      [_float_info("y", ["N", 4])])
    normalized = normalize(original)
    assert _op_types(normalized) == ["MatMul"]
    np.testing.assert_array_equal(_initializer(normalized, "w"),
                                  np.full((6, 4), 0.25, np.float32))
    _assert_same_outputs(original, normalized, _feeds((3, 6)))


# --------------------------------------------------------------------------
# Opset upgrade, graph inputs, names


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
    inputs = [_float_info("x", [1, 3, 6, 6])] + [
        _float_info(name, list(value.shape))
        for name, value in weights.items()]
    model = _model(nodes, inputs, [_float_info("y", [1, 4, 6, 6])],
                   [_tensor(n, v) for n, v in weights.items()], opset=7)
    model.ir_version = 3
    return model


def test_opset7_model_is_upgraded():
    original = _opset7_conv_bn()
    normalized = normalize(original)
    assert preprocess._default_opset(normalized) == 13
    assert [v.name for v in normalized.graph.input] == ["x"]
    assert sorted(t.name for t in normalized.graph.initializer) == [
        "bias", "mean", "scale", "var", "w"]
    assert _op_types(normalized) == ["Conv", "Relu", "BatchNormalization"]
    _assert_same_outputs(original, normalized, _feeds((1, 3, 6, 6)))


def test_tensors_read_only_by_subgraphs_are_kept():
    def branch(name, op):
        return helper.make_graph([helper.make_node(op, ["a", "k"], [name])],
                                 name, [], [_float_info(name, [2, 3])])

    nodes = [helper.make_node("Constant", [], ["k"], value_float=2.0),
             helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("If", ["cond"], ["y"],
                              then_branch=branch("t", "Mul"),
                              else_branch=branch("e", "Sub"))]
    inputs = [_float_info("x", [2, 3]),
              helper.make_tensor_value_info("cond", TensorProto.BOOL, [])]
    original = _model(nodes, inputs, [_float_info("y", [2, 3])])
    normalized = normalize(original)
    assert _op_types(normalized) == ["Relu", "If"]
    assert [t.name for t in normalized.graph.initializer] == ["k"]
    for cond in (True, False):
        feeds = {**_feeds((2, 3)), "cond": np.array(cond)}
        _assert_same_outputs(original, normalized, feeds)


def test_every_node_gets_a_unique_name():
    nodes = [helper.make_node("Relu", ["x"], ["a"]),
             helper.make_node("Relu", ["a"], ["b"], name="Relu_0"),
             helper.make_node("Neg", ["b"], ["c"], name="dup"),
             helper.make_node("Neg", ["c"], ["y"], name="dup")]
    original = _model(nodes, [_float_info("x", [2])], [_float_info("y", [2])])
    names = [node.name for node in normalize(original).graph.node]
    assert all(names) and len(set(names)) == len(names)
    assert names[1:3] == ["Relu_0", "dup"]


def test_input_model_is_not_modified():
    original = _export(_ChannelShuffle(), torch.randn(2, 3, 4, 4))
    before = original.SerializeToString()
    normalize(original, {"x": [2, 3, 4, 4]})
    assert original.SerializeToString() == before


# --------------------------------------------------------------------------
# Errors


def test_missing_initializer_is_reported():
    original = _model([helper.make_node("Add", ["x", "bias"], ["y"],
                                        name="add_bias")],
                      [_float_info("x", [2])], [_float_info("y", [2])])
    with pytest.raises(ValueError,
                       match=r"'add_bias'.*'bias'.*missing initializer"):
        normalize(original)


def test_cycle_is_reported_with_its_nodes():
    nodes = [helper.make_node("Add", ["x", "c"], ["a"], name="first"),
             helper.make_node("Relu", ["a"], ["b"], name="second"),
             helper.make_node("Neg", ["b"], ["c"], name="third"),
             helper.make_node("Relu", ["x"], ["y"], name="outside")]
    original = _model(nodes, [_float_info("x", [2])], [_float_info("y", [2])])
    with pytest.raises(ValueError, match="cycle") as error:
        normalize(original)
    message = str(error.value)
    assert all(name in message for name in ("first", "second", "third"))
    assert "outside" not in message


@pytest.mark.parametrize("opset", [5, 22])
def test_unsupported_opset_is_rejected(opset):
    original = _model([helper.make_node("Relu", ["x"], ["y"])],
                      [_float_info("x", [2])], [_float_info("y", [2])],
                      opset=opset)
    with pytest.raises(ValueError, match=rf"opset {opset}.*13\.\.21"):
        normalize(original)


def test_non_default_domain_is_rejected():
    nodes = [helper.make_node("FusedGemm", ["x", "x"], ["y"], name="fused",
                              domain="com.microsoft")]
    original = _model(nodes, [_float_info("x", [2, 2])],
                      [_float_info("y", [2, 2])])
    original.opset_import.append(helper.make_opsetid("com.microsoft", 1))
    with pytest.raises(ValueError, match=r"'fused'.*com\.microsoft.*Fused"):
        normalize(original)


@pytest.mark.parametrize("shape", [[0, 3], [-1, 3], [2.5, 3], [True, 3],
                                   ["N", 3]])
def test_bad_input_shapes_are_rejected(shape):
    original = _model([helper.make_node("Relu", ["x"], ["y"])],
                      [_float_info("x", ["N", 3])],
                      [_float_info("y", ["N", 3])])
    with pytest.raises(ValueError, match="positive ints"):
        normalize(original, {"x": shape})


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
    inits = [_tensor("data", data), _tensor("starts", np.array(starts)),
             _tensor("ends", np.array(ends)), _tensor("axes", np.array(axes)),
             _tensor("steps", np.array(steps)),
             _tensor("num", np.array([numerator, -numerator])),
             _tensor("den", np.array(divisor)),
             _tensor("idx", np.array([-1, 0]))]
    nodes = [helper.make_node("Slice",
                              ["data", "starts", "ends", "axes", "steps"],
                              ["sliced"]),
             helper.make_node("Div", ["num", "den"], ["quotient"]),
             helper.make_node("Shape", ["data"], ["shape"]),
             helper.make_node("Gather", ["shape", "idx"], ["picked"])]
    outputs = [helper.make_tensor_value_info(name, TensorProto.INT64, None)
               for name in ("sliced", "quotient", "picked")]
    original = _model(nodes, [], outputs, inits)
    normalized = normalize(original)
    assert not normalized.graph.node
    for ref, got in zip(_run(original, {}), _run(normalized, {}),
                        strict=True):
        np.testing.assert_array_equal(ref, got)
