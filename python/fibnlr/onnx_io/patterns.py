"""Activation-pattern fusion: the Erf and Tanh forms of GELU become `Gelu`.

The Erf form 0.5 * x * (1 + erf(x / sqrt(2))) and the Tanh form
0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3))) become
`Gelu(approximate="none" | "tanh")`, with the constants, operand orders and
groupings exporters write (x^3 as Pow(x, 3) or Mul chains).  Matchers only
accept chains whose intermediate tensors have exactly one reader.  `Gelu` is
standard ONNX from opset 20 only; fibnlr reads it at any opset.
"""

from __future__ import annotations

import math

import numpy as np
from onnx import helper, numpy_helper

from .graphs import _Index, _Namer

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
