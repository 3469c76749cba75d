"""Whole models built in code (PyTorch -> ONNX) run in fibnlr exactly as in
onnxruntime, and survive load -> save -> load."""
import numpy as np
import onnx
import pytest
import torch

import fibnlr
from conftest import assert_close, run_onnxruntime
from models.export import ZOO, build_zoo_model, export_onnx, export_zoo_model

CASES = [(name, opset, fold) for name in ZOO for opset in (13, 17) for fold in (False, True)]


def _batch(x, n, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n,) + x.shape[1:]).astype(np.float32)


def _structure(g):
    return [(n.name(), n.type(), n.get_operator().attributes()) for n in g.get_nodes()
            if n.type() != "Producer"]


@pytest.mark.parametrize("name,opset,fold_bn", CASES, ids=[f"{n}-op{o}-{'fold' if f else 'bn'}" for n, o, f in CASES])
def test_model_matches_onnxruntime_and_round_trips(name, opset, fold_bn, tmp_path):
    model, x = export_zoo_model(name, opset=opset, fold_bn=fold_bn)
    x = _batch(x, 2, seed=opset)
    reference = run_onnxruntime(model, x)[0]

    g = fibnlr.load_onnx(model)
    if not fold_bn and name not in ("squeezenet1_1",):
        assert g.get_nodes_by_type("BatchNormalization"), "BatchNormalization nodes must be kept"
    for backend in ("cpu", "ref"):
        g.compile(backend=backend, datatype=fibnlr.dtype.float32, dims=[list(x.shape)])
        assert_close(g.forward(x)[0], reference, what=f"{name} on {backend}")

    path = tmp_path / "saved.onnx"
    fibnlr.save_onnx(g, path)
    saved = onnx.load(str(path))
    onnx.checker.check_model(saved, full_check=True)
    assert_close(run_onnxruntime(saved, x)[0], reference, what=f"{name} saved, in onnxruntime")

    again = fibnlr.load_onnx(path)
    assert _structure(again) == _structure(g)
    again.compile(dims=[list(x.shape)])
    assert_close(again.forward(x)[0], reference, what=f"{name} reloaded")


@pytest.mark.parametrize("name,dims", [("resnet18_imagenet", [4, 3, 32, 32]), ("resnet18_cifar", [3, 3, 48, 40]),
                                       ("mobilenet_v2", [2, 3, 96, 96])])
def test_compile_dims_override_the_exported_shape(name, dims):
    """A model exported at one size runs at another batch and spatial size (as upstream users do)."""
    model, _ = build_zoo_model(name)
    ctor, shape = ZOO[name]
    proto = export_onnx(model, shape, opset=13)
    x = _batch(np.zeros(shape, np.float32), dims[0], seed=1)
    x = np.random.default_rng(2).standard_normal(dims).astype(np.float32)
    with torch.no_grad():
        reference = model(torch.from_numpy(x)).numpy()
    g = fibnlr.load_onnx(proto)
    g.compile(dims=[dims])
    assert_close(g.forward(x)[0], reference, what=f"{name} at {dims}")


def test_partial_batch_after_compile():
    model, x = export_zoo_model("tiny")
    g = fibnlr.load_onnx(model)
    g.compile(dims=[[8, 3, 16, 16]])
    full = _batch(x, 8, seed=3)
    y_full = g.forward(full)[0]
    y_part = g.forward(full[:3])[0]
    assert y_part.shape[0] == 3
    np.testing.assert_allclose(y_part, y_full[:3], rtol=1e-6, atol=1e-6)


def test_gelu_is_one_node_and_exports_at_opset_20(tmp_path):
    model, x = export_zoo_model("leaky_gelu_net", opset=17)
    g = fibnlr.load_onnx(model)
    assert g.get_nodes_by_type("GELU") and g.get_nodes_by_type("LeakyReLU")
    exported = fibnlr.to_onnx(g)
    assert exported.opset_import[0].version == 20
    assert any(n.op_type == "Gelu" for n in exported.graph.node)
    older = fibnlr.to_onnx(g, opset=17)
    assert not any(n.op_type == "Gelu" for n in older.graph.node)
    x = _batch(x, 2, seed=4)
    ref = run_onnxruntime(model, x)[0]
    assert_close(run_onnxruntime(exported, x)[0], ref)
    assert_close(run_onnxruntime(older, x)[0], ref)
    assert fibnlr.load_onnx(older).get_nodes_by_type("GELU")


def test_old_opset_model_is_upgraded():
    """An opset-7 model (as the upstream example's ResNet18 v1-7) imports through the version converter."""
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(5)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    bn = [np.abs(rng.standard_normal(4)).astype(np.float32) + 0.5 for _ in range(4)]
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("BatchNormalization", ["c", "s", "b", "m", "v"], ["n"], name="bn", epsilon=1e-3),
             helper.make_node("Relu", ["n"], ["y"], name="relu")]
    inits = [numpy_helper.from_array(a, k) for a, k in zip([w] + bn, ["w", "s", "b", "m", "v"])]
    # IR 3 lists initializers among the graph inputs, as the model zoo's opset-7 files do.
    inputs = [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])] + \
        [helper.make_tensor_value_info(t.name, TensorProto.FLOAT, list(t.dims)) for t in inits]
    graph = helper.make_graph(nodes, "old", inputs, [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
                              inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 7)])
    model.ir_version = 3
    x = rng.standard_normal((1, 3, 8, 8)).astype(np.float32)
    g = fibnlr.load_onnx(model)
    assert [n.type() for n in g.get_nodes() if n.type() not in ("Producer", "Input")] == \
        ["Conv", "BatchNormalization", "ReLU"]
    g.compile(dims=[[1, 3, 8, 8]])
    assert_close(g.forward(x)[0], run_onnxruntime(model, x)[0])
