"""Normalise an ONNX model so that fibnlr's importer sees a simple graph.

`normalize` returns a new model, equivalent for inference, in which

* the default-domain opset lies in `NATIVE_OPSETS` (opsets 6..12 are upgraded
  with the ONNX version converter);
* every `Constant` node has become an initializer;
* shape-only subgraphs (`Shape -> Gather -> Unsqueeze -> Concat -> Reshape`
  and friends, see `_FOLD_OPS`) and every other node of those op types whose
  inputs are all constant have been evaluated into initializers;
* the Erf and Tanh forms of GELU are fused into one `Gelu` node;
* every node has a unique, non-empty name;
* initializers are no longer listed as graph inputs, and dead nodes and unused
  initializers are gone.

Batch-size rule.  `Shape` of a data tensor is folded from ONNX shape
inference (with data propagation), run with `input_shapes` substituted and
dimension 0 of every graph input replaced by a symbol: its own `dim_param`,
or a synthesised one when it was static or unnamed.  A dim that is not a
static int under that inference becomes a `_Dim` marker carrying its symbol
when it is a graph-input `dim_param` (the batch, or e.g. a dynamic height)
and, for the final fallback, its value from a second inference that keeps
dimension 0 concrete.  Markers pass unchanged through the ops that only move
elements (Gather, Unsqueeze, Squeeze, Concat, Slice, Reshape, Identity,
Expand, Where's branches, Cast to int64).

* Where a marker lands in the `shape` input of a `Reshape` without
  allowzero=1, at a position whose input dim carries the same symbol, it is
  written as 0 ("copy this dim"), so `x.view(x.size(0), -1)` and
  ShuffleNet's `x.view(b, groups, c // groups, h, w)` fold to constant
  shapes that work for any batch size.
* Anywhere else (arithmetic, `ConstantOfShape`, a graph output, a Reshape
  position holding another dim) the marker's concrete value is used, but
  only once folding has otherwise converged, since later passes may prove
  the dim static or symbol-matched.  That ties the model to the batch size:
  graph inputs named in `input_shapes` then declare it (otherwise their dim
  0 stays as declared).
* When no concrete value is known, the nodes stay; if a `Shape` node is
  left whose only undetermined dims are graph-input symbols, `ValueError`
  names it and asks for `input_shapes`.  Dims that shape inference cannot
  determine at all (e.g. a dynamic height after a strided Conv) leave their
  `Shape` subgraph in place without an error.

Limits: symbolic dims are not tracked through arithmetic (c // g is folded
only because c is static); ops outside `_FOLD_OPS` (Size, ReduceProd, ...)
are never evaluated; subgraph bodies (If/Loop/Scan) are only renamed, though
their reads from the outer graph are respected.  A fused `Gelu` is standard
ONNX from opset 20 only; the model keeps its opset because fibnlr
understands `Gelu` at any opset (bump the opset to 20 before running such a
model in onnxruntime).  The Tanh form is matched as torch writes it:
sqrt(2/pi) * (x + 0.044715 * x^3) with x^3 as Pow(x, 3) or Mul chains.
"""

from __future__ import annotations

import functools
import heapq
import math
import numbers
from collections import defaultdict

import numpy as np
import onnx
import onnx.checker
import onnx.defs
from onnx import helper, numpy_helper, shape_inference, version_converter

from .validate import check_fields

__all__ = ["DEFAULT_MAX_CONSTANT_BYTES", "NATIVE_OPSETS", "normalize"]

NATIVE_OPSETS = range(13, 22)
_MIN_CONVERTIBLE_OPSET = 6
_DEFAULT_DOMAINS = ("", "ai.onnx")
# Initializers up to this size keep their data in the copy given to shape
# inference (shape values need it); larger ones are declared as inputs so
# weights are not copied on every folding pass.
_MAX_INFERENCE_CONST = 1024
# Largest value constant folding may create.  A 200-byte ConstantOfShape or
# Expand can ask for gigabytes; folding refuses instead of materialising it.
DEFAULT_MAX_CONSTANT_BYTES = 256 << 20


