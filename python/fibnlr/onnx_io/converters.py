"""ONNX <-> fibnlr operator mapping: `CONVERTERS`, one entry per fibnlr operator.

An entry (`Converter`) holds together the ONNX op(s), the fibnlr type, the
ONNX inputs that must be constants and become attributes (Reshape's shape,
Slice's starts, Clip's bounds, ...: the core never sees int64 tensors at run
time), the import and the export. Adding an operator on the Python side means
adding one entry; the activations' entries are made from their table
(fibnlr/activations.py). The importer calls `convert_node` and the exporter
`export_node`, which dispatch through the table.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, NamedTuple

import numpy as np
from onnx import helper

from ..activations import ACTIVATIONS, BY_TYPE
from .bias_map import bias_map_of, export_conv_with_map
from .patterns import PATTERNS


def _ints(array) -> list[int]:
    return [int(v) for v in np.asarray(array).reshape(-1)]


def _attributes(node) -> dict:
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    return {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}


def _append(ctx, op, name, inputs, outputs, attrs) -> None:
    ctx.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))


class Imported(NamedTuple):
    """What the importer builds for one ONNX node."""
    type: str
    attributes: dict
    inputs: list  # (ONNX input position, tensor name) of the inputs that become edges
    outputs: list  # the ONNX output names, in the order of the fibnlr node's outputs
    variadic: bool  # the fibnlr node takes len(inputs) inputs (Sum, Concat)


@dataclass(frozen=True)
class Converter:
    """One fibnlr operator in ONNX.

    ``onnx_ops``: the ONNX ops imported as this operator; the first is the one
    the default export writes (empty when ONNX has no operator for it).
    ``const_inputs``: ONNX input positions that must be constants and become
    attributes. ``check(ctx, node, attrs)`` raises ValueError for what fibnlr
    does not support, before ``ignored_attrs`` are dropped.
    ``to_fibnlr(ctx, node, attrs)`` -> (fibnlr type, attributes); None carries
    the attributes over. ``to_onnx(ctx, node, inputs, outputs, attrs)`` appends
    the ONNX node(s); None writes one ``onnx_ops[0]`` node with the same
    attributes. ``unread_outputs`` maps ONNX output positions the fibnlr node
    does not have to their name: dropped when nothing reads them, refused
    otherwise. ``variadic``: the node takes as many inputs as it is given.
    """
    type: str
    onnx_ops: tuple[str, ...]
    const_inputs: frozenset[int] = frozenset()
    check: Callable | None = None
    ignored_attrs: tuple[str, ...] = ()
    to_fibnlr: Callable | None = None
    to_onnx: Callable | None = None
    unread_outputs: dict[int, str] = field(default_factory=dict)
    variadic: bool = False

    def import_node(self, ctx, node) -> Imported:
        outputs = list(node.output)
        for i in sorted(self.unread_outputs, reverse=True):
            if i < len(outputs):
                name = outputs.pop(i)
                if name and ctx.reader(name):
                    raise ValueError(f"node '{node.name}' ({node.op_type}): the {self.unread_outputs[i]} output "
                                     f"is not supported ('{name}' is {ctx.reader(name)})")
        attrs = _attributes(node)
        if self.check is not None:
            self.check(ctx, node, attrs)
        for name in self.ignored_attrs:
            attrs.pop(name, None)
        op_type, attrs = self.to_fibnlr(ctx, node, attrs) if self.to_fibnlr else (self.type, attrs)
        inputs = [(i, name) for i, name in enumerate(node.input) if name and i not in self.const_inputs]
        return Imported(op_type, attrs, inputs, outputs, self.variadic)

    def export_node(self, ctx, node) -> None:
        inputs, outputs = ctx.input_names(node), ctx.output_names(node)
        attrs = node.get_operator().attributes()
        if self.to_onnx is not None:
            self.to_onnx(ctx, node, inputs, outputs, attrs)
        elif self.onnx_ops:
            _append(ctx, self.onnx_ops[0], node.name(), inputs, outputs, attrs)
        else:
            raise ValueError(f"node '{node.name()}' ({self.type}) has no ONNX export")


# ---------------------------------------------------------------------------
# Import checks and conversions


def _check_batchnorm(ctx, node, attrs):
    if attrs.get("training_mode", 0):
        raise ValueError(f"node '{node.name}' (BatchNormalization): training_mode=1 is not supported, "
                         "expected an inference model")


def _check_maxpool(ctx, node, attrs):
    if len([o for o in node.output if o]) > 1:
        raise ValueError(f"node '{node.name}' (MaxPool): the Indices output is not supported")


def _check_averagepool(ctx, node, attrs):
    if any(d != 1 for d in attrs.get("dilations", [])):
        raise ValueError(f"node '{node.name}' (AveragePool): dilations are not supported")


def _check_softmax(ctx, node, attrs):
    if ctx.opset < 13:
        raise ValueError(f"node '{node.name}' (Softmax): opset {ctx.opset} semantics are not supported")


def _import_reshape(ctx, node, attrs):
    return "Reshape", {"shape": _ints(ctx.const_input(node, 1)), "allowzero": attrs.get("allowzero", 0)}


def _import_clip(ctx, node, attrs):
    lo, hi = ctx.const_input(node, 1, optional=True), ctx.const_input(node, 2, optional=True)
    lo = float(lo) if lo is not None else -math.inf
    hi = float(hi) if hi is not None else math.inf
    if (lo, hi) == (0.0, 6.0):
        return "ReLU6", {}  # so that FIBNLR's node_types can name it apart from other clips
    return "Clip", {"min": lo, "max": hi}


def _import_slice(ctx, node, attrs):
    out = {"starts": _ints(ctx.const_input(node, 1)), "ends": _ints(ctx.const_input(node, 2))}
    for key, i in (("axes", 3), ("steps", 4)):
        value = ctx.const_input(node, i, optional=True)
        if value is not None:
            out[key] = _ints(value)
    return "Slice", out


def _import_split(ctx, node, attrs):
    split = ctx.const_input(node, 1, optional=True)
    out = {"axis": attrs.get("axis", 0), "num_outputs": len(node.output)}
    if split is not None:
        out["split"] = _ints(split)
    elif "split" in attrs:
        out["split"] = list(attrs["split"])
    return "Split", out


def _import_pad(ctx, node, attrs):
    pads = _ints(ctx.const_input(node, 1))
    value = ctx.const_input(node, 2, optional=True)
    axes = ctx.const_input(node, 3, optional=True)
    if axes is not None:
        rank = ctx.rank(node.input[0])
        full = [0] * (2 * rank)
        for k, a in enumerate(_ints(axes)):
            a = a + rank if a < 0 else a
            full[a], full[a + rank] = pads[k], pads[k + len(pads) // 2]
        pads = full
    return "Pad", {"pads": pads, "mode": attrs.get("mode", "constant"),
                   "value": float(value) if value is not None and np.size(value) else 0.0}


def _import_axes(ctx, node, attrs):  # Squeeze, Unsqueeze: axes as input (opset 13) or attribute
    axes = ctx.const_input(node, 1, optional=True)
    return node.op_type, {"axes": _ints(axes) if axes is not None else list(attrs.get("axes", []))}


def _import_dropout(ctx, node, attrs):
    training = ctx.const_input(node, 2, optional=True)
    if training is not None and bool(np.asarray(training)):
        raise ValueError(f"node '{node.name}' (Dropout): training_mode=True is not supported")
    ratio = ctx.const_input(node, 1, optional=True)
    return "Dropout", {"ratio": float(ratio) if ratio is not None else attrs.get("ratio", 0.5)}


def _import_reduce(ctx, node, attrs):
    # ReduceMean, ReduceMax, ReduceMin, ReduceSum: axes an attribute, or an input (from _AXES_INPUT_SINCE).
    axes = ctx.const_input(node, 1, optional=True)
    axes = _ints(axes) if axes is not None else list(attrs.get("axes", []))
    if not axes and attrs.get("noop_with_empty_axes", 0):
        return "Identity", {}
    return node.op_type, {"axes": axes, "keepdims": attrs.get("keepdims", 1)}


_RESIZE_DEFAULTS = {"mode": "nearest", "coordinate_transformation_mode": "half_pixel",
                    "nearest_mode": "round_prefer_floor"}


def _import_resize(ctx, node, attrs):
    what = f"node '{node.name}' (Resize)"
    if attrs.get("antialias", 0):
        raise ValueError(f"{what}: antialias=1 is not supported, expected 0")
    if attrs.get("keep_aspect_ratio_policy", "stretch") != "stretch":
        raise ValueError(f"{what}: keep_aspect_ratio_policy '{attrs['keep_aspect_ratio_policy']}' is not supported, "
                         "expected 'stretch'")
    scales = ctx.const_input(node, 2, optional=True)
    sizes = ctx.const_input(node, 3, optional=True)
    scales = [float(v) for v in np.asarray(scales).reshape(-1)] if scales is not None else []
    sizes = _ints(sizes) if sizes is not None else []
    axes = attrs.get("axes")
    if axes:  # opset 18: scales/sizes for these axes only; the others keep their size
        rank = ctx.rank(node.input[0])
        axes = [a + rank if a < 0 else a for a in axes]
        if scales:
            full = [1.0] * rank
            for a, v in zip(axes, scales):
                full[a] = v
            scales = full
        if sizes:
            raise ValueError(f"{what}: sizes with axes are not supported, expected scales or sizes for every axis")
    out = {k: attrs.get(k, v) for k, v in _RESIZE_DEFAULTS.items()}
    return "Resize", {**out, "scales": scales, "sizes": sizes}


# ---------------------------------------------------------------------------
# Exports


def _without_defaults(attrs):
    """Conv and pool attributes minus the unset ones (empty lists, auto_pad NOTSET)."""
    return {k: v for k, v in attrs.items() if v != [] and not (k == "auto_pad" and v == "NOTSET")}


def _export_conv(ctx, node, inputs, outputs, attrs):
    attrs = _without_defaults(attrs)
    if bias_map_of(node) is not None:  # a merged conv's f(0): Conv + Add of the map
        export_conv_with_map(ctx, node, inputs, outputs, attrs)
    else:
        _append(ctx, "Conv", node.name(), inputs, outputs, attrs)


def _export_pool(ctx, node, inputs, outputs, attrs):
    _append(ctx, node.type(), node.name(), inputs, outputs, _without_defaults(attrs))


def _export_reshape(ctx, node, inputs, outputs, attrs):
    shape = ctx.add_constant(f"{node.name()}_shape", np.array(attrs["shape"], np.int64))
    _append(ctx, "Reshape", node.name(), inputs + [shape], outputs,
            {"allowzero": attrs["allowzero"]} if attrs["allowzero"] else {})


def _export_clip(ctx, node, inputs, outputs, attrs):
    name, lo, hi = node.name(), attrs["min"], attrs["max"]
    inputs = inputs + [ctx.add_constant(f"{name}_min", np.array(lo, np.float32)) if math.isfinite(lo) else "",
                       ctx.add_constant(f"{name}_max", np.array(hi, np.float32)) if math.isfinite(hi) else ""]
    _append(ctx, "Clip", name, inputs, outputs, {})


def _export_slice(ctx, node, inputs, outputs, attrs):
    inputs = inputs + [ctx.add_constant(f"{node.name()}_{k}", np.array(attrs[k], np.int64)) if attrs[k] else ""
                       for k in ("starts", "ends", "axes", "steps")]
    while inputs and inputs[-1] == "":
        inputs.pop()
    _append(ctx, "Slice", node.name(), inputs, outputs, {})


def _export_split(ctx, node, inputs, outputs, attrs):
    # Without sizes, opset 18 needs num_outputs; before 18 equal parts are implied
    # (which is ours whenever the axis divides evenly, the only case importers produce).
    split = attrs["split"]
    if split:
        inputs = inputs + [ctx.add_constant(f"{node.name()}_split", np.array(split, np.int64))]
    _append(ctx, "Split", node.name(), inputs, outputs,
            {"axis": attrs["axis"],
             **({"num_outputs": attrs["num_outputs"]} if ctx.opset >= 18 and not split else {})})


def _export_pad(ctx, node, inputs, outputs, attrs):
    name = node.name()
    inputs = inputs + [ctx.add_constant(f"{name}_pads", np.array(attrs["pads"], np.int64)),
                       ctx.add_constant(f"{name}_value", np.array(attrs["value"], np.float32))]
    _append(ctx, "Pad", name, inputs, outputs, {"mode": attrs["mode"]})


def _export_axes(ctx, node, inputs, outputs, attrs):  # Squeeze, Unsqueeze
    if attrs["axes"]:
        inputs = inputs + [ctx.add_constant(f"{node.name()}_axes", np.array(attrs["axes"], np.int64))]
    _append(ctx, node.type(), node.name(), inputs, outputs, {})


def _export_dropout(ctx, node, inputs, outputs, attrs):
    _append(ctx, "Dropout", node.name(), inputs, outputs, {})  # an inference no-op: the ratio is not written


# The opset from which a reduction takes its axes as an input instead of an attribute.
_AXES_INPUT_SINCE = {"ReduceMean": 18, "ReduceMax": 18, "ReduceMin": 18, "ReduceSum": 13}


def _export_reduce(ctx, node, inputs, outputs, attrs):
    axes = attrs["axes"]
    if ctx.opset >= _AXES_INPUT_SINCE[node.type()]:
        inputs = inputs + ([ctx.add_constant(f"{node.name()}_axes", np.array(axes, np.int64))] if axes else [])
        attrs = {"keepdims": attrs["keepdims"]}
    else:
        attrs = {"keepdims": attrs["keepdims"], **({"axes": axes} if axes else {})}
    _append(ctx, node.type(), node.name(), inputs, outputs, attrs)


def _export_resize(ctx, node, inputs, outputs, attrs):
    name = node.name()
    if attrs["scales"]:
        extra = ["", ctx.add_constant(f"{name}_scales", np.array(attrs["scales"], np.float32))]
    else:
        extra = ["", "", ctx.add_constant(f"{name}_sizes", np.array(attrs["sizes"], np.int64))]
    _append(ctx, "Resize", name, inputs + extra, outputs, {k: attrs[k] for k in _RESIZE_DEFAULTS})


# Activations ONNX lacks (at some opsets): the ONNX nodes PyTorch writes for them.

def _pattern_relu6(ctx, name, x, y):  # ONNX has no ReLU6: Clip(x, 0, 6)
    _append(ctx, "Clip", name, [x, ctx.add_constant(f"{name}_min", np.array(0.0, np.float32)),
                                ctx.add_constant(f"{name}_max", np.array(6.0, np.float32))], [y], {})


def _pattern_silu(ctx, name, x, y):  # x·σ(x)
    _append(ctx, "Sigmoid", f"{name}_sigmoid", [x], [f"{name}_sigmoid"], {})
    _append(ctx, "Mul", f"{name}_mul", [x, f"{name}_sigmoid"], [y], {})


def _pattern_mish(ctx, name, x, y):  # x·tanh(softplus(x))
    _append(ctx, "Softplus", f"{name}_softplus", [x], [f"{name}_softplus"], {})
    _append(ctx, "Tanh", f"{name}_tanh", [f"{name}_softplus"], [f"{name}_tanh"], {})
    _append(ctx, "Mul", f"{name}_mul", [x, f"{name}_tanh"], [y], {})


ACTIVATION_PATTERNS = {
    "ReLU6": _pattern_relu6,
    "GELU": lambda ctx, name, x, y: ctx.add_gelu_erf_form(name, x, y),
    "SiLU": _pattern_silu,
    "Mish": _pattern_mish,
}


def _export_activation(ctx, node, inputs, outputs, attrs):
    """The activation's ONNX operator, or its pattern where the opset has no operator for it."""
    t, name, spec = node.type(), node.name(), BY_TYPE[node.type()]
    if spec.onnx_op is not None and ctx.opset >= spec.onnx_since:
        _append(ctx, spec.onnx_op, name, inputs, outputs, attrs)
    elif t in ACTIVATION_PATTERNS:
        ACTIVATION_PATTERNS[t](ctx, name, inputs[0], outputs[0])
    else:
        raise ValueError(f"node '{name}' ({t}): ONNX has {spec.onnx_op} from opset "
                         f"{spec.onnx_since} only, and the model is exported at opset {ctx.opset}; "
                         f"pass opset={spec.onnx_since} or higher")


