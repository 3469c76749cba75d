"""Field-level checks of a parsed ONNX model before anything reads it.

A corrupt file can still parse: protobuf (proto2, upb) hands back a string
field that is not valid UTF-8 as ``bytes``, a tensor can declare dims its data
does not have or keep its data in an external file, an attribute can have no
type. Left alone these surface later as ``KeyError``, ``TypeError`` or
``UnicodeDecodeError`` far from their cause; here each becomes a
``ValueError`` naming the node (or tensor) and the field.
"""
from __future__ import annotations

import math

import onnx
from onnx import helper

__all__ = ["check_fields"]

# Data types numpy_helper can turn into arrays (others are refused up front).
_TENSOR_TYPES = set(helper.get_all_tensor_dtypes()) - {onnx.TensorProto.UNDEFINED}


def check_fields(model: onnx.ModelProto) -> None:
    """Raise ValueError for the first malformed field of `model`."""
    for i, opset in enumerate(model.opset_import):
        _text(opset.domain, f"opset_import #{i}: field 'domain'")
    _check_graph(model.graph, "graph")


def _text(value, where):
    if isinstance(value, bytes):
        raise ValueError(f"{where} is not valid UTF-8 ({value[:40]!r})")
    return value


def _check_graph(graph, where):
    _text(graph.name, f"{where}: field 'name'")
    for field in ("input", "output", "value_info"):
        for i, vi in enumerate(getattr(graph, field)):
            name = _text(vi.name, f"{where}: {field} #{i} field 'name'")
            tensor = vi.type.tensor_type
            if vi.type.HasField("tensor_type") and tensor.HasField("shape"):
                for d in tensor.shape.dim:
                    _text(d.dim_param, f"{where}: {field} '{name}' field 'dim_param'")
                    if d.HasField("dim_value") and d.dim_value < 0:
                        raise ValueError(f"{where}: {field} '{name}' has dim {d.dim_value}, expected >= 0")
    for i, tensor in enumerate(graph.initializer):
        _check_tensor(tensor, f"{where}: initializer #{i}")
    if graph.sparse_initializer:
        raise ValueError(f"{where}: sparse initializers are not supported "
                         f"('{_text(graph.sparse_initializer[0].values.name, 'a sparse initializer name')}')")
    for i, node in enumerate(graph.node):
        _check_node(node, f"{where}: node #{i}")


def _check_node(node, where):
    name = _text(node.name, f"{where} field 'name'")
    where = f"node '{name}'" if name else where
    op = _text(node.op_type, f"{where} field 'op_type'")
    where = f"{where} ({op})"
    _text(node.domain, f"{where} field 'domain'")
    for field in ("input", "output"):
        for k, tensor in enumerate(getattr(node, field)):
            _text(tensor, f"{where} field '{field}' #{k}")
    for attr in node.attribute:
        attr_name = _text(attr.name, f"{where}: an attribute name")
        _text(attr.ref_attr_name, f"{where}: attribute '{attr_name}' field 'ref_attr_name'")
        what = f"{where}: attribute '{attr_name}'"
        if attr.type == onnx.AttributeProto.UNDEFINED:
            raise ValueError(f"{what} has no type")
        if attr.type == onnx.AttributeProto.TENSOR:
            _check_tensor(attr.t, what)
        elif attr.type == onnx.AttributeProto.TENSORS:
            for t in attr.tensors:
                _check_tensor(t, what)
        elif attr.type == onnx.AttributeProto.SPARSE_TENSOR:
            _check_tensor(attr.sparse_tensor.values, f"{what} (values)")
            _check_tensor(attr.sparse_tensor.indices, f"{what} (indices)")
            if any(d < 0 for d in attr.sparse_tensor.dims):
                raise ValueError(f"{what} has dims {list(attr.sparse_tensor.dims)}, expected >= 0")
        elif attr.type == onnx.AttributeProto.GRAPH:
            _check_graph(attr.g, f"{what} subgraph")
        elif attr.type == onnx.AttributeProto.GRAPHS:
            for g in attr.graphs:
                _check_graph(g, f"{what} subgraph")


def _check_tensor(tensor, where):
    name = _text(tensor.name, f"{where} field 'name'")
    where = f"{where} '{name}'" if name else where
    if tensor.data_type not in _TENSOR_TYPES:
        raise ValueError(f"{where} has unknown data_type {tensor.data_type}")
    if tensor.data_location == onnx.TensorProto.EXTERNAL or tensor.external_data:
        raise ValueError(f"{where} keeps its data in an external file that was not read "
                         "(load_onnx reads it from the model's folder)")
    dims = list(tensor.dims)
    if any(d < 0 for d in dims):
        raise ValueError(f"{where} has dims {dims}, expected >= 0")
    count = math.prod(dims)
    if tensor.data_type == onnx.TensorProto.STRING:
        stored = len(tensor.string_data)
    elif tensor.HasField("raw_data"):
        size = helper.tensor_dtype_to_np_dtype(tensor.data_type).itemsize
        # Sub-byte types (int4, ...) pack several elements per byte.
        stored = None if tensor.data_type in _PACKED else len(tensor.raw_data) // size
    else:
        stored = None  # typed fields: numpy_helper checks their length
    if stored is not None and stored != count:
        raise ValueError(f"{where} has dims {dims} ({count} values) but stores {stored} values")


_PACKED = {getattr(onnx.TensorProto, n) for n in ("INT4", "UINT4", "FLOAT4E2M1") if hasattr(onnx.TensorProto, n)}
