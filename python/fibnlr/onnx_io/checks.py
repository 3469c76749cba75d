"""Graph checks, opset upgrade and graph-input declarations of `normalize`.

Before any pass rewrites the graph, rejects what later passes could not
index safely (duplicate producers, missing tensors, cycles, nodes outside
the default domain, input or output counts outside the op's schema, a bad
`input_shapes` argument), puts the nodes in topological order, upgrades
opsets 6..12 to the first native opset and stops listing initializers as
graph inputs.  `_pin_input_shapes`, the last step of `normalize`, declares
`input_shapes` on the graph inputs.

Field-level checks of the parsed protobuf (invalid UTF-8, tensor sizes,
untyped attributes, external data) are `validate.check_fields`, which
`normalize` runs first; this module checks the graph those fields describe.
"""

from __future__ import annotations

import functools
import heapq
import numbers
from collections import defaultdict

import onnx
import onnx.checker
import onnx.defs
from onnx import helper, shape_inference, version_converter

from .graphs import _all_nodes, _declared_dims, _node_inputs, _retain

NATIVE_OPSETS = range(13, 22)
_MIN_CONVERTIBLE_OPSET = 6
_DEFAULT_DOMAINS = ("", "ai.onnx")


def _check_structure(graph):
    """Reject duplicate producers, missing tensors and cycles; sort nodes."""
    available = {v.name for v in graph.input}
    available.update(t.name for t in graph.initializer)
    producer = {}
    for node in graph.node:
        for out in filter(None, node.output):
            if out in producer or out in available:
                raise ValueError(f"node '{node.name}' ({node.op_type}): "
                                 f"tensor '{out}' is defined twice")
            producer[out] = node.name
    for node in graph.node:
        for name in _node_inputs(node):
            if name not in producer and name not in available:
                raise ValueError(
                    f"node '{node.name}' ({node.op_type}): input '{name}' is "
                    "produced by no node and is neither an initializer nor "
                    "a graph input (missing initializer)")
    for out in graph.output:
        if out.name not in producer and out.name not in available:
            raise ValueError(f"graph output '{out.name}' is not produced")
    order = _topological_order(graph.node, producer)
    graph.ClearField("node")
    graph.node.extend(order)


def _topological_order(nodes, producer):
    """Kahn's algorithm, keeping the original order where it is valid."""
    position = {node.name: i for i, node in enumerate(nodes)}
    preds = {node.name: {producer[n] for n in _node_inputs(node)
                         if n in producer} for node in nodes}
    succs = defaultdict(list)
    for name, pred_names in preds.items():
        for pred in pred_names:
            succs[pred].append(name)
    missing = {name: len(p) for name, p in preds.items()}
    ready = [position[name] for name, count in missing.items() if count == 0]
    heapq.heapify(ready)
    order = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        order.append(node)
        for succ in succs[node.name]:
            missing[succ] -= 1
            if missing[succ] == 0:
                heapq.heappush(ready, position[succ])
    if len(order) < len(nodes):
        stuck = {name for name, count in missing.items() if count > 0}
        raise ValueError("graph has a cycle through nodes "
                         + " -> ".join(_find_cycle(stuck, preds)))
    return order


def _find_cycle(stuck, preds):
    """Walk backwards through unsorted nodes until one repeats."""
    path = [min(stuck)]
    while True:
        pred = min(p for p in preds[path[-1]] if p in stuck)
        if pred in path:
            cycle = path[path.index(pred):] + [pred]
            return list(reversed(cycle))
        path.append(pred)


def _check_domains(graph):
    foreign = [f"'{n.name}' ({n.domain}::{n.op_type})"
               for n in _all_nodes(graph) if n.domain not in _DEFAULT_DOMAINS]
    if foreign:
        raise ValueError("nodes outside the default ONNX domain are not "
                         "supported: " + ", ".join(foreign))


