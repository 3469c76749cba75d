"""The activations real CNNs use, end to end: a PyTorch model exported to ONNX,
imported (with the patterns PyTorch writes fused into one node), run on both
backends against onnxruntime, measured by FIBNLR with its default node_types,
pruned to Identity, and written back to ONNX that onnxruntime runs.
"""
import numpy as np
import onnx
import pytest
import torch
from torch import nn

import fibnlr
from conftest import assert_close, run_onnxruntime
from fibnlr.activations import ACTIVATIONS
from models.export import export_onnx

R = fibnlr.recipes

# name -> (module, fibnlr type after import, opset). Mish below opset 18 and
# SiLU at any opset are exported as patterns (x * Tanh(Softplus(x)), x * Sigmoid(x)).
CASES = {
    "elu": (lambda: nn.ELU(0.7), "ELU", 17),
    "selu": (nn.SELU, "SELU", 17),
    "celu": (lambda: nn.CELU(2.0), "CELU", 17),
    "softplus": (nn.Softplus, "Softplus", 17),
    "mish_pattern": (nn.Mish, "Mish", 17),
    "mish_op": (nn.Mish, "Mish", 18),
    "silu_pattern": (nn.SiLU, "SiLU", 17),
    "relu6": (nn.ReLU6, "ReLU6", 17),
    "hardswish": (nn.Hardswish, "HardSwish", 17),
}


def small_cnn(act):
    """conv -> BN -> act -> conv -> act -> pool -> linear, BN statistics randomised."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), act(),
                          nn.Conv2d(8, 8, 3, padding=1, groups=2), act(),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 5))
    bn = model[1]
    bn.running_mean.uniform_(-0.5, 0.5)
    bn.running_var.uniform_(0.5, 2.0)
    return model.eval()


def inputs(n=2, seed=0):
    # Scaled so that the activations see both signs and their saturated regions.
    return (np.random.default_rng(seed).standard_normal((n, 3, 12, 12)) * 3).astype(np.float32)


@pytest.mark.parametrize("name", sorted(CASES))
def test_pytorch_export_imports_runs_and_round_trips(name):
    act, fib_type, opset = CASES[name]
    model = export_onnx(small_cnn(act), (2, 3, 12, 12), opset=opset)
    x = inputs()
    want = run_onnxruntime(model, x)[0]
    with torch.no_grad():
        assert_close(small_cnn(act)(torch.from_numpy(x)).numpy(), want, what="torch vs onnxruntime")

    g = fibnlr.load_onnx(model)
    types = [n.type() for n in g.get_nodes()]
    assert types.count(fib_type) == 2, types
    assert not ({"Sigmoid", "Softplus", "Tanh", "Mul", "Clip"} - {fib_type}) & set(types), types  # patterns fused
    for backend in ("cpu", "ref"):
        g.compile(backend=backend, datatype=fibnlr.dtype.float32, dims=[list(x.shape)])
        assert_close(g.forward(x)[0], want, what=f"fibnlr {backend}")

    # Written back: the operator where the opset has it, the pattern otherwise.
    back = fibnlr.to_onnx(g, opset=opset)
    onnx.checker.check_model(back)
    assert_close(run_onnxruntime(back, x)[0], want, what="re-exported model in onnxruntime")
    assert [n.type() for n in fibnlr.load_onnx(back).get_nodes()] == types


@pytest.mark.parametrize("name", ["elu", "selu", "celu", "softplus", "mish_pattern", "silu_pattern", "relu6"])
def test_default_node_types_measure_and_prune_to_identity(name):
    act, fib_type, opset = CASES[name]
    g = fibnlr.load_onnx(export_onnx(small_cnn(act), (2, 3, 12, 12), opset=opset))
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[4, 3, 12, 12]])
    prepared = R.fibnlr_prepare(g)
    assert len(prepared) == 2 and all(n.type() == fib_type for n in prepared)
    R.fibnlr_compute(g, [inputs(4, s) for s in range(2)])
    for n in prepared:
        npr = R.fibnlr_get_npr(n)
        assert npr.neg > 0 and npr.pos > 0  # both signs reach each of them
    # Prune everything (threshold above every NNPR): both become Identity and the graph still runs.
    R.fibnlr_prune(g, fibnlr.fibnlr_Parameters(ablation_threshold=2.0))
    types = [n.type() for n in g.get_nodes()]
    assert fib_type not in types and types.count("Identity") == 2
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[2, 3, 12, 12]])
    assert np.isfinite(g.forward(inputs())[0]).all()


def test_patterns_fuse_only_x_times_f_of_x():
    """A gate Mul(y, Sigmoid(x)) with y != x (squeeze-and-excitation) is not SiLU."""
    class Gate(nn.Module):
        def forward(self, x):
            return x * torch.sigmoid(x + 1.0) + torch.tanh(nn.functional.softplus(x)) * 2.0

    model = export_onnx(Gate().eval(), (1, 3, 4, 4), opset=17)
    g = fibnlr.load_onnx(model)
    types = [n.type() for n in g.get_nodes()]
    assert "SiLU" not in types and "Mish" not in types
    x = inputs(1)[:, :, :4, :4].copy()
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[list(x.shape)])
    assert_close(g.forward(x)[0], run_onnxruntime(model, x)[0])


def test_activation_table_matches_the_core_list():
    # Clip, Identity and Dropout have constant inputs or no formula: converters.py handles them by hand.
    assert {a.type for a in ACTIVATIONS} | {"Clip", "Identity", "Dropout"} == set(fibnlr.activation_types())


def test_export_below_the_operator_opset_is_refused_with_the_opset_needed():
    g = fibnlr.load_onnx(export_onnx(small_cnn(lambda: nn.CELU(2.0)), (2, 3, 12, 12), opset=17))
    with pytest.raises(ValueError, match=r"\(CELU\): ONNX has Celu from opset 12 only.*opset=12"):
        fibnlr.to_onnx(g, opset=11)


def test_node_types_spelled_as_in_onnx_or_unknown():
    p = fibnlr.fibnlr_Parameters(node_types=["Relu", "Elu"])
    g = fibnlr.load_onnx(export_onnx(small_cnn(lambda: nn.ELU(0.7)), (2, 3, 12, 12), opset=17))
    g.compile(backend="cpu", datatype=fibnlr.dtype.float32, dims=[[2, 3, 12, 12]])
    assert {n.type() for n in R.fibnlr_prepare(g, p)} == {"ELU"}
    with pytest.raises(ValueError, match=r"'Swish', which is no operator type.*SiLU"):
        R.fibnlr_prepare(g, fibnlr.fibnlr_Parameters(node_types=["Swish"]))
