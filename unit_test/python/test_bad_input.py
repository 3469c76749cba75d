"""Bad input gets a clear Python exception naming the node, the value and
what was expected; never a crash, a hang or a half-modified graph."""
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import fibnlr
from models.export import export_zoo_model


def _model(nodes, inits, in_shape=(1, 3, 8, 8), out_name="y", opset=13):
    graph = helper.make_graph(
        nodes, "bad", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(in_shape))],
        [helper.make_tensor_value_info(out_name, TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, k) for k, v in inits.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])


def _conv(**attrs):
    w = np.ones((4, 3, 3, 3), np.float32)
    return _model([helper.make_node("Conv", ["x", "w"], ["y"], name="the_conv", **attrs)], {"w": w})


@pytest.fixture(scope="module")
def tiny_bytes():
    model, _ = export_zoo_model("tiny")
    return model.SerializeToString()


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.onnx"):
        fibnlr.load_onnx(tmp_path / "nope.onnx")


def test_not_onnx_and_truncated(tmp_path, tiny_bytes):
    text = tmp_path / "model.onnx"
    text.write_text("this is not an onnx model at all\n" * 10)
    with pytest.raises(ValueError, match="not .*ONNX"):
        fibnlr.load_onnx(text)
    with pytest.raises(ValueError):
        fibnlr.load_onnx(tiny_bytes[: len(tiny_bytes) // 3])
    with pytest.raises(TypeError, match="path, bytes or onnx.ModelProto"):
        fibnlr.load_onnx(42)


def test_unsupported_ops_listed_together():
    nodes = [helper.make_node("Relu", ["x"], ["a"], name="r"),
             helper.make_node("Hardmax", ["a"], ["b"], name="hm1"),
             helper.make_node("Hardmax", ["b"], ["c"], name="hm2"),
             helper.make_node("Shrink", ["c"], ["y"], name="shrink")]
    with pytest.raises(ValueError) as err:
        fibnlr.load_onnx(_model(nodes, {}))
    msg = str(err.value)
    assert "Hardmax" in msg and "'hm1'" in msg and "'hm2'" in msg and "Shrink" in msg and "'shrink'" in msg
    assert "Relu" not in msg.split(":", 1)[1]


def test_missing_initializer_and_cycle():
    with pytest.raises(ValueError, match="the_conv.*'w'|'w'.*the_conv"):
        fibnlr.load_onnx(_model([helper.make_node("Conv", ["x", "w"], ["y"], name="the_conv")], {}))
    cyc = [helper.make_node("Add", ["x", "c"], ["a"], name="first"),
           helper.make_node("Relu", ["a"], ["c"], name="second"),
           helper.make_node("Relu", ["c"], ["y"], name="third")]
    with pytest.raises(ValueError, match="cycle"):
        fibnlr.load_onnx(_model(cyc, {}))


@pytest.mark.parametrize("attrs,pattern", [
    ({"strides": [-1, 1]}, "strides"),
    ({"dilations": [0, 1]}, "dilations"),
    ({"pads": [1, 1, -1, 0]}, "pads"),
    ({"group": 2}, "group"),
])
def test_attribute_values_out_of_range(attrs, pattern):
    with pytest.raises(ValueError, match=f"the_conv.*{pattern}|{pattern}.*the_conv"):
        g = fibnlr.load_onnx(_conv(**attrs))
        g.compile(dims=[[1, 3, 8, 8]])


def test_compile_dims_that_make_the_graph_invalid():
    g = fibnlr.load_onnx(_conv())
    with pytest.raises(ValueError, match="the_conv.*input channels"):
        g.compile(dims=[[1, 4, 8, 8]])
    with pytest.raises(ValueError, match="the_conv.*does not fit spatial size 2"):
        g.compile(dims=[[1, 3, 2, 2]])
    with pytest.raises(ValueError, match="the_conv"):
        g.compile(dims=[[1, 3, 8]])
    with pytest.raises(ValueError, match="1 inputs but dims has 2"):
        g.compile(dims=[[1, 3, 8, 8], [1]])
    with pytest.raises(ValueError, match="backend 'gpu'"):
        g.compile(backend="gpu", dims=[[1, 3, 8, 8]])
    with pytest.raises(ValueError, match="datatype int64"):
        g.compile(datatype=fibnlr.dtype.int64, dims=[[1, 3, 8, 8]])
    g.compile(dims=[[1, 3, 8, 8]])  # still usable after the failures
    assert g.forward(np.ones((1, 3, 8, 8), np.float32))[0].shape == (1, 4, 6, 6)


def test_forward_wrong_shape_rank_dtype():
    g = fibnlr.load_onnx(_conv())
    with pytest.raises(ValueError, match="not compiled"):
        g.forward(np.ones((1, 3, 8, 8), np.float32))
    g.compile(dims=[[2, 3, 8, 8]])
    with pytest.raises(ValueError, match=r"input 'x' has shape \[2, 3, 9, 8\], expected \[2, 3, 8, 8\]"):
        g.forward(np.ones((2, 3, 9, 8), np.float32))
    with pytest.raises(ValueError, match=r"input 'x' has shape \[3, 8, 8\]"):
        g.forward(np.ones((3, 8, 8), np.float32))
    with pytest.raises(TypeError, match="input 'x'.*float64.*float32"):
        g.forward(np.ones((2, 3, 8, 8)))
    with pytest.raises(TypeError, match="input .x.: dtype <U12 is not supported; expected float32"):
        g.forward("not an array")
    with pytest.raises(ValueError, match="takes 1 inputs, got 2"):
        g.forward(np.ones((2, 3, 8, 8), np.float32), np.ones((2, 3, 8, 8), np.float32))
    # Non-contiguous float32 input is accepted (copied), batch may differ.
    x = np.ones((3, 8, 8, 3), np.float32).transpose(0, 3, 1, 2)
    assert g.forward(x)[0].shape == (3, 4, 6, 6)


def test_unsupported_opset_and_training_mode():
    with pytest.raises(ValueError, match="opset 22"):
        fibnlr.load_onnx(_model([helper.make_node("Relu", ["x"], ["y"], name="r")], {}, opset=22))
    s = np.ones(3, np.float32)
    bn = helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bn_train", training_mode=1)
    with pytest.raises(ValueError, match="bn_train.*training_mode"):
        fibnlr.load_onnx(_model([bn], {"s": s, "b": s, "m": s, "v": s}, opset=15))