# ---------------------------------------------------------------------------
# The table


def _activation(spec):
    """The entry of one row of fibnlr/activations.py. An activation without an ONNX
    operator is read from the node onnx_io/patterns.py fuses for it, if any (SiLU from
    x * Sigmoid(x)); ReLU6 is read from Clip(0, 6) by the Clip entry."""
    ops = (spec.onnx_op,) if spec.onnx_op else tuple(p.op_type for p in PATTERNS if p.op_type == spec.type)
    return Converter(spec.type, ops, to_onnx=_export_activation)


def _same(*types, **fields):
    """Entries for operators spelled the same in ONNX and fibnlr."""
    return [Converter(t, (t,), **fields) for t in types]


CONVERTERS = [
    Converter("Conv", ("Conv",), to_onnx=_export_conv),
    *_same("Gemm", "MatMul", "Identity", "Add", "Sub", "Mul", "Div", "LRN", "GlobalAveragePool", "GlobalMaxPool",
           "Flatten", "Transpose"),
    Converter("PReLU", ("PRelu",)),  # the slope is an ordinary (parameter) input
    Converter("Resize", ("Resize",), frozenset({1, 2, 3}), to_fibnlr=_import_resize, to_onnx=_export_resize),
    *_same("Sum", "Concat", variadic=True),
    Converter("Softmax", ("Softmax",), check=_check_softmax),
    Converter("MaxPool", ("MaxPool",), check=_check_maxpool, ignored_attrs=("storage_order",),
              to_onnx=_export_pool),
    Converter("AveragePool", ("AveragePool",), check=_check_averagepool, ignored_attrs=("dilations",),
              to_onnx=_export_pool),
    Converter("BatchNormalization", ("BatchNormalization",), check=_check_batchnorm,
              ignored_attrs=("training_mode", "spatial")),
    Converter("Reshape", ("Reshape",), frozenset({1}), to_fibnlr=_import_reshape, to_onnx=_export_reshape),
    Converter("Clip", ("Clip",), frozenset({1, 2}), to_fibnlr=_import_clip, to_onnx=_export_clip),
    Converter("Slice", ("Slice",), frozenset({1, 2, 3, 4}), to_fibnlr=_import_slice, to_onnx=_export_slice),
    Converter("Split", ("Split",), frozenset({1}), to_fibnlr=_import_split, to_onnx=_export_split),
    Converter("Pad", ("Pad",), frozenset({1, 2, 3}), to_fibnlr=_import_pad, to_onnx=_export_pad),
    *_same("Squeeze", "Unsqueeze", const_inputs=frozenset({1}), to_fibnlr=_import_axes, to_onnx=_export_axes),
    # Opsets 6-11 declare a mask output (SqueezeNet, VGG19 in the ONNX zoo); unread, it is dropped.
    Converter("Dropout", ("Dropout",), frozenset({1, 2}), to_fibnlr=_import_dropout, to_onnx=_export_dropout,
              unread_outputs={1: "mask"}),
    *[Converter(t, (t,), frozenset({1}), to_fibnlr=_import_reduce, to_onnx=_export_reduce)
      for t in _AXES_INPUT_SINCE],
    *[_activation(spec) for spec in ACTIVATIONS],
]

BY_ONNX_OP = {op: c for c in CONVERTERS for op in c.onnx_ops}  # import dispatch
BY_FIBNLR_TYPE = {c.type: c for c in CONVERTERS}  # export dispatch
SUPPORTED_OPS = sorted(BY_ONNX_OP)
# fibnlr operator types with neither import nor export, with the reason.
EXPORT_LESS: dict[str, str] = {}


def convert_node(ctx, node) -> Imported:
    """The fibnlr node for an ONNX node (raises ValueError when unsupported)."""
    entry = BY_ONNX_OP.get(node.op_type)
    if entry is None:
        raise ValueError(f"node '{node.name}': unsupported ONNX op {node.op_type}")
    return entry.import_node(ctx, node)


def export_node(ctx, node) -> None:
    """Appends the ONNX node(s) for a fibnlr node to ``ctx``."""
    entry = BY_FIBNLR_TYPE.get(node.type())
    if entry is None:
        raise ValueError(f"node '{node.name()}' ({node.type()}) has no ONNX export")
    entry.export_node(ctx, node)
