"""ONNX <-> fibnlr operator mapping, one table entry per ONNX op.

Import: each converter receives the context and the (normalised) ONNX node
and returns (fibnlr type, attribute dict). Shape operands that ONNX passes as
constant inputs (Reshape's shape, Slice's starts, Clip's bounds, ...) become
attributes, so the core never sees int64 tensors at run time; ``CONST_INPUTS``
says which ONNX input positions are consumed that way.

Export: ``EXPORTERS`` maps a fibnlr type back to the ONNX op and turns the
attributes that were inputs back into initializers.
"""
from __future__ import annotations

import math

import numpy as np
from onnx import helper

from ..activations import ACTIVATIONS, BY_TYPE
from .bias_map import bias_map_of, export_conv_with_map

# fibnlr type for the ONNX ops whose attributes carry over unchanged (minus the
# ones listed as ignored, which have no effect at inference).
# The activations come from their table (fibnlr/activations.py).
RENAMED = {
    "Conv": "Conv", "Gemm": "Gemm", "MatMul": "MatMul", "Identity": "Identity", "Add": "Add", "Sub": "Sub",
    "Mul": "Mul", "Div": "Div", "Sum": "Sum", "LRN": "LRN", "GlobalAveragePool": "GlobalAveragePool",
    "Flatten": "Flatten", "Transpose": "Transpose", "Concat": "Concat", "Softmax": "Softmax",
    "MaxPool": "MaxPool", "AveragePool": "AveragePool", "BatchNormalization": "BatchNormalization",
    **{spec.onnx_op: spec.type for spec in ACTIVATIONS if spec.onnx_op},
    "SiLU": "SiLU",  # not ONNX: the node onnx_io/patterns.py fuses from x * Sigmoid(x)
}
IGNORED_ATTRS = {"MaxPool": {"storage_order"}, "BatchNormalization": {"training_mode", "spatial"}}

# ONNX input positions that must be constant and become attributes.
CONST_INPUTS = {
    "Reshape": {1}, "Clip": {1, 2}, "Slice": {1, 2, 3, 4}, "Split": {1}, "Pad": {1, 2, 3},
    "Squeeze": {1}, "Unsqueeze": {1}, "Dropout": {1, 2}, "ReduceMean": {1},
}


def _ints(array) -> list[int]:
    return [int(v) for v in np.asarray(array).reshape(-1)]


