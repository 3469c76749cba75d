"""Tensors stored outside an ONNX file ("external data"), read safely.

An ONNX tensor may keep its bytes in another file: ``data_location`` is
EXTERNAL and ``external_data`` holds ``location`` (a path relative to the
folder of the model file), and optionally ``offset`` and ``length`` in bytes.
`embed_external_data` reads them into the tensors (``raw_data``), so that
nothing later (opset conversion, shape inference, constant folding) resolves
a location itself: onnx's own helpers resolve it against the current working
directory when they are not told the model's folder.

Rules: the location is resolved against the model's folder only; an absolute
location, one with ``..`` components, or one that leads out of the folder
through a symlink is refused, as is a missing file, an offset or length that
is not a non-negative integer or reaches past the end of the file, and a
byte count that does not match the tensor's dims and type.  Every refusal is
a ``ValueError`` naming the tensor.
"""
from __future__ import annotations

import os

import numpy as np
import onnx
from onnx import TensorProto, helper


def _graph_tensors(graph):
    """Every TensorProto of `graph` and its subgraphs, with a description for errors."""
    for t in graph.initializer:
        yield t, f"initializer '{t.name}'"
    for s in graph.sparse_initializer:
        yield s.values, f"sparse initializer '{s.values.name}' (values)"
        yield s.indices, f"sparse initializer '{s.values.name}' (indices)"
    for node in graph.node:
        for a in node.attribute:
            where = f"node '{node.name}' ({node.op_type}) attribute '{a.name}'"
            if a.HasField("t"):
                yield a.t, where
            for t in a.tensors:
                yield t, where
            if a.HasField("g"):
                yield from _graph_tensors(a.g)
            for g in a.graphs:
                yield from _graph_tensors(g)


def external_tensors(model: onnx.ModelProto):
    """(tensor, description) of every tensor of `model` whose data is external."""
    return [(t, what) for t, what in _graph_tensors(model.graph)
            if t.HasField("data_location") and t.data_location == TensorProto.EXTERNAL]


def _byte_count(tensor, what):
    """Bytes the tensor's dims and data type call for."""
    if tensor.data_type in (TensorProto.STRING, TensorProto.UNDEFINED):
        raise ValueError(f"{what}: external data of type "
                         f"{TensorProto.DataType.Name(tensor.data_type)} is not supported")
    try:
        dtype = helper.tensor_dtype_to_np_dtype(tensor.data_type)
    except (KeyError, ValueError):
        raise ValueError(f"{what}: unknown data type {tensor.data_type}") from None
    count = int(np.prod([int(d) for d in tensor.dims], dtype=np.int64)) if len(tensor.dims) else 1
    if any(int(d) < 0 for d in tensor.dims):
        raise ValueError(f"{what}: negative dims {list(tensor.dims)}")
    packed = {getattr(TensorProto, n): 4 for n in ("INT4", "UINT4", "FLOAT4E2M1") if hasattr(TensorProto, n)}
    bits = packed.get(tensor.data_type)
    if bits is not None:
        return (count * bits + 7) // 8
    return count * np.dtype(dtype).itemsize


def _non_negative_int(text, key, what):
    try:
        value = int(text)
    except (TypeError, ValueError):
        raise ValueError(f"{what}: external data {key} '{text}' is not an integer") from None
    if value < 0:
        raise ValueError(f"{what}: external data {key} {value} is negative")
    return value


def _resolve(location, base_dir, what):
    """The real path of `location` inside `base_dir`, refusing anything that leaves it."""
    if not location:
        raise ValueError(f"{what}: external data has no location")
    if os.path.isabs(location) or os.path.splitdrive(location)[0] or location.startswith(("/", "\\")):
        raise ValueError(f"{what}: external data location '{location}' is absolute; "
                         "it must be a path relative to the model's folder")
    parts = location.replace("\\", "/").split("/")
    if ".." in parts:
        raise ValueError(f"{what}: external data location '{location}' contains '..'; "
                         "it must stay inside the model's folder")
    base = os.path.realpath(base_dir)
    path = os.path.realpath(os.path.join(base, location))
    if os.path.commonpath([base, path]) != base:
        raise ValueError(f"{what}: external data location '{location}' leads out of the model's folder "
                         f"'{base}' (to '{path}', through a symlink)")
    if not os.path.isfile(path):
        raise ValueError(f"{what}: external data file '{location}' not found in '{base}'")
    return path


def embed_external_data(model: onnx.ModelProto, base_dir, source_desc: str) -> onnx.ModelProto:
    """`model` with every external tensor's bytes read in (a copy when there are any).

    `base_dir` is the folder locations are relative to (the model file's
    folder, or the caller's ``external_data_dir``); None when the model came
    from bytes or a ModelProto without one, which is then an error if some
    tensor is external.  `source_desc` names the model in messages.
    """
    if not external_tensors(model):
        return model
    result = onnx.ModelProto()
    result.CopyFrom(model)
    for tensor, what in external_tensors(result):
        info = {e.key: e.value for e in tensor.external_data}
        location = info.get("location", "")
        if base_dir is None:
            raise ValueError(f"{what} stores its data in '{location}' outside the model, and {source_desc} "
                             "has no folder to find it in: pass external_data_dir")
        path = _resolve(location, os.fspath(base_dir), what)
        offset = _non_negative_int(info.get("offset", "0"), "offset", what)
        expected = _byte_count(tensor, what)
        length = _non_negative_int(info["length"], "length", what) if "length" in info else expected
        if length != expected:
            raise ValueError(f"{what}: external data length {length} does not match its dims "
                             f"{list(tensor.dims)} and type ({expected} bytes)")
        size = os.path.getsize(path)
        if offset + length > size:
            raise ValueError(f"{what}: external data bytes [{offset}, {offset + length}) reach past the end "
                             f"of '{location}' ({size} bytes)")
        with open(path, "rb") as f:
            f.seek(offset)
            data = f.read(length)
        tensor.raw_data = data
        del tensor.external_data[:]
        tensor.data_location = TensorProto.DEFAULT
    return result
