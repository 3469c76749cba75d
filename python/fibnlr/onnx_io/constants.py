"""Constant nodes become initializers, under a bound on created values.

`_constants_to_initializers` evaluates every `Constant` node (dense, sparse
or scalar/list attribute forms) into an initializer.  `_SizeLimit` is the
`max_constant_bytes` bound that both this pass and constant folding check
before materialising a value, so a small model cannot make them allocate
gigabytes.
"""

from __future__ import annotations

import math

import numpy as np
from onnx import helper, numpy_helper

from .graphs import _retain

# Largest value constant folding may create.  A 200-byte ConstantOfShape or
# Expand can ask for gigabytes; folding refuses instead of materialising it.
DEFAULT_MAX_CONSTANT_BYTES = 256 << 20


def _constants_to_initializers(graph, limit):
    for node in graph.node:
        if node.op_type == "Constant":
            if len(node.output) != 1 or not node.output[0]:
                raise ValueError(f"node '{node.name}' (Constant) must have "
                                 f"one output, has {list(node.output)}")
            try:
                value = _constant_value(node, limit)
            except (ValueError, TypeError, IndexError, KeyError,
                    OverflowError) as exc:
                raise ValueError(f"node '{node.name}' (Constant): bad value "
                                 f"attribute: {exc}") from None
            graph.initializer.append(
                numpy_helper.from_array(value, node.output[0]))
    _retain(graph.node, lambda node: node.op_type != "Constant")


_CONSTANT_DTYPES = {"value_float": np.float32, "value_floats": np.float32,
                    "value_int": np.int64, "value_ints": np.int64,
                    "value_string": object, "value_strings": object}


def _constant_value(node, limit):
    if len(node.attribute) != 1:
        raise ValueError(f"expected exactly one attribute, got "
                         f"{[a.name for a in node.attribute]}")
    attr = node.attribute[0]
    value = helper.get_attribute_value(attr)
    if attr.name == "value":
        return numpy_helper.to_array(value)
    if attr.name == "sparse_value":
        return _densify(value, node, limit)
    if attr.name not in _CONSTANT_DTYPES:
        raise ValueError(f"unknown attribute '{attr.name}'")
    return np.array(value, dtype=_CONSTANT_DTYPES[attr.name])


def _densify(sparse, node, limit):
    values = numpy_helper.to_array(sparse.values)
    indices = numpy_helper.to_array(sparse.indices)
    dims = tuple(sparse.dims)
    limit.check(node, dims, values.dtype)
    if indices.ndim == 2:  # [NNZ, rank] coordinates rather than flat offsets
        indices = np.ravel_multi_index(tuple(indices.T), dims)
    dense = np.zeros(math.prod(dims), dtype=values.dtype)
    dense[indices] = values
    return dense.reshape(dims)


class _SizeLimit:
    """The bound on values constant folding creates (max_constant_bytes)."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes

    def check(self, node, dims, dtype):
        """Raise ValueError, naming `node`, if an array of `dims` and `dtype`
        would be larger than the limit (or has a negative dim)."""
        dims = [int(d) for d in dims]
        if any(d < 0 for d in dims):
            raise ValueError(f"node '{node.name}' ({node.op_type}): shape "
                             f"{dims} has a negative dimension")
        nbytes = math.prod(dims) * np.dtype(dtype).itemsize
        if nbytes > self.max_bytes:
            raise ValueError(
                f"node '{node.name}' ({node.op_type}): constant folding would "
                f"create a tensor of shape {dims} ({nbytes} bytes), more than "
                f"max_constant_bytes={self.max_bytes}; pass a larger "
                "max_constant_bytes to load_onnx if this is intended")
