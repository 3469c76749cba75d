"""A merged Conv's bias map in ONNX: Conv + Add of an initializer, both ways.

ONNX's Conv takes a per-channel bias only. A conv merged through a bias
(docs/merging.md) carries f(0), a constant map [M, *S'] valid at the size it
was merged for, so the exporter writes it as Conv (no bias) followed by Add of
that initializer (which broadcasts over the batch). The importer folds such a
pair back into one Conv whose B is the map when nothing else reads the Conv's
output and the Add's constant is [M, *S'] (or [1, M, *S']) with M the conv's
output channels and S' its output size: a spatial dim > 1 must equal the
output's under both forms (Add fails on a mismatch, as compiling the map
does); a dim of 1, which Add would broadcast, only when the output's is known to be 1.
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference


def bias_map_of(node):
    """The bias map (numpy, rank > 1) of a fibnlr Conv node, or None for a per-channel or absent bias."""
    if node.type() != "Conv" or node.nb_inputs() < 3:
        return None
    port = node.input(2)
    if port is None or port[0].type() != "Producer":
        return None
    value = np.asarray(port[0].get_operator().value())
    return value if value.ndim > 1 else None


def export_conv_with_map(ctx, node, inputs, outputs, attrs) -> None:
    """Appends Conv(X, W) then Add(., B map) for a Conv whose B is a bias map."""
    name = node.name()
    conv_out = f"{name}_conv"
    ctx.nodes.append(helper.make_node("Conv", inputs[:2], [conv_out], name=name, **attrs))
    ctx.nodes.append(helper.make_node("Add", [conv_out, inputs[2]], outputs, name=f"{name}_bias_map"))


def fold_bias_maps(model: onnx.ModelProto) -> onnx.ModelProto:
    """Folds Conv -> Add(constant of the conv's output shape) into one Conv with a bias map. In place; returns `model`."""
    graph = model.graph
    inits = {t.name: t for t in graph.initializer}
    consumers = {}
    for n in graph.node:
        for name in n.input:
            consumers.setdefault(name, []).append(n)
    outputs = {o.name for o in graph.output}
    shapes = {}
    try:
        inferred = shape_inference.infer_shapes(model)
        for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
            dims = vi.type.tensor_type.shape.dim
            shapes[vi.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    except Exception:  # no shapes: nothing can be proven equal, nothing is folded
        return model
    removed, freed = set(), set()  # the Adds folded (by output name); initializers they may leave unused
    for conv in list(graph.node):
        if conv.op_type != "Conv" or len(conv.output) != 1 or conv.output[0] in outputs:
            continue
        users = consumers.get(conv.output[0], [])
        if len(users) != 1 or users[0].op_type != "Add" or len(users[0].input) != 2:
            continue
        add = users[0]
        other = add.input[1] if add.input[0] == conv.output[0] else add.input[0]
        if other == conv.output[0] or other not in inits:
            continue
        if len(conv.input) < 2 or conv.input[1] not in inits:
            continue
        weight = inits[conv.input[1]].dims  # [M, C/group, *K]
        value = numpy_helper.to_array(inits[other]).astype(np.float32)
        if value.ndim == len(weight) and value.shape[0] == 1:
            value = value[0]
        if value.ndim != len(weight) - 1 or value.ndim < 2 or value.shape[0] != weight[0]:
            continue
        # Add broadcasts a spatial dim of 1; a map does not. Dims > 1 must match the conv's output
        # under both (Add fails otherwise, as compiling the map does); a 1 must be the known output size.
        out_shape = shapes.get(conv.output[0]) or []
        known = out_shape[2:] if len(out_shape) == len(weight) else [None] * (len(weight) - 2)
        if any(s == 1 and k != 1 for s, k in zip(value.shape[1:], known)) or any(
                k is not None and s != k for s, k in zip(value.shape[1:], known)):
            continue
        expected = list(value.shape)
        if len(conv.input) > 2 and conv.input[2]:
            if conv.input[2] not in inits:
                continue
            value = value + numpy_helper.to_array(inits[conv.input[2]]).astype(np.float32).reshape(
                [-1] + [1] * (len(expected) - 1))
        map_name = f"{conv.name or conv.output[0]}_bias_map"
        while map_name in inits:
            map_name += "_"
        tensor = numpy_helper.from_array(np.ascontiguousarray(value, np.float32), map_name)
        graph.initializer.append(tensor)
        inits[map_name] = tensor
        freed.update([other] + list(conv.input[2:3]))
        del conv.input[2:]
        conv.input.append(map_name)
        removed.add(add.output[0])
        conv.output[0] = add.output[0]
    if removed:
        kept = [n for n in graph.node if not (n.op_type == "Add" and n.output[0] in removed)]
        del graph.node[:]
        graph.node.extend(kept)
        used = {name for n in graph.node for name in n.input} | {i.name for i in graph.input}
        unused = [t for t in graph.initializer if t.name in freed and t.name not in used]
        for t in unused:
            graph.initializer.remove(t)
    return model
