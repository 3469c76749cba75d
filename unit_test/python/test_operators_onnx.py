"""Operators real CNNs use beyond conv/pool/activations, end to end: PyTorch
modules exported to ONNX, imported, run on both backends against onnxruntime,
and written back to ONNX that onnxruntime runs: GlobalMaxPool, ReduceMax,
ReduceMin, ReduceSum, Resize (PyTorch's Upsample and interpolate) and PReLU
(GlobalMaxPool by hand: PyTorch writes a MaxPool for it).
"""
import numpy as np
import onnx
import pytest
import torch
import torch.nn.functional as F
from torch import nn

import fibnlr
from conftest import assert_close, run_onnxruntime
from models.export import export_onnx


class Head(nn.Module):
    """conv -> op -> conv, so the op sits between layers as in a real network."""

    def __init__(self, op, channels_out=4):
        super().__init__()
        torch.manual_seed(0)
        self.a = nn.Conv2d(3, 4, 3, padding=1)
        self.op = op
        self.b = nn.Conv2d(4, channels_out, 1)

    def forward(self, x):
        return self.b(self.op(self.a(x)))


class Lambda(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, x):
        return self.fn(x)


# name -> (module, the fibnlr type it must import as, opsets to export at)
CASES = {
    "reduce_max": (lambda: Head(Lambda(lambda x: torch.amax(x, dim=(2, 3), keepdim=True))), "ReduceMax", (13, 18)),
    "reduce_min": (lambda: Head(Lambda(lambda x: x - torch.amin(x, dim=(1, 3), keepdim=True))), "ReduceMin", (13, 18)),
    "reduce_sum": (lambda: Head(Lambda(lambda x: x.sum(dim=(2, 3), keepdim=True))), "ReduceSum", (13, 18)),
    "upsample_nearest": (lambda: Head(nn.Upsample(scale_factor=2, mode="nearest")), "Resize", (13, 17)),
    "upsample_bilinear": (lambda: Head(nn.Upsample(scale_factor=2, mode="bilinear")), "Resize", (13, 17)),
    "upsample_bilinear_align_corners": (lambda: Head(nn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True)),
                                        "Resize", (13, 17)),
    "interpolate_size": (lambda: Head(Lambda(lambda x: F.interpolate(x, size=(5, 11), mode="bilinear"))), "Resize", (13,)),
    "interpolate_nearest_down": (lambda: Head(Lambda(lambda x: F.interpolate(x, scale_factor=0.5, mode="nearest"))),
                                 "Resize", (13,)),
    "prelu_per_channel": (lambda: Head(nn.PReLU(4, init=0.1)), "PReLU", (13, 17)),
    "prelu_one": (lambda: Head(nn.PReLU()), "PReLU", (13,)),
}
SHAPE = (2, 3, 8, 10)


def make(name):
    model = CASES[name][0]().eval()
    if name.startswith("prelu"):
        with torch.no_grad():  # distinct slopes, some negative, so a wrong channel shows
            model.op.weight.copy_(torch.linspace(-0.5, 0.7, model.op.weight.numel()))
    return model


def test_global_max_pool_against_onnxruntime():
    # PyTorch exports AdaptiveMaxPool2d(1) as a MaxPool over the whole plane, so the model is written by hand.
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(3)
    w = numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
         helper.make_node("GlobalMaxPool", ["c"], ["y"], name="gmp")],
        "gmp", [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(SHAPE))],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    x = rng.standard_normal(SHAPE).astype(np.float32)
    want = run_onnxruntime(model, x)[0]
    g = fibnlr.load_onnx(model)
    assert "GlobalMaxPool" in [n.type() for n in g.get_nodes()]
    for backend in ("cpu", "ref"):
        g.compile(backend=backend, datatype=fibnlr.dtype.float32, dims=[list(SHAPE)])
        assert_close(g.forward(x)[0], want, what=backend)
        # A NaN makes its planes NaN, as in fibnlr's MaxPool and torch.amax (onnxruntime's
        # GlobalMaxPool skips it instead: the one place where fibnlr differs from it on purpose).
        x_nan = x.copy()
        x_nan[1, :, 2, 3] = np.nan
        got = g.forward(x_nan)[0]
        assert np.isnan(got[1]).all() and not np.isnan(got[0]).any()
    assert_close(run_onnxruntime(fibnlr.to_onnx(g, opset=13), x)[0], want)


@pytest.mark.parametrize("name,opset", [(n, o) for n in sorted(CASES) for o in CASES[n][2]])
def test_pytorch_export_imports_runs_and_round_trips(name, opset):
    fib_type = CASES[name][1]
    # Static batch: PyTorch writes Resize sizes from Shape subgraphs that fold only for a known batch.
    model = export_onnx(make(name), SHAPE, opset=opset, dynamic_batch=False)
    x = np.random.default_rng(1).standard_normal(SHAPE).astype(np.float32)
    want = run_onnxruntime(model, x)[0]
    with torch.no_grad():
        assert_close(make(name)(torch.from_numpy(x)).numpy(), want, what="torch vs onnxruntime")

    g = fibnlr.load_onnx(model)
    types = [n.type() for n in g.get_nodes()]
    assert fib_type in types, types
    for backend in ("cpu", "ref"):
        g.compile(backend=backend, datatype=fibnlr.dtype.float32, dims=[list(SHAPE)])
        assert_close(g.forward(x)[0], want, what=f"fibnlr {backend}")

    back = fibnlr.to_onnx(g, opset=opset)
    onnx.checker.check_model(back)
    assert_close(run_onnxruntime(back, x)[0], want, what="re-exported model in onnxruntime")


def test_prelu_is_measured_by_default_and_pruned_to_identity():
    g = fibnlr.load_onnx(export_onnx(make("prelu_per_channel"), SHAPE, opset=17))
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[list(SHAPE)])
    prepared = fibnlr.recipes.fibnlr_prepare(g)
    assert [n.type() for n in prepared] == ["PReLU"]
    x = np.random.default_rng(2).standard_normal(SHAPE).astype(np.float32)
    fibnlr.recipes.fibnlr_compute(g, [x])
    npr = fibnlr.recipes.fibnlr_get_npr(next(iter(prepared)))
    assert npr.neg > 0 and npr.pos > 0
    # Alone in its group: Strict never prunes it, so use x-least with Loose.
    R = fibnlr.recipes
    R.fibnlr_prune(g, fibnlr.fibnlr_Parameters(method=R.Method.LOOSE, ablation_threshold=2.0))
    types = [n.type() for n in g.get_nodes()]
    assert "PReLU" not in types and "Identity" in types
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[list(SHAPE)])
    # Identity in place of PReLU: the model is now conv -> conv.
    with torch.no_grad():
        model = make("prelu_per_channel")
        want = model.b(model.a(torch.from_numpy(x))).numpy()
    assert_close(g.forward(x)[0], want)
