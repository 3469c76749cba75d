"""fibnlr: Fast Input-Based Non-Linearity Pruning for CNNs.

Load a model with :func:`load_onnx`, compile it for an input shape, run it,
inspect and rewrite its graph, and write it back with :func:`save_onnx`.
"""
import sys as _sys

from ._core import GraphView, Node, Operator, Tensor, dtype, make_operator, operator_types, recipes
from .merge_report import count_layers, format_simplify_report
from .onnx_io import load_onnx, save_onnx, to_onnx

# `import fibnlr.recipes` and `from fibnlr.recipes import ...` work like a package module.
_sys.modules[__name__ + ".recipes"] = recipes

__version__ = "0.1.0"

__all__ = [
    "GraphView",
    "Node",
    "Operator",
    "Tensor",
    "count_layers",
    "dtype",
    "format_simplify_report",
    "load_onnx",
    "make_operator",
    "operator_types",
    "recipes",
    "save_onnx",
    "to_onnx",
]
