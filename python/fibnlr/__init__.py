"""fibnlr: Fast Input-Based Non-Linearity Pruning for CNNs.

Load a model with :func:`load_onnx`, compile it for an input shape, run it,
inspect and rewrite its graph, and write it back with :func:`save_onnx`.
"""
from ._core import GraphView, Node, Operator, Tensor, dtype, make_operator, operator_types
from .onnx_io import load_onnx, save_onnx, to_onnx

__version__ = "0.1.0"

__all__ = [
    "GraphView",
    "Node",
    "Operator",
    "Tensor",
    "dtype",
    "load_onnx",
    "make_operator",
    "operator_types",
    "save_onnx",
    "to_onnx",
]
