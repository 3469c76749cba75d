"""Shared helpers for the Python suite."""
import fibnlr
import numpy as np
import onnxruntime as ort
import pytest


def run_onnxruntime(model, feeds):
    """Runs an onnx.ModelProto in onnxruntime on one thread; returns the list of outputs."""
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    if not isinstance(feeds, dict):
        feeds = {sess.get_inputs()[0].name: feeds}
    return sess.run(None, feeds)


def assert_close(actual, reference, rtol=1e-4, what="output"):
    """max |actual - reference| <= rtol * max |reference| (the suite's model tolerance)."""
    actual, reference = np.asarray(actual), np.asarray(reference)
    assert actual.shape == reference.shape, f"{what}: shape {actual.shape} != {reference.shape}"
    scale = max(float(np.abs(reference).max()), 1e-30)
    err = float(np.abs(actual - reference).max())
    assert err <= rtol * scale, f"{what}: max abs error {err:.3g} > {rtol} * {scale:.3g}"


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def restore_kernels():
    """Puts back the kernel selection a test changes with fibnlr.set_kernels."""
    before = fibnlr.get_kernels()
    yield
    fibnlr.set_kernels(before)
