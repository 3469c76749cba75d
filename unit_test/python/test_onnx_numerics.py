"""Numbers mean what ONNX says: NaN inputs give NaN outputs (as in
onnxruntime and PyTorch), and huge but finite inputs give the finite
results onnxruntime gives, on every SIMD path this machine has."""
import numpy as np
import onnx
import pytest
import torch
from onnx import TensorProto, helper, numpy_helper

import fibnlr
from conftest import run_onnxruntime
from models.export import build_zoo_model, export_zoo_model

NAN_MODELS = ["tiny", "resnet18_cifar", "mobilenet_v2", "squeezenet1_1", "leaky_gelu_net"]


def _paths():
    """Every SIMD path (a mode capped above what the CPU has runs the widest it
    has), then the reference kernels."""
    return ["cpu-generic", "cpu-avx2", "cpu", "ref"]


def _forward(g, x, mode):
    fibnlr.set_kernels(mode)
    return g.forward(x)[0]


@pytest.mark.parametrize("name", NAN_MODELS)
def test_nan_images_give_nan_logits_like_onnxruntime_and_torch(name, restore_kernels):
    """Image 0 all NaN, image 1 one NaN pixel, images 2-3 finite. The NaN
    images' logits are NaN everywhere in PyTorch (and, for the all-NaN image,
    in onnxruntime; its MaxPool drops a lone NaN), and so in fibnlr on every
    path; the finite images are unaffected (Winograd falls back for the whole
    batch but must still give their values)."""
    model, x = export_zoo_model(name)
    batch = np.random.default_rng(0).standard_normal((4,) + tuple(x.shape[1:])).astype(np.float32)
    batch[0] = np.nan
    batch[1, 0, 0, 0] = np.nan
    want = run_onnxruntime(model, batch)[0]
    with torch.no_grad():
        want_torch = build_zoo_model(name)[0].eval()(torch.from_numpy(batch)).numpy()
    # Premise: what ONNX runtimes say.
    assert np.isnan(want[0]).all() and np.isnan(want_torch[:2]).all() and np.isfinite(want[2:]).all()
    g = fibnlr.load_onnx(model)
    g.compile(dims=[list(batch.shape)])
    for mode in _paths():
        got = _forward(g, batch, mode)
        assert np.isnan(got[:2]).all(), f"{name} on {mode}: NaN images gave {got[:2]}"
        np.testing.assert_allclose(got[2:], want[2:], rtol=1e-4, atol=1e-4 * np.abs(want[2:]).max(),
                                   err_msg=f"{name} on {mode}")


def test_nan_through_relu_matches_torch(restore_kernels):
    x = np.array([[np.nan, -1.0, 0.0, 2.0, np.nan, -np.inf, np.inf, 3.0, np.nan]], dtype=np.float32)
    want = torch.relu(torch.from_numpy(x)).numpy()
    node = helper.make_node("Relu", ["x"], ["y"], name="relu")
    graph = helper.make_graph([node], "relu", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 9])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 9])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    g = fibnlr.load_onnx(model)
    g.compile(dims=[[1, 9]])
    for mode in _paths():
        got = _forward(g, x, mode)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=mode)
        np.testing.assert_array_equal(got[~np.isnan(got)], want[~np.isnan(want)], err_msg=mode)


def _conv_model(c, m, fan_in_scale):
    """One 3×3 stride-1 Conv (c -> m channels, pads 1) whose weights are
    uniform in ±0.5 / (9c), so that every output is below the input's scale."""
    rng = np.random.default_rng(1)
    w = (rng.uniform(-0.5, 0.5, (m, c, 3, 3)) / (9 * c) * fan_in_scale).astype(np.float32)
    b = rng.uniform(-1, 1, m).astype(np.float32)
    node = helper.make_node("Conv", ["x", "w", "b"], ["y"], name="conv", pads=[1, 1, 1, 1], kernel_shape=[3, 3])
    graph = helper.make_graph([node], "conv", [helper.make_tensor_value_info("x", TensorProto.FLOAT, None)],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
                              [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])


@pytest.mark.parametrize("scale", [1e-45, 1e-38, 1.0, 1e30, 1e36, 3e36, 1e37])
# F(4×4) and F(2×2) Winograd sizes; ≥ 40 channels, so that K = 9·C is past the direct kernel's range
@pytest.mark.parametrize("shape", [(4, 40, 16, 16), (2, 48, 24, 20)])
def test_winograd_conv_is_finite_where_onnxruntime_is(shape, scale, restore_kernels):
    x = (np.random.default_rng(2).uniform(-1, 1, shape) * scale).astype(np.float32)
    model = _conv_model(shape[1], 24, 1.0)
    want = run_onnxruntime(model, x)[0]
    assert np.isfinite(want).all()
    g = fibnlr.load_onnx(model)
    g.compile(dims=[list(shape)])
    for mode in _paths():
        got = _forward(g, x, mode)
        assert np.isfinite(got).all(), f"{mode} at scale {scale}: {np.sum(~np.isfinite(got))} non-finite outputs"
        err = np.abs(got.astype(np.float64) - want).max()
        assert err <= 1e-4 * np.abs(want).max() + 1e-40, f"{mode} at scale {scale}: max error {err}"


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_of_huge_values_is_x_or_zero(approximate, restore_kernels):
    x = np.array([[1e37, -1e37, 3e38, -3e38, 1e20, -1e20, 5.0, -5.0, 0.0, 1e-45, -1e-45]], dtype=np.float32)
    xd = torch.from_numpy(x.astype(np.float64))
    want = torch.nn.functional.gelu(xd, approximate=approximate).numpy()
    g = fibnlr.GraphView("gelu")
    inp = g.add_input("x")
    node = fibnlr.Node("GELU", "gelu", {"approximate": approximate})
    inp.add_child(node, 0, 0)
    g.add(node)
    g.set_outputs([node])
    g.compile(dims=[list(x.shape)])
    for mode in _paths():
        got = _forward(g, x, mode)
        assert np.isfinite(got).all(), f"{mode}: {got}"
        # x or 0 at the huge values; float rounding (relative to the input's unit scale) elsewhere.
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=mode)
