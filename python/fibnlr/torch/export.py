"""A torch module -> fibnlr graph, through torch.onnx.export in memory."""
from __future__ import annotations

import io
import warnings

import numpy as np
import torch

from ..onnx_io import load_onnx

DEFAULT_OPSET = 17


def _as_tensors(example_input):
    items = example_input if isinstance(example_input, (tuple, list)) else (example_input,)
    out = []
    for x in items:
        if isinstance(x, np.ndarray):
            x = torch.from_numpy(x)
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"from_module: example_input must be a tensor, a numpy array or a tuple of them, "
                            f"got {type(x).__name__}")
        out.append(x)
    return tuple(out)


def _names(prefix, n):
    return [prefix] if n == 1 else [f"{prefix}_{i}" for i in range(n)]


def from_module(module, example_input, *, opset: int = DEFAULT_OPSET, dynamo: bool = False):
    """The fibnlr GraphView of ``module`` as exported by ``torch.onnx.export``
    for ``example_input`` (a tensor, numpy array or tuple of them), in eval mode,
    with the batch dimension of every input and output left free.

    ``dynamo=False`` (default) uses the TorchScript exporter, which needs no
    other package (its deprecation warning is silenced: choosing it is ours);
    ``dynamo=True`` uses the torch.export-based exporter, which needs the
    ``onnxscript`` package. The exporter folds a BatchNorm that follows a Conv
    into that Conv.
    """
    inputs = _as_tensors(example_input)
    input_names = _names("input", len(inputs))
    was_training = module.training
    module.eval()
    try:
        with torch.no_grad(), warnings.catch_warnings():
            outputs = module(*inputs)
            output_names = _names("output", len(outputs) if isinstance(outputs, (tuple, list)) else 1)
            if dynamo:
                try:
                    program = torch.onnx.export(module, inputs, dynamo=True, opset_version=opset,
                                                input_names=input_names, output_names=output_names,
                                                dynamic_shapes=[{0: torch.export.Dim("batch")} for _ in inputs])
                except ModuleNotFoundError as e:
                    raise ImportError(f"from_module(dynamo=True) needs {e.name}: pip install onnxscript") from e
                proto = program.model_proto
            else:
                warnings.simplefilter("ignore", DeprecationWarning)
                buf = io.BytesIO()
                torch.onnx.export(module, inputs, buf, dynamo=False, opset_version=opset,
                                  input_names=input_names, output_names=output_names,
                                  dynamic_axes={name: {0: "batch"} for name in input_names + output_names},
                                  training=torch.onnx.TrainingMode.EVAL)
                proto = buf.getvalue()
    finally:
        module.train(was_training)
    return load_onnx(proto)
