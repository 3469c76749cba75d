"""Activation-pattern fusion: chains of elementwise ops become one node.

`PATTERNS` lists what is fused.  Each row is a `Pattern`: the op type of the
fused node, the op types of the node a match is sought around (its anchor,
e.g. the Erf of an Erf-form GELU), a matcher and a builder.  A matcher takes
a `_Matcher` and an anchor node and returns a `Match` (the fused node's
inputs and attributes, the nodes it replaces, the tensor it produces) or
None.  `_fuse_patterns` applies the rows in order, one rewrite per row, so a
later row sees the nodes fused by an earlier one.  Adding a pattern means
writing one matcher and adding one row; the driver does not change.

Matchers only accept chains whose intermediate tensors have exactly one
reader (`_Matcher.single_use`), so a fused chain never removes a value
something else reads.  The fused node takes the place of the chain's last
node.  Within one row, a match that shares a node with an earlier match is
skipped.

GELU: the Erf form 0.5 * x * (1 + erf(x / sqrt(2))) and the Tanh form
0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))) become
`Gelu(approximate="none" | "tanh")`, with the constants, operand orders and
groupings exporters write (x^3 as Pow(x, 3) or Mul chains).  `Gelu` is
standard ONNX from opset 20 only; fibnlr reads it at any opset.

SiLU: x * Sigmoid(x) becomes a `SiLU` node (no ONNX operator has that name;
only fibnlr's converter reads it). Mish: x * Tanh(Softplus(x)) becomes `Mish`
(standard from opset 18; fibnlr reads it at any opset).
"""

from __future__ import annotations

import math
from typing import Callable, NamedTuple

import numpy as np
from onnx import helper, numpy_helper

from .graphs import _Index, _Namer


# --------------------------------------------------------------------------
# Matching


class Match(NamedTuple):
    """A chain found by a matcher."""

    inputs: list  # tensor names the fused node reads
    nodes: list  # the nodes it replaces, all removed from the graph
    output: str  # the tensor it produces: the output of the chain's last node
    attributes: dict  # attributes of the fused node


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


# --------------------------------------------------------------------------
# GELU

_SQRT2 = math.sqrt(2.0)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_TANH_CUBIC = 0.044715


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
    """Match around an Erf or Tanh node -> Match with input x."""
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
    return Match([x], nodes, output, {"approximate": approximate})


# --------------------------------------------------------------------------
# SiLU and Mish: x * f(x), as PyTorch exports nn.SiLU (any opset) and nn.Mish
# (below opset 18)


def _match_times_input(m, chain_end, x, nodes, attributes=None):
    """Mul(x, chain_end) in either order, chain_end read only there -> Match."""
    mul = m.reader(chain_end, "Mul")
    if mul is None or m.other(mul, chain_end) != x:
        return None
    return Match([x], [*nodes, mul], mul.output[0], attributes or {})


def _match_silu(m, sigmoid):
    """x * Sigmoid(x) -> SiLU(x)."""
    return _match_times_input(m, sigmoid.output[0], sigmoid.input[0], [sigmoid])


def _match_mish(m, softplus):
    """x * Tanh(Softplus(x)) -> Mish(x)."""
    tanh = m.reader(softplus.output[0], "Tanh")
    if tanh is None:
        return None
    return _match_times_input(m, tanh.output[0], softplus.input[0], [softplus, tanh])


# --------------------------------------------------------------------------
# The pattern table and its driver


def _single_node(op_type, name, match):
    """Default builder: one default-domain node of `op_type`."""
    return helper.make_node(op_type, match.inputs, [match.output], name=name,
                            **match.attributes)


class Pattern(NamedTuple):
    """One row of `PATTERNS`."""

    op_type: str  # of the fused node; also the base of its node name
    anchors: tuple  # op types of the nodes a match is sought around
    match: Callable  # (_Matcher, anchor node) -> Match or None
    build: Callable = _single_node  # (op_type, name, Match) -> NodeProto


PATTERNS = [
    Pattern("Gelu", ("Erf", "Tanh"), _match_gelu),
    # "SiLU" is no ONNX operator: onnx_io/converters.py reads this node as fibnlr's SiLU.
    Pattern("SiLU", ("Sigmoid",), _match_silu),
    Pattern("Mish", ("Softplus",), _match_mish),
]


def _fuse_patterns(graph):
    """Apply every row of `PATTERNS`, in order."""
    for pattern in PATTERNS:
        _fuse(graph, pattern)


def _fuse(graph, pattern):
    """Replace every match of `pattern` in the top level of `graph` (whose
    nodes have unique names) by the node its builder makes."""
    index = _Index(graph)
    m = _Matcher(index)
    matches = [match for node in graph.node
               if node.op_type in pattern.anchors
               for match in [pattern.match(m, node)] if match]
    replaced, fused = set(), {}
    namer = _Namer(set(index.nodes))
    for match in matches:
        names = {n.name for n in match.nodes}
        if names & replaced:
            continue
        replaced |= names
        fused[match.output] = pattern.build(
            pattern.op_type, namer.fresh(pattern.op_type), match)
    if not fused:
        return
    rewritten = []
    for node in graph.node:
        if node.output[0] in fused and node.name in replaced:
            rewritten.append(fused[node.output[0]])
        elif node.name not in replaced:
            rewritten.append(node)
    graph.ClearField("node")
    graph.node.extend(rewritten)
