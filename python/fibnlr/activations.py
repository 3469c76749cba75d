"""The element-wise activations on the Python side: one row each.

The C++ list (``include/fibnlr/operator/Activation.hpp``) defines what each
activation computes; this table says how it is spelled elsewhere: its ONNX
operator (with the first opset that has it) and the PyTorch function that
computes it for ``fibnlr.torch``. ONNX import, ONNX export and the PyTorch
conversion all read this table, so adding an activation on the Python side is
one row here.

Activations that ONNX lacks at some opsets are written as the pattern
PyTorch exports for them (``pattern``), and the importer fuses that pattern
back (``onnx_io/patterns.py`` for SiLU and Mish, as for GELU).
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable


@dataclass(frozen=True)
class ActivationSpec:
    """How one fibnlr activation type is spelled in ONNX and computed in PyTorch.

    ``onnx_op`` is None when no ONNX operator exists (SiLU); ``onnx_since`` is
    the first opset with it. ``torch`` maps the node's attribute dict to a
    callable on tensors. Attributes keep their names in ONNX.
    """
    type: str
    onnx_op: str | None
    onnx_since: int = 1
    torch: Callable[[dict], Callable] = field(default=None, repr=False)


def _f():
    # torch is optional for the core package: imported when a converter is used.
    import torch.nn.functional as F
    return F


def _torch_gelu(a):
    return functools.partial(_f().gelu, approximate="tanh" if a["approximate"] == "tanh" else "none")


def _torch_hard_sigmoid(a):
    import torch
    return lambda x: torch.clamp(a["alpha"] * x + a["beta"], 0.0, 1.0)


def _torch_selu(a):
    # F.selu has the default constants only; this is the general formula.
    import torch
    return lambda x: a["gamma"] * torch.where(x > 0, x, a["alpha"] * torch.expm1(x))


ACTIVATIONS = [
    ActivationSpec("ReLU", "Relu", 1, lambda a: _f().relu),
    ActivationSpec("LeakyReLU", "LeakyRelu", 1,
                   lambda a: functools.partial(_f().leaky_relu, negative_slope=a["alpha"])),
    # ONNX has no ReLU6: it is a Clip to [0, 6] (onnx_io/converters.py reads and writes it).
    ActivationSpec("ReLU6", None, 1, lambda a: _f().relu6),
    ActivationSpec("GELU", "Gelu", 20, _torch_gelu),
    ActivationSpec("Sigmoid", "Sigmoid", 1, lambda a: __import__("torch").sigmoid),
    ActivationSpec("HardSigmoid", "HardSigmoid", 1, _torch_hard_sigmoid),
    ActivationSpec("HardSwish", "HardSwish", 14, lambda a: _f().hardswish),
    ActivationSpec("Tanh", "Tanh", 1, lambda a: __import__("torch").tanh),
    ActivationSpec("ELU", "Elu", 1, lambda a: functools.partial(_f().elu, alpha=a["alpha"])),
    ActivationSpec("SELU", "Selu", 1, _torch_selu),
    ActivationSpec("CELU", "Celu", 12, lambda a: functools.partial(_f().celu, alpha=a["alpha"])),
    ActivationSpec("Softplus", "Softplus", 1, lambda a: _f().softplus),
    ActivationSpec("Mish", "Mish", 18, lambda a: _f().mish),
    ActivationSpec("SiLU", None, 1, lambda a: _f().silu),
]
BY_TYPE = {spec.type: spec for spec in ACTIVATIONS}
