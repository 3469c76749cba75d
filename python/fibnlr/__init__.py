"""fibnlr: Fast Input-Based Non-Linearity Pruning for CNNs.

Load a model with :func:`load_onnx`, compile it for an input shape, run it,
inspect and rewrite its graph, and write it back with :func:`save_onnx`.
"""
from ._core import (GraphView, Node, Operator, Tensor, dtype, get_kernels, get_num_threads, make_operator,
                    operator_types, set_kernels, set_num_threads, simd_path)
from .onnx_io import load_onnx, save_onnx, to_onnx

__version__ = "0.1.0"

__all__ = [
    "GraphView",
    "Node",
    "Operator",
    "Tensor",
    "dtype",
    "get_kernels",
    "get_num_threads",
    "load_onnx",
    "make_operator",
    "operator_types",
    "save_onnx",
    "set_kernels",
    "set_num_threads",
    "simd_path",
    "to_onnx",
]