def normalize(model: onnx.ModelProto,
              input_shapes: dict[str, list[int]] | None = None,
              max_constant_bytes: int = DEFAULT_MAX_CONSTANT_BYTES
              ) -> onnx.ModelProto:
    """Return a normalised copy of `model`; `model` itself is not modified.

    `input_shapes` maps graph-input names to concrete shapes used for shape
    inference; dims must be positive ints.  Constant folding refuses to
    create a value of more than `max_constant_bytes` bytes.  Raises
    `ValueError` for malformed fields, unsupported opsets or domains,
    missing tensors, cycles, bad shapes and values over that limit.
    """
    if (not isinstance(max_constant_bytes, numbers.Integral)
            or isinstance(max_constant_bytes, bool) or max_constant_bytes <= 0):
        raise ValueError(f"max_constant_bytes must be a positive int, got "
                         f"{max_constant_bytes!r}")
    check_fields(model)
    result = onnx.ModelProto()
    result.CopyFrom(model)
    input_shapes = dict(input_shapes or {})
    _name_nodes(result.graph)
    _check_structure(result.graph)
    _check_domains(result.graph)
    _check_arity(result.graph, _default_opset(result))
    result = _upgrade_opset(result)
    graph = result.graph
    _check_arity(graph, _default_opset(result))
    _name_nodes(graph)
    _drop_initializer_inputs(graph)
    _check_input_shapes(graph, input_shapes)
    limit = _SizeLimit(int(max_constant_bytes))
    _constants_to_initializers(graph, limit)
    specialized = _fold_constants(result, input_shapes, limit)
    _fuse_gelu(graph)
    _remove_dead(graph)
    _prune_value_info(graph)
    _pin_input_shapes(graph, input_shapes, keep_dynamic_batch=not specialized)
    return result


# --------------------------------------------------------------------------
# Graph traversal helpers


def _subgraphs(node):
    if not node.attribute:
        return
    for attr in node.attribute:
        if attr.type == onnx.AttributeProto.GRAPH:
            yield attr.g
        elif attr.type == onnx.AttributeProto.GRAPHS:
            yield from attr.graphs


def _all_nodes(graph):
    """Nodes of `graph` and of all nested subgraphs, depth first."""
    for node in graph.node:
        yield node
        for sub in _subgraphs(node):
            yield from _all_nodes(sub)


def _outer_references(graph):
    """Names a subgraph reads from enclosing scopes."""
    defined = {v.name for v in graph.input}
    defined.update(t.name for t in graph.initializer)
    used = {v.name for v in graph.output}
    for node in graph.node:
        defined.update(node.output)
        used.update(name for name in node.input if name)
        used |= _implicit_inputs(node)
    return used - defined


def _implicit_inputs(node):
    """Outer-scope tensors read by the subgraphs of `node` (If/Loop/Scan)."""
    refs = set()
    for sub in _subgraphs(node):
        refs |= _outer_references(sub)
    return refs


def _node_inputs(node):
    return [name for name in node.input if name] + sorted(
        _implicit_inputs(node))


