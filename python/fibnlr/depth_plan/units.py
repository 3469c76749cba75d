"""Candidate units of ``plan_depth``: the non-linearities whose joint removal can buy something.

A *chain* is a run of prepared non-linearities linked by linear layers with a
single consumer each (Conv, BatchNormalization, Identity, Dropout): removing
the non-linearities of a chain is what lets ``simplify`` merge its convs into
one. An inverted residual block (expand 1×1 → ReLU6 → depthwise 3×3 → ReLU6 →
project 1×1) is one chain of two; a residual Add, a pooling or a fork ends a
chain. Units are the contiguous runs of a chain up to ``MAX_RUN`` long (the
whole block, and each part of it: the plan measures which one pays), or single
nodes for the ``nonlinear_ops`` objective, where every removed evaluation counts
by itself.
"""
from __future__ import annotations

# Layers a removed non-linearity leaves as one affine chain with its neighbours.
LINEAR_LINKS = ("Conv", "BatchNormalization", "Identity", "Dropout")
# Longest run of a chain offered as one unit: a block's non-linearities, not several blocks'.
MAX_RUN = 3


def _next_nonlinearity(node, prepared):
    """The prepared node reached from ``node`` through single-consumer linear layers, or None."""
    current = node
    while True:
        children = current.get_children()
        if len(children) != 1:
            return None
        child = next(iter(children))
        if child.name() in prepared:
            return child
        if child.type() not in LINEAR_LINKS:
            return None
        current = child


def chains(graph, prepared_names):
    """Maximal chains of prepared non-linearities (lists of names, graph order)."""
    prepared = set(prepared_names)
    order = [n for n in graph.get_nodes() if n.name() in prepared]
    successor, has_predecessor = {}, set()
    for node in order:
        nxt = _next_nonlinearity(node, prepared)
        if nxt is not None:
            successor[node.name()] = nxt.name()
            has_predecessor.add(nxt.name())
    result = []
    for node in order:
        name = node.name()
        if name in has_predecessor:
            continue
        chain = [name]
        while chain[-1] in successor:
            chain.append(successor[chain[-1]])
        result.append(chain)
    return result


def units(graph, prepared_names, objective):
    """Candidate units (tuples of names, graph order, no duplicates)."""
    if objective == "nonlinear_ops":
        return [(name,) for chain in chains(graph, prepared_names) for name in chain]
    found = []
    for chain in chains(graph, prepared_names):
        for length in range(min(MAX_RUN, len(chain)), 0, -1):
            for start in range(len(chain) - length + 1):
                found.append(tuple(chain[start:start + length]))
    return found
