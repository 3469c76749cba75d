"""ONNX file -> fibnlr GraphView."""
from __future__ import annotations

import os
from collections import defaultdict

import numpy as np
import onnx
from onnx import numpy_helper

from .. import _core
from .bias_map import fold_bias_maps
from .converters import SUPPORTED_OPS, convert_node
from .external_data import embed_external_data
from .preprocess import DEFAULT_MAX_CONSTANT_BYTES, normalize

# Annotation keys the importer sets and the exporter reads.
OUTPUT_NAMES = "onnx.output_names"
INPUT_SHAPE = "onnx.input_shape"


def read_model(source, external_data_dir=None) -> onnx.ModelProto:
    """A ModelProto from a path, bytes or ModelProto, with clear errors for bad files.

    Tensors stored outside the file (ONNX external data) are read in from the
    model file's folder, or from ``external_data_dir`` when given (needed for
    bytes and ModelProtos whose data is still external); see external_data.py.
    """
    base_dir = external_data_dir
    if isinstance(source, onnx.ModelProto):
        return embed_external_data(source, base_dir, "the given ModelProto")
    if isinstance(source, (bytes, bytearray)):
        data, what = bytes(source), "the given bytes"
    elif isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if base_dir is None:
            base_dir = os.path.dirname(os.path.abspath(path))
        if not os.path.exists(path):
            raise FileNotFoundError(f"ONNX file not found: '{path}'")
        with open(path, "rb") as f:
            data, what = f.read(), f"'{path}'"
    else:
        raise TypeError(f"load_onnx expects a path, bytes or onnx.ModelProto, got {type(source).__name__}")
    model = onnx.ModelProto()
    try:
        model.ParseFromString(data)
    except Exception as e:  # protobuf raises DecodeError or RuntimeWarning-like errors
        raise ValueError(f"{what} is not a valid ONNX model (parse error: {e})") from None
    if not model.graph.node and not model.graph.output:
        raise ValueError(f"{what} is not an ONNX model (no graph found; truncated or another format)")
    return embed_external_data(model, base_dir, what)


class _Context:
    """What converters see: constants and the opset of the model being imported."""

    def __init__(self, model: onnx.ModelProto):
        self.opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 13)
        self.constants = {}
        for t in model.graph.initializer:
            try:
                self.constants[t.name] = numpy_helper.to_array(t)
            except (ValueError, TypeError) as e:
                raise ValueError(f"initializer '{t.name}' cannot be read: {e}") from None
        self.ranks = {}
        for vi in list(model.graph.input) + list(model.graph.value_info) + list(model.graph.output):
            if vi.type.tensor_type.HasField("shape"):
                self.ranks[vi.name] = len(vi.type.tensor_type.shape.dim)
        self._readers = {}
        for n in model.graph.node:
            for name in n.input:
                self._readers.setdefault(name, f"read by node '{n.name}'")
        for vi in model.graph.output:
            self._readers[vi.name] = "a graph output"

    def const_input(self, node, i, optional=False):
        name = node.input[i] if i < len(node.input) else ""
        if not name:
            if optional:
                return None
            raise ValueError(f"node '{node.name}' ({node.op_type}): input {i} is required")
        if name not in self.constants:
            raise ValueError(f"node '{node.name}' ({node.op_type}): input {i} ('{name}') must be a constant, "
                             "but it is computed at run time")
        return self.constants[name]

    def reader(self, name):
        """Who reads tensor ``name`` ("read by node 'x'" or "a graph output"), None when nothing does."""
        return self._readers.get(name)

    def rank(self, name):
        if name not in self.ranks:
            raise ValueError(f"the rank of tensor '{name}' is unknown")
        return self.ranks[name]


def _check_supported(graph):
    unsupported = defaultdict(list)
    for n in graph.node:
        if n.op_type not in SUPPORTED_OPS:
            unsupported[n.op_type].append(n.name)
    if unsupported:
        detail = "; ".join(f"{op} (nodes {', '.join(repr(x) for x in names)})"
                           for op, names in sorted(unsupported.items()))
        raise ValueError(f"unsupported ONNX operators: {detail}")