def _attributes(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def _retain(field, keep):
    """Filter a repeated protobuf field in place; rebuilding it would copy
    every kept item, i.e. all the weights, on each folding pass."""
    for i in reversed(range(len(field))):
        if not keep(field[i]):
            del field[i]


class _Index:
    """Producer and consumer maps of a graph's top level.

    Rebuilt after each edit; consumers are (node name, input position) with
    position None for a read inside a subgraph.
    """

    def __init__(self, graph):
        self.nodes = {node.name: node for node in graph.node}
        self.producer = {}
        self.consumers = defaultdict(list)
        for node in graph.node:
            self.producer.update((out, node) for out in node.output if out)
            for pos, name in enumerate(node.input):
                if name:
                    self.consumers[name].append((node.name, pos))
            for name in _implicit_inputs(node):
                self.consumers[name].append((node.name, None))
        self.outputs = {v.name for v in graph.output}
        self.initializers = {t.name: t for t in graph.initializer}
        self.tensor_names = _Namer(
            set(self.producer) | set(self.initializers)
            | {v.name for v in graph.input})


class _Namer:
    """Hands out `<base>_<k>` names not yet in `taken`."""

    def __init__(self, taken):
        self.taken = taken
        self.counters = defaultdict(int)

    def fresh(self, base):
        while f"{base}_{self.counters[base]}" in self.taken:
            self.counters[base] += 1
        name = f"{base}_{self.counters[base]}"
        self.taken.add(name)
        return name


# --------------------------------------------------------------------------
# Validation, naming and opset handling


def _name_nodes(graph):
    """Give every node (subgraphs included) a unique, non-empty name."""
    taken, unnamed = set(), []
    for node in _all_nodes(graph):
        if node.name and node.name not in taken:
            taken.add(node.name)
        else:
            unnamed.append(node)
    # Named only after collecting all kept names, so no clash is created.
    namer = _Namer(taken)
    for node in unnamed:
        node.name = namer.fresh(node.name or node.op_type)


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


def _declared_dims(value_info):
    """Dims of a tensor value_info as int, dim_param str or None."""
    tensor = value_info.type.tensor_type
    if not value_info.type.HasField("tensor_type") or not tensor.HasField(
            "shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else d.dim_param
                 or None for d in tensor.shape.dim)


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


# --------------------------------------------------------------------------
# Constant nodes


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


# --------------------------------------------------------------------------
# Constant folding of shape subgraphs


class _Dim:
    """A dimension that is not static under batch-free shape inference.

    `symbol` is the graph-input dim_param it equals (None when unknown) and
    `concrete` its value for the given input shapes (None when unknown).
    """

    __slots__ = ("symbol", "concrete", "where")

    def __init__(self, symbol, concrete, where):
        self.symbol = symbol
        self.concrete = concrete
        self.where = where


class _Unfoldable(Exception):
    """The node cannot be folded in this pass; it stays in the graph."""


class _FoldState:
    """Carried across passes: whether a folded value fixed the batch size."""

    def __init__(self):
        self.specialized = False


def _as_value(result):
    """Canonical folded value: object dtype only while it holds _Dim."""
    array = np.asarray(result)
    if array.dtype == object and not any(
            isinstance(v, _Dim) for v in array.flat):
        return array.astype(np.int64)
    return array


def _optional(inputs, i):
    return inputs[i] if i < len(inputs) else None


def _ints(num, array):
    return [int(v) for v in num(array).ravel()]


# Each op takes (inputs, attributes, num): `inputs` are arrays (None for an
# omitted optional input) and `num` converts an array that may hold _Dim into
# int64.  Ops that only move elements around accept _Dim unchanged.

def _gather(inputs, attrs, num):
    data, indices = inputs
    taken = np.take(data, num(indices), axis=attrs.get("axis", 0))
    # A scalar index yields a bare element; keep the data's dtype.
    return np.asarray(taken, dtype=data.dtype)


def _unsqueeze(inputs, attrs, num):
    return np.expand_dims(inputs[0], tuple(_ints(num, inputs[1])))


def _squeeze(inputs, attrs, num):
    axes = _optional(inputs, 1)
    if axes is None:
        return np.squeeze(inputs[0])
    return np.squeeze(inputs[0], axis=tuple(_ints(num, axes)))


def _concat(inputs, attrs, num):
    return np.concatenate(inputs, axis=attrs["axis"])


def _cast(inputs, attrs, num):
    target = helper.tensor_dtype_to_np_dtype(attrs["to"])
    if np.dtype(target).kind not in "biuf":
        raise _Unfoldable
    # Shape values are int64 already, so this cast keeps symbolic dims.
    if inputs[0].dtype == object and target == np.int64:
        return inputs[0]
    return num(inputs[0]).astype(target)


def _constant_of_shape(inputs, attrs, num):
    fill = attrs.get("value")
    fill = (numpy_helper.to_array(fill) if fill is not None
            else np.zeros(1, np.float32))
    return np.full(_ints(num, inputs[0]), fill.ravel()[0], dtype=fill.dtype)


def _slice(inputs, attrs, num):
    data = inputs[0]
    starts, ends = _ints(num, inputs[1]), _ints(num, inputs[2])
    axes = _optional(inputs, 3)
    axes = range(len(starts)) if axes is None else _ints(num, axes)
    steps = _optional(inputs, 4)
    steps = [1] * len(starts) if steps is None else _ints(num, steps)
    index = [slice(None)] * data.ndim
    for start, end, axis, step in zip(starts, ends, axes, steps):
        axis %= data.ndim
        index[axis] = _onnx_slice(start, end, step, data.shape[axis])
    return data[tuple(index)]


def _onnx_slice(start, end, step, dim):
    """Python slice for ONNX Slice bounds, which clamp differently from
    Python's when stepping backwards from out of range."""
    start = start + dim if start < 0 else start
    end = end + dim if end < 0 else end
    if step > 0:
        return slice(min(max(start, 0), dim), min(max(end, 0), dim), step)
    start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
    return slice(start, None if end < 0 else end, step)


def _divide(a, b):
    if np.issubdtype(a.dtype, np.integer):  # ONNX truncates toward zero
        return (np.sign(a) * np.sign(b) * (np.abs(a) // np.abs(b))).astype(
            a.dtype)
    return np.asarray(a / b).astype(a.dtype)


def _reshape(inputs, attrs, num):
    data, shape = inputs[0], _ints(num, inputs[1])
    if not attrs.get("allowzero", 0):
        shape = [data.shape[i] if d == 0 else d for i, d in enumerate(shape)]
    return data.reshape(shape)


def _range(inputs, attrs, num):
    start, limit, delta = (num(v) for v in inputs)
    return np.arange(start.item(), limit.item(), delta.item()).astype(
        start.dtype)


def _where(inputs, attrs, num):
    condition, x, y = inputs
    return np.where(num(condition), x, y)


def _expand(inputs, attrs, num):
    data, shape = inputs[0], _ints(num, inputs[1])
    return np.broadcast_to(
        data, np.broadcast_shapes(data.shape, tuple(shape))).copy()


def _elementwise(fn):
    def fold(inputs, attrs, num):
        return fn(*(num(v) for v in inputs))
    return fold


_FOLD_OPS = {
    "Gather": _gather,
    "Unsqueeze": _unsqueeze,
    "Squeeze": _squeeze,
    "Concat": _concat,
    "Cast": _cast,
    "ConstantOfShape": _constant_of_shape,
    "Slice": _slice,
    "Mul": _elementwise(np.multiply),
    "Add": _elementwise(np.add),
    "Sub": _elementwise(np.subtract),
    "Div": _elementwise(_divide),
    "Reshape": _reshape,
    "Range": _range,
    "Identity": lambda inputs, attrs, num: inputs[0],
    "Floor": _elementwise(np.floor),
    "Ceil": _elementwise(np.ceil),
    "Sqrt": _elementwise(np.sqrt),
    "Equal": _elementwise(np.equal),
    "Where": _where,
    "Expand": _expand,
}


def _output_size(op, inputs, attrs, num):
    """(dims, dtype) of the value a fold op would create, for the ops whose
    output can be much larger than their inputs; (None, None) for the others
    (their output is no larger than an input).  Checked before evaluating."""
    if op == "ConstantOfShape":
        fill = attrs.get("value")
        dtype = (helper.tensor_dtype_to_np_dtype(fill.data_type)
                 if fill is not None else np.float32)
        return _ints(num, inputs[0]), dtype
    if op == "Expand":
        shape = _ints(num, inputs[1])
        if any(d < 0 for d in shape):
            raise ValueError(f"shape {shape} has a negative dimension")
        return np.broadcast_shapes(inputs[0].shape, tuple(shape)), \
            inputs[0].dtype
    if op == "Range":
        start, limit, delta = (num(v).item() for v in inputs)
        if delta == 0:
            raise ValueError("delta is 0")
        count = math.ceil((limit - start) / delta)
        return [max(count, 0)], np.int64
    if op == "Gather":
        data, indices = inputs
        axis = attrs.get("axis", 0)
        if not -data.ndim <= axis < data.ndim:
            raise ValueError(f"axis {axis} is out of range for rank "
                             f"{data.ndim}")
        axis %= data.ndim
        return (list(data.shape[:axis]) + list(indices.shape)
                + list(data.shape[axis + 1:])), data.dtype
    if op in ("Mul", "Add", "Sub", "Div", "Equal", "Where"):
        return np.broadcast_shapes(*(v.shape for v in inputs)), np.int64
    if op == "Concat":
        return [sum(v.size for v in inputs)], inputs[0].dtype
    return None, None


class _ShapeInfo:
    """Dims of every tensor from ONNX shape inference.

    `symbolic`: dim 0 of each graph input is a symbol, other dims come from
    `input_shapes` or the declaration.  `concrete`: `input_shapes` and the
    declared dims as they are; only the final pass, which may fall back to
    concrete values, pays for this second inference.
    """

    def __init__(self, model, input_shapes, with_concrete):
        symbolic_inputs = _inference_inputs(model.graph, input_shapes, True)
        self.symbols = {d for dims in symbolic_inputs.values() for d in dims
                        if isinstance(d, str)}
        self.symbolic = _infer_dims(model, symbolic_inputs)
        self.concrete = _infer_dims(
            model, _inference_inputs(model.graph, input_shapes, False)
        ) if with_concrete else {}

    def dims(self, name):
        """Dims of `name` as int or _Dim, or None if the rank is unknown."""
        symbolic = self.symbolic.get(name)
        if symbolic is None:
            return None
        concrete = self.concrete.get(name)
        if concrete is None or len(concrete) != len(symbolic):
            concrete = (None,) * len(symbolic)
        return [s if isinstance(s, int) else _Dim(
                    s if s in self.symbols else None,
                    c if isinstance(c, int) else None,
                    f"dim {i} of '{name}'")
                for i, (s, c) in enumerate(zip(symbolic, concrete))]


def _inference_inputs(graph, input_shapes, symbolic):
    dims_by_input = {}
    for value_info in graph.input:
        declared = _declared_dims(value_info)
        dims = list(input_shapes.get(value_info.name, declared or []))
        if symbolic and dims:
            first = declared[0] if declared else None
            dims[0] = (first if isinstance(first, str)
                       else f"__fibnlr_dim0_{value_info.name}")
        if dims or declared is not None:
            dims_by_input[value_info.name] = dims
    return dims_by_input


def _infer_dims(model, input_dims):
    """Run shape inference on a weight-free copy; map tensor name -> dims."""
    light = onnx.ModelProto()
    light.ir_version = model.ir_version
    light.opset_import.extend(model.opset_import)
    light.functions.extend(model.functions)
    graph = light.graph
    graph.node.extend(model.graph.node)
    # Declared output shapes could contradict the substituted input shapes.
    graph.output.extend(
        helper.make_tensor_value_info(v.name, v.type.tensor_type.elem_type,
                                      None) for v in model.graph.output)
    for value_info in model.graph.input:
        if value_info.name in input_dims:
            value_info = helper.make_tensor_value_info(
                value_info.name, value_info.type.tensor_type.elem_type,
                input_dims[value_info.name])
        graph.input.append(value_info)
    for tensor in model.graph.initializer:
        if math.prod(tensor.dims) <= _MAX_INFERENCE_CONST:
            graph.initializer.append(tensor)
        else:
            graph.input.append(helper.make_tensor_value_info(
                tensor.name, tensor.data_type, tensor.dims))
    try:
        inferred = shape_inference.infer_shapes(light, data_prop=True).graph
    except (shape_inference.InferenceError, RuntimeError) as exc:
        raise ValueError(f"ONNX shape inference rejects the model: {exc}") \
            from None
    dims = {}
    for value_info in [*inferred.input, *inferred.value_info,
                       *inferred.output]:
        declared = _declared_dims(value_info)
        if declared is not None:
            dims[value_info.name] = declared
    return dims


class _FoldPass:
    """One sweep evaluating foldable nodes and turning them into initializers.

    A non-final pass never uses concrete values for _Dim markers: a value
    that still holds one and cannot be written as Reshape's 0 is left
    unfolded, because a later pass (once shape inference has seen the folded
    shapes) may prove the dims static or symbol-matched.  The final pass
    falls back to concrete values.
    """

    def __init__(self, model, input_shapes, final, state, limit):
        self.limit = limit
        self.model = model
        self.graph = model.graph
        self.input_shapes = input_shapes
        self.final = final
        self.state = state
        self.index = _Index(self.graph)
        self.values = {}

    @functools.cached_property
    def shapes(self):
        return _ShapeInfo(self.model, self.input_shapes, self.final)

    def run(self):
        """Fold what can be folded; return whether the graph changed."""
        for node in self.graph.node:
            if self._foldable(node):
                self._evaluate(node)
        folded = [n for n in self.graph.node if n.output[0] in self.values]
        plans = self._plan(folded)
        for node in folded:
            if node.name in plans:
                self._materialize(node.output[0], plans[node.name])
        _retain(self.graph.node, lambda n: n.name not in plans)
        return bool(plans)

    def check_no_symbolic_shape_left(self):
        """Raise if a Shape stayed only because of a dynamic input dim.

        Shapes with dims that inference cannot determine stay silently.
        """
        for node in self.graph.node:
            if node.op_type != "Shape" or self._is_constant(node.input[0]):
                continue
            try:
                dims = self._shape_dims(node)
            except _Unfoldable:
                continue
            blockers = [d for d in dims if isinstance(d, _Dim)]
            if blockers and all(d.symbol is not None for d in blockers):
                raise ValueError(
                    f"node '{node.name}' (Shape) cannot be folded: "
                    f"{blockers[0].where} is the dynamic input dimension "
                    f"'{blockers[0].symbol}', and its value is needed "
                    "somewhere other than a Reshape target copying that "
                    "dimension.  Pass input_shapes to fix it.")

    def _is_constant(self, name):
        # String tensors are left alone: object arrays mean "holds _Dim".
        initializer = self.index.initializers.get(name)
        return name in self.values or (
            initializer is not None
            and initializer.data_type != onnx.TensorProto.STRING)

    def _constant(self, name):
        if name not in self.values:
            self.values[name] = numpy_helper.to_array(
                self.index.initializers[name])
        return self.values[name]

    def _foldable(self, node):
        if node.op_type == "Shape":
            return True
        return node.op_type in _FOLD_OPS and all(
            self._is_constant(name) for name in node.input if name)

    def _evaluate(self, node):
        try:
            if node.op_type == "Shape":
                dims = self._shape_dims(node)
                dtype = (object if any(isinstance(d, _Dim) for d in dims)
                         else np.int64)
                value = np.array(dims, dtype=dtype)
            else:
                inputs = [self._constant(n) if n else None
                          for n in node.input]
                attrs = _attributes(node)
                dims, dtype = _output_size(node.op_type, inputs, attrs,
                                           self._numeric)
                if dims is not None:
                    self.limit.check(node, dims, dtype)
                value = _FOLD_OPS[node.op_type](inputs, attrs, self._numeric)
        except _Unfoldable:
            return
        except (ValueError, IndexError, TypeError, KeyError, OverflowError,
                ZeroDivisionError, AttributeError, RuntimeError) as exc:
            # Malformed operands reach numpy as None, wrong ranks (numpy
            # raises RuntimeError beyond 32 dims) or out-of-range values.
            if str(exc).startswith(f"node '{node.name}'"):
                raise
            raise ValueError(f"node '{node.name}' ({node.op_type}): cannot "
                             f"evaluate its constant inputs: {exc}") from exc
        self.values[node.output[0]] = _as_value(value)

    def _shape_dims(self, node):
        source = node.input[0]
        if self._is_constant(source):
            dims = list(self._constant(source).shape)
        else:
            dims = self.shapes.dims(source)
            if dims is None:
                raise _Unfoldable
        attrs = _attributes(node)
        # Python slicing clamps start/end exactly like Shape-15.
        return dims[attrs.get("start", 0):attrs.get("end")]

    def _numeric(self, value):
        """int64 copy of `value` with each _Dim replaced by its value."""
        if value.dtype != object:
            return value
        dims = [v for v in value.flat if isinstance(v, _Dim)]
        if dims and (not self.final
                     or any(d.concrete is None for d in dims)):
            raise _Unfoldable
        if dims:
            self.state.specialized = True
        return np.array([v.concrete if isinstance(v, _Dim) else v
                         for v in value.flat],
                        dtype=np.int64).reshape(value.shape)

    def _plan(self, folded):
        """Encode each folded value for its non-folded readers.

        Walks backwards so a node's readers are decided before it: when a
        value cannot be encoded yet, its node stays and becomes a reader of
        its own inputs.  Returns node name -> [(reader, position, array)].
        """
        plans = {}
        for node in reversed(folded):
            name = node.output[0]
            readers = [(self.index.nodes[reader], pos) for reader, pos
                       in self.index.consumers[name] if reader not in plans]
            if name in self.index.outputs:
                readers.append((None, None))
            try:
                plans[node.name] = [
                    (reader, pos, self._encode(self.values[name], reader,
                                               pos))
                    for reader, pos in readers]
            except _Unfoldable:
                continue
        return plans

    def _encode(self, value, reader, pos):
        if (value.dtype == object and reader is not None
                and reader.op_type == "Reshape" and pos == 1
                and not _attributes(reader).get("allowzero", 0)):
            data_dims = self.shapes.symbolic.get(reader.input[0], ())
            value = np.array([0 if _copies_dim(v, i, data_dims) else v
                              for i, v in enumerate(value)], dtype=object)
        return self._numeric(value)

    def _materialize(self, name, plan):
        """Add one initializer per distinct encoding of a folded value."""
        names = {}
        # Readers inside subgraphs and graph outputs need the original name.
        for reader, pos, array in sorted(plan, key=lambda p: p[1] is not None):
            key = (array.dtype.str, array.shape, array.tobytes())
            if key not in names:
                names[key] = (self.index.tensor_names.fresh(name) if names
                              else name)
                self.graph.initializer.append(
                    numpy_helper.from_array(array, names[key]))
            if pos is not None:
                reader.input[pos] = names[key]


def _copies_dim(value, position, data_dims):
    """Whether Reshape's 0 at `position` reproduces this symbolic dim."""
    return (isinstance(value, _Dim) and value.symbol is not None
            and position < len(data_dims)
            and data_dims[position] == value.symbol)


def _fold_constants(model, input_shapes, limit):
    """Fold until stable; return whether the batch size got baked in."""
    state = _FoldState()
    final = False
    while True:
        _remove_dead(model.graph)
        fold_pass = _FoldPass(model, input_shapes, final, state, limit)
        changed = fold_pass.run()
        if final and not changed:
            fold_pass.check_no_symbolic_shape_left()
            return state.specialized
        final = not changed


# --------------------------------------------------------------------------
# GELU fusion

_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715


class _Matcher:
    """Matches chains whose intermediate tensors have exactly one reader."""

    def __init__(self, index):
        self.index = index

    def single_use(self, name):
        return (len(self.index.consumers[name]) == 1
                and self.index.consumers[name][0][1] is not None
                and name not in self.index.outputs)

    def producer(self, name, op_type):
        node = self.index.producer.get(name)
        if node is None or node.op_type != op_type or not self.single_use(
                name):
            return None
        return node

    def reader(self, name, op_type):
        if not self.single_use(name):
            return None
        node = self.index.nodes[self.index.consumers[name][0][0]]
        return node if node.op_type == op_type else None

    def is_const(self, name, target):
        tensor = self.index.initializers.get(name)
        if tensor is None or math.prod(tensor.dims) != 1:
            return False
        value = numpy_helper.to_array(tensor)
        return value.dtype.kind in "fiu" and bool(
            np.isclose(float(value.ravel()[0]), target, rtol=1e-5, atol=0))

    def other(self, node, name):
        """The operand of a binary node that is not `name` (or None)."""
        if node is None or name not in node.input:
            return None
        return node.input[1] if node.input[0] == name else node.input[0]

    def split_const(self, node, target):
        """The operand of binary `node` whose partner is the constant
        `target`; either order, except that Div's constant is the divisor.
        """
        if node is None:
            return None
        if node.op_type == "Div":
            return node.input[0] if self.is_const(node.input[1],
                                                  target) else None
        for a, b in (node.input, reversed(node.input)):
            if self.is_const(b, target):
                return a
        return None


def _match_erf_argument(m, arg):
    """x/sqrt(2) or x*(1/sqrt(2)) -> (x, nodes)."""
    div = m.producer(arg, "Div")
    x = m.split_const(div, _SQRT2)
    if x is not None:
        return x, [div]
    mul = m.producer(arg, "Mul")
    x = m.split_const(mul, 1 / _SQRT2)
    return (x, [mul]) if x is not None else None


def _match_tanh_argument(m, arg):
    """sqrt(2/pi) * (x + 0.044715 * x^3) -> (x, nodes)."""
    scale = m.producer(arg, "Mul")
    inner = m.split_const(scale, _SQRT_2_OVER_PI)
    add = m.producer(inner, "Add") if inner else None
    if add is None:
        return None
    for x, term in (add.input, reversed(add.input)):
        cubic = m.producer(term, "Mul")
        cube = m.split_const(cubic, _TANH_CUBIC)
        cube_nodes = _match_cube(m, cube, x) if cube else None
        if cube_nodes is not None:
            return x, [scale, add, cubic, *cube_nodes]
    return None


def _match_cube(m, name, x):
    """Pow(x, 3), x * (x * x) or (x * x) * x -> nodes."""
    power = m.producer(name, "Pow")
    if power is not None:
        return [power] if (power.input[0] == x
                           and m.is_const(power.input[1], 3.0)) else None
    outer = m.producer(name, "Mul")
    square = m.producer(m.other(outer, x), "Mul") if outer else None
    if square is not None and list(square.input) == [x, x]:
        return [outer, square]
    return None


def _match_scaling(m, one_plus, x):
    """0.5 * x * one_plus in any grouping -> (nodes, output)."""
    first = m.reader(one_plus, "Mul")
    operand = m.other(first, one_plus)
    if operand is None:
        return None
    if operand == x:
        last = m.reader(first.output[0], "Mul")
        if m.split_const(last, 0.5) == first.output[0]:
            return [first, last], last.output[0]
    elif m.is_const(operand, 0.5):
        last = m.reader(first.output[0], "Mul")
        if m.other(last, first.output[0]) == x:
            return [first, last], last.output[0]
    else:
        half = m.producer(operand, "Mul")
        if m.split_const(half, 0.5) == x:
            return [half, first], first.output[0]
    return None


def _match_gelu(m, activation):
    """Match around an Erf or Tanh node -> (x, nodes, output, approximate)."""
    if activation.op_type == "Erf":
        argument, approximate = _match_erf_argument, "none"
    else:
        argument, approximate = _match_tanh_argument, "tanh"
    inner = argument(m, activation.input[0])
    add = m.reader(activation.output[0], "Add")
    if inner is None or m.split_const(add, 1.0) != activation.output[0]:
        return None
    x, inner_nodes = inner
    outer = _match_scaling(m, add.output[0], x)
    if outer is None:
        return None
    outer_nodes, output = outer
    nodes = [*inner_nodes, activation, add, *outer_nodes]
    return x, nodes, output, approximate


def _fuse_gelu(graph):
    index = _Index(graph)
    m = _Matcher(index)
    matches = [match for node in graph.node
               if node.op_type in ("Erf", "Tanh")
               for match in [_match_gelu(m, node)] if match]
    replaced, gelus = set(), {}
    namer = _Namer(set(index.nodes))
    for x, nodes, output, approximate in matches:
        replaced.update(n.name for n in nodes)
        name = namer.fresh("Gelu")
        gelus[output] = helper.make_node("Gelu", [x], [output], name=name,
                                         approximate=approximate)
    rewritten = []
    for node in graph.node:
        if node.output[0] in gelus and node.name in replaced:
            rewritten.append(gelus[node.output[0]])
        elif node.name not in replaced:
            rewritten.append(node)
    graph.ClearField("node")
    graph.node.extend(rewritten)


# --------------------------------------------------------------------------
# Cleanup


def _remove_dead(graph):
    """Drop nodes no graph output depends on, then unused initializers."""
    live = {v.name for v in graph.output}
    dead = set()
    for node in reversed(graph.node):
        if any(out in live for out in node.output):
            live.update(_node_inputs(node))
        else:
            dead.add(node.name)
    _retain(graph.node, lambda node: node.name not in dead)
    _retain(graph.initializer, lambda tensor: tensor.name in live)


def _prune_value_info(graph):
    present = {out for node in graph.node for out in node.output}
    present.update(t.name for t in graph.initializer)
    _retain(graph.value_info, lambda v: v.name in present)