def _check_arity(graph, opset):
    """Input and output counts within the op's ONNX schema, so later passes
    can index them.  Ops ONNX does not define at this opset (Gelu before 20,
    which fibnlr reads anyway) are left to the importer."""
    for node in graph.node:
        schema = _schema(node.op_type, opset, node.domain)
        if schema is None:
            continue
        for field, low, high in (("inputs", schema.min_input,
                                  schema.max_input),
                                 ("outputs", schema.min_output,
                                  schema.max_output)):
            count = len(getattr(node, field[:-1]))
            if not low <= count <= high:
                raise ValueError(
                    f"node '{node.name}' ({node.op_type}): {count} {field}, "
                    f"expected {low}..{high} at opset {opset}")
        if not node.output or not node.output[0]:
            raise ValueError(f"node '{node.name}' ({node.op_type}): its "
                             "first output has no name")


@functools.lru_cache(maxsize=None)
def _schema(op_type, opset, domain):
    try:
        return onnx.defs.get_schema(op_type, opset, domain)
    except onnx.defs.SchemaError:
        return None


def _default_opset(model):
    for opset in model.opset_import:
        if opset.domain in _DEFAULT_DOMAINS:
            return opset.version
    raise ValueError("model imports no default-domain (ai.onnx) opset")


def _upgrade_opset(model):
    opset = _default_opset(model)
    if opset in NATIVE_OPSETS:
        return model
    native = f"{NATIVE_OPSETS.start}..{NATIVE_OPSETS[-1]}"
    if not _MIN_CONVERTIBLE_OPSET <= opset < NATIVE_OPSETS.start:
        raise ValueError(
            f"default-domain opset {opset} is not supported: fibnlr imports "
            f"opsets {native} and upgrades opsets "
            f"{_MIN_CONVERTIBLE_OPSET}..{NATIVE_OPSETS.start - 1}")
    try:
        upgraded = version_converter.convert_version(model,
                                                     NATIVE_OPSETS.start)
    except (version_converter.ConvertError, shape_inference.InferenceError,
            onnx.checker.ValidationError, RuntimeError) as exc:
        # RuntimeError: the converter's own assertions (no adapter for an op).
        raise ValueError(f"cannot upgrade opset {opset} to "
                         f"{NATIVE_OPSETS.start}: {exc}") from exc
    # Dropping initializers from the inputs later needs IR >= 4.
    minimum = helper.find_min_ir_version_for(upgraded.opset_import,
                                             ignore_unknown=True)
    upgraded.ir_version = max(upgraded.ir_version, minimum)
    return upgraded


def _drop_initializer_inputs(graph):
    """Old exporters list weights as inputs; treat them as constants."""
    weights = {t.name for t in graph.initializer}
    _retain(graph.input, lambda v: v.name not in weights)


def _check_input_shapes(graph, input_shapes):
    inputs = {v.name: v for v in graph.input}
    for name, dims in input_shapes.items():
        if name not in inputs:
            raise ValueError(f"input_shapes names '{name}', which is not a "
                             "graph input")
        if not all(isinstance(d, numbers.Integral) and not isinstance(d, bool)
                   and d > 0 for d in dims):
            raise ValueError(f"input_shapes['{name}'] = {list(dims)}: dims "
                             "must be positive ints")
        declared = _declared_dims(inputs[name])
        if declared is not None and len(declared) != len(dims):
            raise ValueError(f"input_shapes['{name}'] has rank {len(dims)} "
                             f"but the graph input has rank {len(declared)}")


def _pin_input_shapes(graph, input_shapes, keep_dynamic_batch):
    """Declare `input_shapes`, keeping a dynamic batch if nothing used it."""
    for value_info in graph.input:
        dims = input_shapes.get(value_info.name)
        if dims is None:
            continue
        shape = value_info.type.tensor_type.shape
        declared = _declared_dims(value_info)
        keep_batch = (keep_dynamic_batch and bool(declared)
                      and not isinstance(declared[0], int))
        pinned = onnx.TensorShapeProto()
        for i, dim in enumerate(dims):
            if i == 0 and keep_batch:
                pinned.dim.add().CopyFrom(shape.dim[0])
            else:
                pinned.dim.add().dim_value = int(dim)
        shape.CopyFrom(pinned)
