"""fibnlr GraphView -> ONNX model."""
from __future__ import annotations

import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

from .converters import export_node
from .importer import INPUT_SHAPE, OUTPUT_NAMES

DEFAULT_OPSET = 17
GELU_OPSET = 20  # first opset with a Gelu operator


class _ExportContext:
    def __init__(self, graph, opset):
        self.graph = graph
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self._names = {}

    def output_names(self, node):
        if node.name() not in self._names:
            stored = node.get_annotation(OUTPUT_NAMES) if node.has_annotation(OUTPUT_NAMES) else []
            names = []
            for k in range(node.nb_outputs()):
                default = node.name() if node.type() in ("Producer", "Input") else f"{node.name()}_output_{k}"
                name = stored[k] if k < len(stored) and stored[k] else default
                names.append(name)
            self._names[node.name()] = names
        return self._names[node.name()]

    def input_names(self, node):
        names = []
        for i in range(node.nb_inputs()):
            port = node.input(i)
            names.append("" if port is None else self.output_names(port[0])[port[1]])
        while names and names[-1] == "":
            names.pop()
        return names

    def add_constant(self, name, array):
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def add_gelu_erf_form(self, name, x, y):
        """GELU as 0.5·x·(1 + erf(x/√2)), the form exporters wrote before opset 20."""
        c = lambda suffix, v: self.add_constant(f"{name}_{suffix}", np.array(v, np.float32))
        mk = lambda op, ins, out, sfx: self.nodes.append(helper.make_node(op, ins, [out], name=f"{name}_{sfx}"))
        mk("Div", [x, c("sqrt2", math.sqrt(2.0))], f"{name}_div", "div")
        mk("Erf", [f"{name}_div"], f"{name}_erf", "erf")
        mk("Add", [f"{name}_erf", c("one", 1.0)], f"{name}_add", "add")
        mk("Mul", [x, f"{name}_add"], f"{name}_mul", "mul")
        mk("Mul", [f"{name}_mul", c("half", 0.5)], y, "half")


def _value_info(name, dims):
    shape = [d if d > 0 else "N" for d in dims] if dims is not None else None
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def to_onnx(graph, opset: int | None = None) -> onnx.ModelProto:
    """The ONNX model of ``graph`` (opset 17, or 20 when it holds GELU nodes)."""
    nodes = graph.get_nodes()
    if opset is None:
        opset = GELU_OPSET if any(n.type() == "GELU" for n in nodes) else DEFAULT_OPSET
    ctx = _ExportContext(graph, opset)
    inputs = []
    for node in nodes:
        t = node.type()
        if t == "Producer":
            ctx.add_constant(ctx.output_names(node)[0], node.get_operator().value())
        elif t != "Input":
            export_node(ctx, node)
    for node, _ in graph.inputs():
        dims = node.get_annotation(INPUT_SHAPE) if node.has_annotation(INPUT_SHAPE) else None
        if dims is not None:
            dims = [0] + list(dims[1:])  # the batch stays free
        inputs.append(_value_info(ctx.output_names(node)[0], dims))
    outputs = [_value_info(ctx.output_names(n)[i], None) for n, i in graph.outputs()]
    g = helper.make_graph(ctx.nodes, graph.name(), inputs, outputs, ctx.initializers)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="fibnlr")
    model.ir_version = min(model.ir_version, 9)
    return _with_output_shapes(model)


def _with_output_shapes(model):
    """Declares output shapes (symbolic batch) from ONNX shape inference; onnx.checker's full check needs them."""
    inferred = shape_inference.infer_shapes(model)
    known = {vi.name: vi for vi in list(inferred.graph.value_info) + list(inferred.graph.output)}
    for out in model.graph.output:
        vi = known.get(out.name)
        if vi is not None and vi.type.tensor_type.HasField("shape"):
            out.type.CopyFrom(vi.type)
    return model


def save_onnx(graph, path, opset: int | None = None) -> None:
    """Writes ``graph`` as an ONNX file that passes onnx.checker."""
    model = to_onnx(graph, opset)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
