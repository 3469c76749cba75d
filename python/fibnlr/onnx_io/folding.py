"""Constant folding of shape subgraphs (the batch-size rule of `normalize`).

Repeated passes evaluate `Shape` (from ONNX shape inference, run on a
weight-free copy of the model) and every node of an op type in `_FOLD_OPS`
whose inputs are all constant, and turn the results into initializers.  A
dim that is not static becomes a `_Dim` marker carrying its graph-input
symbol (if any) and its concrete value (if the final pass's second
inference knows it).  A marker is written as Reshape's 0 ("copy this dim")
where that reproduces the dim; otherwise it blocks folding until the final
pass, which falls back to the concrete value.  The rule itself is stated in
the docstring of `preprocess`; `_fold_constants` is the entry point and
reports whether a folded value fixed the batch size.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

from .graphs import (_attributes, _declared_dims, _Index, _remove_dead,
                     _retain)

# Initializers up to this size keep their data in the copy given to shape
# inference (shape values need it); larger ones are declared as inputs so
# weights are not copied on every folding pass.
_MAX_INFERENCE_CONST = 1024


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
