"""Shared helpers of the tests of fibnlr.onnx_io's preprocessing modules
(test_onnx_preprocess.py, test_onnx_checks.py, test_onnx_constants.py,
test_onnx_folding.py, test_onnx_graphs.py, test_onnx_patterns.py).

`load_onnx_io(name)` loads python/fibnlr/onnx_io/<name>.py by path, so these
tests need neither the compiled fibnlr core (imported by fibnlr/__init__.py)
nor an installed package: a stand-in parent package whose __path__ is the
onnx_io folder lets the modules import their siblings (`from .graphs import
...`) without running fibnlr/__init__.py or onnx_io/__init__.py.
"""

import importlib
import io
import pathlib
import sys
import types
import warnings

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper

_PACKAGE = "fibnlr_onnx_io"


def load_onnx_io(name):
    """The module python/fibnlr/onnx_io/<name>.py, imported by path."""
    if _PACKAGE not in sys.modules:
        folder = (pathlib.Path(__file__).resolve().parents[2] / "python"
                  / "fibnlr" / "onnx_io")
        package = types.ModuleType(_PACKAGE)
        package.__path__ = [str(folder)]
        sys.modules[_PACKAGE] = package
    return importlib.import_module(f"{_PACKAGE}.{name}")


normalize = load_onnx_io("preprocess").normalize

RNG = np.random.default_rng(0)


# --------------------------------------------------------------------------
# Helpers


def run_model(model, feeds):
    session = ort.InferenceSession(model.SerializeToString(),
                                   providers=["CPUExecutionProvider"])
    return session.run(None, feeds)


def assert_same_outputs(original, normalized, feeds):
    for ref, got in zip(run_model(original, feeds),
                        run_model(normalized, feeds),
                        strict=True):
        assert ref.shape == got.shape
        tolerance = 1e-5 * max(float(np.max(np.abs(ref))), 1e-30)
        assert float(np.max(np.abs(ref - got))) <= tolerance


def with_opset(model, version):
    """Copy with a different default opset, e.g. so ORT accepts Gelu."""
    copy = onnx.ModelProto()
    copy.CopyFrom(model)
    for opset in copy.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = version
    return copy


def op_types(model):
    return [node.op_type for node in model.graph.node]


def initializer(model, name):
    for tensor in model.graph.initializer:
        if tensor.name == name:
            return numpy_helper.to_array(tensor)
    raise KeyError(name)


def export_torch(module, example, axes=None):
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # the legacy exporter is deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(
            module.eval(), (example,), buffer, dynamo=False, opset_version=13,
            input_names=["x"], output_names=["y"],
            dynamic_axes={"x": axes or {0: "N"}})
    return onnx.load_from_string(buffer.getvalue())


def random_feeds(shape):
    return {"x": RNG.standard_normal(shape).astype(np.float32)}


def make_model(nodes, inputs, outputs, initializers=(), opset=13):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(initializers))
    return helper.make_model(graph,
                             opset_imports=[helper.make_opsetid("", opset)])


def float_info(name, shape):
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def tensor(name, array):
    return numpy_helper.from_array(np.asarray(array), name)


# --------------------------------------------------------------------------
# Torch modules with shape subgraphs (exported with a dynamic batch axis)


class Flatten(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 4, 3)
        self.fc = torch.nn.Linear(4 * 6 * 6, 5)

    def forward(self, x):
        y = self.conv(x)
        return self.fc(y.view(y.size(0), -1))


class ChannelShuffle(torch.nn.Module):
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