def _as_float32(array, what):
    if array.dtype == np.float32:
        return np.ascontiguousarray(array)
    if np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer):
        return np.ascontiguousarray(array, dtype=np.float32)
    raise ValueError(f"{what} has dtype {array.dtype}, expected a numeric tensor")


def load_onnx(source, input_shapes: dict | None = None, external_data_dir=None,
              max_constant_bytes: int = DEFAULT_MAX_CONSTANT_BYTES) -> _core.GraphView:
    """Loads an ONNX model (path, bytes or ModelProto) into a GraphView.

    The model is normalised first (opset upgrade, constant and shape-subgraph
    folding, GELU fusion, unique node names); a Conv followed by Add of a
    constant of its output shape becomes one Conv with a bias map
    (bias_map.py). Node names are the ONNX node names. ``input_shapes`` (name -> dims) pins input shapes while folding.
    Weights stored outside the model file (external data) are read from the
    model file's folder, never the working directory; ``external_data_dir``
    names that folder when ``source`` is bytes or a ModelProto.
    Constant folding refuses (ValueError) to create a tensor larger than
    ``max_constant_bytes`` (default 256 MiB). A malformed model raises
    ValueError naming the node and field.
    """
    model = fold_bias_maps(normalize(read_model(source, external_data_dir), input_shapes, max_constant_bytes))
    graph = model.graph
    _check_supported(graph)
    ctx = _Context(model)
    g = _core.GraphView(graph.name or "graph")

    ports = {}  # ONNX tensor name -> (node, output index)
    producers = {}
    init_names = set(ctx.constants)
    for vi in graph.input:
        if vi.name in init_names:
            continue
        node = g.add_input(vi.name)
        dims = [d.dim_value if d.HasField("dim_value") else 0 for d in vi.type.tensor_type.shape.dim]
        node.set_annotation(INPUT_SHAPE, dims)
        ports[vi.name] = (node, 0)

    def source_of(name, consumer):
        if name in ports:
            return ports[name]
        if name in ctx.constants:
            if name not in producers:
                producers[name] = _core.Node.producer(
                    _as_float32(ctx.constants[name], f"initializer '{name}'"), name)
            return producers[name], 0
        raise ValueError(f"node '{consumer.name}' ({consumer.op_type}): input '{name}' is produced by no node "
                         "and is not an initializer or graph input")

    for onode in graph.node:
        try:
            imported = convert_node(ctx, onode)
        except (KeyError, IndexError, TypeError, OverflowError, AttributeError) as e:
            # A converter met a field it cannot use (wrong type, missing entry, a float too large for int).
            raise ValueError(f"node '{onode.name}' ({onode.op_type}): bad attribute or constant input: "
                             f"{type(e).__name__}: {e}") from None
        op_type, linked = imported.type, imported.inputs
        nb_inputs = len(linked) if imported.variadic else 0
        try:
            node = _core.Node(op_type, onode.name, imported.attributes, nb_inputs)
        except ValueError as e:
            raise ValueError(f"node '{onode.name}' ({onode.op_type}): {e}") from None
        for k, (i, name) in enumerate(linked):
            parent, index = source_of(name, onode)
            if i >= node.nb_inputs():
                raise ValueError(f"node '{onode.name}' ({onode.op_type}) has {len(onode.input)} inputs, "
                                 f"fibnlr's {op_type} takes {node.nb_inputs()}")
            parent.add_child(node, index, k if imported.variadic else i)
        outputs = imported.outputs
        if len([o for o in outputs if o]) > node.nb_outputs():
            raise ValueError(f"node '{onode.name}' ({onode.op_type}): optional extra outputs are not supported")
        for k, name in enumerate(outputs[:node.nb_outputs()]):
            if name:
                ports[name] = (node, k)
        node.set_annotation(OUTPUT_NAMES, list(outputs[:node.nb_outputs()]))
        g.add(node)

    outs = []
    for vi in graph.output:
        if vi.name not in ports:
            raise ValueError(f"graph output '{vi.name}' is not produced by any node")
        outs.append(ports[vi.name])
    g.set_outputs(outs)
    g.get_nodes()  # raises ValueError naming the nodes of a cycle
    return g
