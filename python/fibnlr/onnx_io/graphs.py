"""Graph plumbing shared by the ONNX preprocessing passes.

Traversal of a graph and its nested If/Loop/Scan bodies (including the
tensors a body reads from the enclosing scope), the producer/consumer index
the folding and pattern passes query, fresh names for tensors and nodes, the
declared dims of a value_info, and the cleanup that drops dead nodes,
unused initializers and stale value_info.  No pass lives here; the passes in
`checks`, `constants`, `folding` and `patterns` build on these helpers.
"""

from __future__ import annotations

from collections import defaultdict

import onnx
from onnx import helper


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


def _declared_dims(value_info):
    """Dims of a tensor value_info as int, dim_param str or None."""
    tensor = value_info.type.tensor_type
    if not value_info.type.HasField("tensor_type") or not tensor.HasField(
            "shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else d.dim_param
                 or None for d in tensor.shape.dim)


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