def convert_node(ctx, node) -> tuple[str, dict]:
    """The fibnlr type and attributes for an ONNX node (raises ValueError when unsupported)."""
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
    op = node.op_type
    if op in RENAMED:
        for name in IGNORED_ATTRS.get(op, ()):
            if name == "training_mode" and attrs.get(name, 0):
                raise ValueError(f"node '{node.name}' (BatchNormalization): training_mode=1 is not supported, "
                                 "expected an inference model")
            attrs.pop(name, None)
        if op == "MaxPool" and len([o for o in node.output if o]) > 1:
            raise ValueError(f"node '{node.name}' (MaxPool): the Indices output is not supported")
        if op == "AveragePool" and any(d != 1 for d in attrs.pop("dilations", [])):
            raise ValueError(f"node '{node.name}' (AveragePool): dilations are not supported")
        if op == "Softmax" and ctx.opset < 13:
            raise ValueError(f"node '{node.name}' (Softmax): opset {ctx.opset} semantics are not supported")
        return RENAMED[op], attrs
    const = ctx.const_input
    if op == "Reshape":
        return "Reshape", {"shape": _ints(const(node, 1)), "allowzero": attrs.get("allowzero", 0)}
    if op == "Clip":
        lo, hi = const(node, 1, optional=True), const(node, 2, optional=True)
        lo = float(lo) if lo is not None else -math.inf
        hi = float(hi) if hi is not None else math.inf
        if (lo, hi) == (0.0, 6.0):
            return "ReLU6", {}  # so that FIBNLR's node_types can name it apart from other clips
        return "Clip", {"min": lo, "max": hi}
    if op == "Slice":
        out = {"starts": _ints(const(node, 1)), "ends": _ints(const(node, 2))}
        for key, i in (("axes", 3), ("steps", 4)):
            value = const(node, i, optional=True)
            if value is not None:
                out[key] = _ints(value)
        return "Slice", out
    if op == "Split":
        split = const(node, 1, optional=True)
        out = {"axis": attrs.get("axis", 0), "num_outputs": len(node.output)}
        if split is not None:
            out["split"] = _ints(split)
        elif "split" in attrs:
            out["split"] = list(attrs["split"])
        return "Split", out
    if op == "Pad":
        pads = _ints(const(node, 1))
        value = const(node, 2, optional=True)
        axes = const(node, 3, optional=True)
        if axes is not None:
            rank = ctx.rank(node.input[0])
            full = [0] * (2 * rank)
            for k, a in enumerate(_ints(axes)):
                a = a + rank if a < 0 else a
                full[a], full[a + rank] = pads[k], pads[k + len(pads) // 2]
            pads = full
        return "Pad", {"pads": pads, "mode": attrs.get("mode", "constant"),
                       "value": float(value) if value is not None and np.size(value) else 0.0}
    if op in ("Squeeze", "Unsqueeze"):
        axes = const(node, 1, optional=True)
        return op, {"axes": _ints(axes) if axes is not None else list(attrs.get("axes", []))}
    if op == "Dropout":
        training = const(node, 2, optional=True)
        if training is not None and bool(np.asarray(training)):
            raise ValueError(f"node '{node.name}' (Dropout): training_mode=True is not supported")
        ratio = const(node, 1, optional=True)
        return "Dropout", {"ratio": float(ratio) if ratio is not None else attrs.get("ratio", 0.5)}
    if op == "ReduceMean":
        axes = const(node, 1, optional=True)
        axes = _ints(axes) if axes is not None else list(attrs.get("axes", []))
        if not axes and attrs.get("noop_with_empty_axes", 0):
            return "Identity", {}
        return "ReduceMean", {"axes": axes, "keepdims": attrs.get("keepdims", 1)}
    raise ValueError(f"node '{node.name}': unsupported ONNX op {op}")


SUPPORTED_OPS = sorted(set(RENAMED) | set(CONST_INPUTS))

# Export: fibnlr type -> ONNX op for the one-to-one cases.
ONNX_OP = {v: k for k, v in RENAMED.items()}
ONNX_OP.update({t: t for t in ("Reshape", "Clip", "Slice", "Split", "Pad", "Squeeze", "Unsqueeze",
                               "Dropout", "ReduceMean")})
ONNX_OP["ReLU6"] = "Clip"


def _export_activation_pattern(ctx, t, name, x, y):
    """An activation as the ONNX nodes PyTorch writes for it where the opset has no operator for it."""
    mk = lambda op, ins, out, sfx: ctx.nodes.append(helper.make_node(op, ins, [out], name=f"{name}_{sfx}"))
    if t == "GELU":
        ctx.add_gelu_erf_form(name, x, y)
    elif t == "SiLU":  # x·σ(x)
        mk("Sigmoid", [x], f"{name}_sigmoid", "sigmoid")
        mk("Mul", [x, f"{name}_sigmoid"], y, "mul")
    elif t == "Mish":  # x·tanh(softplus(x))
        mk("Softplus", [x], f"{name}_softplus", "softplus")
        mk("Tanh", [f"{name}_softplus"], f"{name}_tanh", "tanh")
        mk("Mul", [x, f"{name}_tanh"], y, "mul")
    else:
        raise ValueError(f"node '{name}' ({t}): ONNX has {BY_TYPE[t].onnx_op} from opset "
                         f"{BY_TYPE[t].onnx_since} only, and the model is exported at opset {ctx.opset}; "
                         f"pass opset={BY_TYPE[t].onnx_since} or higher")


def export_node(ctx, node) -> None:
    """Appends the ONNX node(s) for a fibnlr node to ``ctx``."""
    t = node.type()
    attrs = node.get_operator().attributes()
    inputs = ctx.input_names(node)
    outputs = ctx.output_names(node)
    name = node.name()
    const = ctx.add_constant
    if t in ("Conv", "MaxPool", "AveragePool"):
        attrs = {k: v for k, v in attrs.items() if v != [] and not (k == "auto_pad" and v == "NOTSET")}
    if t == "Reshape":
        inputs, attrs = inputs + [const(f"{name}_shape", np.array(attrs["shape"], np.int64))], \
            {"allowzero": attrs["allowzero"]} if attrs["allowzero"] else {}
    elif t == "Clip":
        lo, hi = attrs["min"], attrs["max"]
        inputs = inputs + [const(f"{name}_min", np.array(lo, np.float32)) if math.isfinite(lo) else "",
                           const(f"{name}_max", np.array(hi, np.float32)) if math.isfinite(hi) else ""]
        attrs = {}
    elif t == "Slice":
        inputs = inputs + [const(f"{name}_{k}", np.array(attrs[k], np.int64)) if attrs[k] else ""
                           for k in ("starts", "ends", "axes", "steps")]
        while inputs and inputs[-1] == "":
            inputs.pop()
        attrs = {}
    elif t == "Split":
        # Without sizes, opset 18 needs num_outputs; before 18 equal parts are implied
        # (which is ours whenever the axis divides evenly, the only case importers produce).
        split = attrs["split"]
        if split:
            inputs = inputs + [const(f"{name}_split", np.array(split, np.int64))]
        attrs = {"axis": attrs["axis"], **({"num_outputs": attrs["num_outputs"]} if ctx.opset >= 18 and not split else {})}
    elif t == "Pad":
        inputs = inputs + [const(f"{name}_pads", np.array(attrs["pads"], np.int64)),
                           const(f"{name}_value", np.array(attrs["value"], np.float32))]
        attrs = {"mode": attrs["mode"]}
    elif t in ("Squeeze", "Unsqueeze"):
        if attrs["axes"]:
            inputs = inputs + [const(f"{name}_axes", np.array(attrs["axes"], np.int64))]
        attrs = {}
    elif t == "Dropout":
        attrs = {}
    elif t == "ReduceMean":
        axes = attrs["axes"]
        if ctx.opset >= 18:
            inputs = inputs + ([const(f"{name}_axes", np.array(axes, np.int64))] if axes else [])
            attrs = {"keepdims": attrs["keepdims"]}
        else:
            attrs = {"keepdims": attrs["keepdims"], **({"axes": axes} if axes else {})}
    elif t == "ReLU6":
        inputs = inputs + [const(f"{name}_min", np.array(0.0, np.float32)),
                           const(f"{name}_max", np.array(6.0, np.float32))]
    elif t in BY_TYPE and (BY_TYPE[t].onnx_op is None or ctx.opset < BY_TYPE[t].onnx_since):
        _export_activation_pattern(ctx, t, name, inputs[0], outputs[0])
        return
    if t == "Conv" and bias_map_of(node) is not None:  # a merged conv's f(0): Conv + Add of the map
        export_conv_with_map(ctx, node, inputs, outputs, attrs)
        return
    if t not in ONNX_OP:
        raise ValueError(f"node '{name}' ({t}) has no ONNX export")
    ctx.nodes.append(helper.make_node(ONNX_OP[t], inputs, outputs, name=name, **attrs))
