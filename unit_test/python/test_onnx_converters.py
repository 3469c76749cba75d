"""onnx_io/converters.py: the converter table is the one place that maps ONNX
ops to fibnlr operators and back, and Dropout's optional mask output (opsets
6-11, as in the ONNX zoo's SqueezeNet and VGG19) is accepted when unread."""
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import fibnlr
from conftest import assert_close, run_onnxruntime
from fibnlr.activations import ACTIVATIONS
from fibnlr.onnx_io import converters, importer

SHAPE = [2, 3, 4, 4]


def test_every_supported_onnx_op_has_an_entry_with_an_import_function():
    ops = [op for c in converters.CONVERTERS for op in c.onnx_ops]
    assert len(ops) == len(set(ops)), "an ONNX op is imported by two entries"
    assert converters.SUPPORTED_OPS == sorted(ops)
    assert importer.SUPPORTED_OPS is converters.SUPPORTED_OPS  # what load_onnx accepts
    for op in converters.SUPPORTED_OPS:
        entry = converters.BY_ONNX_OP[op]
        assert op in entry.onnx_ops
        assert callable(entry.import_node)
        assert entry.to_fibnlr is None or callable(entry.to_fibnlr), op
    # One entry per fibnlr type; every row of the activation table has one, reading its ONNX operator.
    types = [c.type for c in converters.CONVERTERS]
    assert len(types) == len(set(types))
    for spec in ACTIVATIONS:
        entry = converters.BY_FIBNLR_TYPE[spec.type]
        assert spec.onnx_op is None or entry.onnx_ops == (spec.onnx_op,), spec.type


def test_every_operator_type_has_an_export_path():
    types = set(fibnlr.operator_types()) - {"Producer", "Input"}
    for t in sorted(types):
        if t in converters.EXPORT_LESS:
            assert converters.EXPORT_LESS[t], f"{t} is export-less without a reason"
            continue
        entry = converters.BY_FIBNLR_TYPE.get(t)
        assert entry is not None, f"fibnlr type {t} has no converter entry"
        assert entry.to_onnx is not None or entry.onnx_ops, f"{t} has neither an export function nor an ONNX op"
    # No entry for a type the core does not have.
    assert set(converters.BY_FIBNLR_TYPE) <= types


def _dropout_model(opset, mask_reader=None, mask_output=False, **attrs):
    """x -> Conv -> Relu -> Dropout(y, mask) -> y, with `mask` declared (read by an Identity when
    `mask_reader`, a graph output when `mask_output`)."""
    w = numpy_helper.from_array(np.random.default_rng(1).standard_normal((3, 3, 1, 1)).astype(np.float32), "w")
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv"),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Dropout", ["r"], ["y", "mask"], name="drop", **attrs)]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, SHAPE)]
    mask_type = TensorProto.BOOL if opset >= 10 else TensorProto.FLOAT
    if mask_reader:
        nodes.append(helper.make_node("Identity", ["mask"], ["m"], name="copy"))
        outputs.append(helper.make_tensor_value_info("m", mask_type, SHAPE))
    if mask_output:
        outputs.append(helper.make_tensor_value_info("mask", mask_type, SHAPE))
    graph = helper.make_graph(nodes, "dropout", [helper.make_tensor_value_info("x", TensorProto.FLOAT, SHAPE)],
                              outputs, [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 6
    return model


def _run(model):
    g = fibnlr.load_onnx(model)
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[SHAPE])
    x = np.random.default_rng(0).standard_normal(SHAPE).astype(np.float32)
    return g, x, g.forward(x)[0]


@pytest.mark.parametrize("opset, attrs", [(7, {}), (7, {"ratio": 0.3}), (10, {"ratio": 0.3}), (10, {})])
def test_opset_7_and_10_dropout_with_an_unread_mask_loads_and_matches_onnxruntime(opset, attrs):
    model = _dropout_model(opset, **attrs)
    g, x, got = _run(model)
    drop = next(n for n in g.get_nodes() if n.type() == "Dropout")
    assert drop.nb_outputs() == 1
    assert drop.get_operator().attributes()["ratio"] == pytest.approx(attrs.get("ratio", 0.5))
    assert_close(got, run_onnxruntime(model, x)[0])


def test_opset_6_dropout_with_is_test_loads():
    """Opset 6 has is_test (the version converter drops it); onnxruntime has no
    Dropout-6 kernel, so the reference is the Relu(Conv) that inference Dropout passes on."""
    model = _dropout_model(6, is_test=1, ratio=0.2)
    _, x, got = _run(model)
    reference = _dropout_model(7)
    reference.graph.node[2].op_type = "Identity"
    del reference.graph.node[2].output[1:]
    assert_close(got, run_onnxruntime(reference, x)[0])


@pytest.mark.parametrize("opset", [7, 10, 13])
@pytest.mark.parametrize("how, detail", [("mask_reader", "read by node 'copy'"), ("mask_output", "a graph output")])
def test_dropout_mask_that_is_read_or_a_graph_output_is_refused(opset, how, detail):
    model = _dropout_model(opset, **{how: True})
    with pytest.raises(ValueError, match=rf"node 'drop' \(Dropout\): the mask output is not supported "
                                         rf"\('mask' is {detail}\)"):
        fibnlr.load_onnx(model)


def test_exported_dropout_has_no_mask():
    g = fibnlr.load_onnx(_dropout_model(10, ratio=0.3))
    model = fibnlr.to_onnx(g)
    drop = next(n for n in model.graph.node if n.op_type == "Dropout")
    assert list(drop.output) == ["y"]


LIGHT_MODELS = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "light")


@pytest.mark.parametrize("name", ["squeezenet", "inception_v1", "bvlc_alexnet"])
def test_onnx_zoo_models_whose_dropout_declares_a_mask_load_and_match_onnxruntime(name):
    """The ONNX zoo's opset-9 graphs as the onnx package ships them (weights made by
    ConstantOfShape); each has a Dropout with an unread mask. Their constant weights
    give logits of ~1e9, whose float rounding the Softmax blows up, so the logits are compared."""
    path = os.path.join(LIGHT_MODELS, f"light_{name}.onnx")
    if not os.path.exists(path):
        pytest.skip(f"{path} is not shipped with this onnx version")
    model = onnx.load(path)
    assert any(n.op_type == "Dropout" and len(n.output) == 2 for n in model.graph.node)
    last = next(n for n in model.graph.node if n.output[0] == model.graph.output[0].name)
    assert last.op_type == "Softmax"
    del model.graph.output[:]
    model.graph.output.append(helper.make_tensor_value_info(last.input[0], TensorProto.FLOAT, None))
    g = fibnlr.load_onnx(model)
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[1, 3, 224, 224]])
    x = np.random.default_rng(0).standard_normal((1, 3, 224, 224)).astype(np.float32)
    assert_close(g.forward(x)[0], run_onnxruntime(model, {"data_0": x})[0])
