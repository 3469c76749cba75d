"""A real trained network on real images: the Keras CIFAR-10 CNN of the ``cifar-10-model`` package on the
20 CIFAR-10 test images foolbox ships. fibnlr's predictions must equal onnxruntime's, before and after an
exact ``simplify``.

Needs ``pip install --no-deps cifar-10-model==7.4.0 foolbox==3.3.4`` and ``pip install h5py Pillow``
(scripts/test.sh installs them); the files are read in place, never copied into the project. Skipped only
when those packages are missing.
"""
import glob
import importlib.util
import os

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import fibnlr
from fibnlr import recipes as R

ort = pytest.importorskip("onnxruntime")


def _package_dir(name):
    spec = importlib.util.find_spec(name)  # located without importing (their own dependencies may not install)
    if spec is None or not spec.submodule_search_locations:
        pytest.skip(f"{name} is not installed (pip install --no-deps {name})")
    return spec.submodule_search_locations[0]


def cifar10_images():
    """(20, 3, 32, 32) float32 raw 0..255 RGB, NCHW, and their labels."""
    Image = pytest.importorskip("PIL.Image")
    files = sorted(glob.glob(os.path.join(_package_dir("foolbox"), "data", "cifar10_[0-9][0-9]_*.png")))
    assert len(files) == 20, files
    x = np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files]).astype(np.float32)
    y = np.array([int(os.path.basename(f)[:-4].rsplit("_", 1)[1]) for f in files])
    return np.ascontiguousarray(x.transpose(0, 3, 1, 2)), y


def keras_cnn_onnx():
    """The cifar-10-model Keras CNN rebuilt as ONNX from its HDF5 weights.

    Keras layout: 6 valid 3x3 convs, each Conv -> ReLU -> BatchNorm (epsilon 1e-3), 2x2 max-pools after
    convs 2 and 4 (the 1x1 pool after conv 6 is the identity), Flatten (1x1 spatial, so NHWC and NCHW
    orders agree), Dense 1024, 512, 10, each followed by ReLU (the logits too); Dropout is inactive.
    """
    h5py = pytest.importorskip("h5py")
    path = os.path.join(_package_dir("cifar_10_model"), "trained_models", "cnn_model.h5")
    weights = h5py.File(path, "r")["model_weights"]

    def w(layer, name):
        return np.asarray(weights[layer][layer][name + ":0"], dtype=np.float32)

    nodes, inits = [], []

    def const(name, value):
        inits.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name))
        return name

    x = "input"
    for i in range(6):
        suffix = "" if i == 0 else f"_{i}"
        conv, bn = "conv2d" + suffix, "batch_normalization" + suffix
        kernel = w(conv, "kernel").transpose(3, 2, 0, 1)  # HWIO -> OIHW
        nodes.append(helper.make_node("Conv", [x, const(conv + ".W", kernel), const(conv + ".B", w(conv, "bias"))],
                                      [conv], name=conv, kernel_shape=[3, 3]))
        nodes.append(helper.make_node("Relu", [conv], [conv + ".relu"], name=conv + ".relu"))
        nodes.append(helper.make_node(
            "BatchNormalization",
            [conv + ".relu", const(bn + ".g", w(bn, "gamma")), const(bn + ".b", w(bn, "beta")),
             const(bn + ".m", w(bn, "moving_mean")), const(bn + ".v", w(bn, "moving_variance"))],
            [bn], name=bn, epsilon=1e-3))
        x = bn
        if i in (1, 3):
            nodes.append(helper.make_node("MaxPool", [x], [x + ".pool"], name=x + ".pool", kernel_shape=[2, 2],
                                          strides=[2, 2]))
            x = x + ".pool"
    nodes.append(helper.make_node("Flatten", [x], ["flat"], name="flatten"))
    x = "flat"
    for dense in ("dense", "dense_1", "dense_2"):
        nodes.append(helper.make_node("Gemm", [x, const(dense + ".W", w(dense, "kernel")),
                                               const(dense + ".B", w(dense, "bias"))], [dense], name=dense))
        nodes.append(helper.make_node("Relu", [dense], [dense + ".relu"], name=dense + ".relu"))
        x = dense + ".relu"
    graph = helper.make_graph(nodes, "cifar10_keras_cnn",
                              [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 32, 32])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["N", 10])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    return model


def ort_scores(model_bytes, x):
    sess = ort.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


@pytest.fixture(scope="module")
def cifar():
    x, y = cifar10_images()
    return keras_cnn_onnx(), x, y


def test_the_rebuilt_cnn_is_the_trained_model(cifar):
    # a wrong weight layout or layer order would not classify real images: the package's model gets 20/20
    model, x, y = cifar
    scores = ort_scores(model.SerializeToString(), x)
    assert (scores.argmax(1) == y).sum() >= 19


def _agree(scores, reference):
    assert np.array_equal(scores.argmax(1), reference.argmax(1))
    np.testing.assert_allclose(scores, reference, rtol=1e-3, atol=1e-3 * np.abs(reference).max())


def test_fibnlr_predicts_as_onnxruntime_before_and_after_exact_simplify(cifar, tmp_path):
    model, x, y = cifar
    g = fibnlr.load_onnx(model)
    g.compile(dims=[list(x.shape)])
    _agree(g.forward(x)[0], ort_scores(model.SerializeToString(), x))

    # Unpruned, every BatchNorm follows a ReLU and simplify finds nothing to do: prune the most linear
    # ReLU of each feature-map size first (calibrated on the same 20 images), so that it has work.
    p = R.fibnlr_Parameters()
    p.ablation_criteria, p.ablation_x_least, p.ablation_threshold = R.AblationCriteria.X_LEAST_PER_GROUP, 1, 1e9
    pruned = R.fibnlr(g, [x[:10], x[10:]], p)
    assert 0 < len(pruned) < 9
    pruned_path = tmp_path / "pruned.onnx"
    fibnlr.save_onnx(g, str(pruned_path))
    reference = ort_scores(str(pruned_path), x)
    _agree(g.forward(x)[0], reference)

    layers_before = fibnlr.count_layers(g)
    res = R.simplify(g, mode="exact", dims=[[1, 3, 32, 32]])
    assert fibnlr.count_layers(g) < layers_before, res
    assert len(g.get_nodes_by_type("ReLU")) == 9 - len(pruned)  # exact mode never touches a non-linearity
    g.compile(dims=[list(x.shape)])
    (simplified,) = g.forward(x)
    _agree(simplified, reference)
    # and onnxruntime on the simplified model fibnlr writes
    path = tmp_path / "simplified.onnx"
    fibnlr.save_onnx(g, str(path))
    _agree(ort_scores(str(path), x), simplified)
