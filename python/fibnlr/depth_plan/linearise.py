"""Replacing chosen non-linearities by Identity, as FIBNLR's Identity ablation does."""
from __future__ import annotations

from .._core import Node


def check_nodes(graph, names, what="plan"):
    """ValueError naming the first name that is not a one-input, one-output node of ``graph``."""
    for name in names:
        node = graph.get_node(name)
        if node is None:
            raise ValueError(f"{what}: node '{name}' is not in graph '{graph.name()}'")
        data_inputs = [p for p in node.get_parents() if p is not None and p.type() != "Producer"]
        if len(data_inputs) != 1 or node.nb_outputs() != 1:
            raise ValueError(f"{what}: node '{name}' ({node.type()}) has {len(data_inputs)} data inputs and "
                             f"{node.nb_outputs()} outputs; expected a non-linearity with 1 and 1")


def linearise(graph, names):
    """Replaces each node of ``names`` in ``graph`` (in place) by an Identity of the same name."""
    check_nodes(graph, names)
    for name in names:
        graph.replace([graph.get_node(name)], [Node("Identity", name)])


def linearised(graph, names):
    """A clone of ``graph`` with ``names`` replaced by Identity (the graph itself is untouched)."""
    copy = graph.clone()
    linearise(copy, names)
    return copy
