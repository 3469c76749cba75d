"""Replacing chosen non-linearities by Identity, as FIBNLR's Identity ablation does (the C++ ``linearise``)."""
from __future__ import annotations

from .._core import recipes


def linearise(graph, names):
    """Replaces each node of ``names`` in ``graph`` (in place) by an Identity of the same name.

    ValueError naming the first name that is not a one-input, one-output node of
    ``graph``; the graph is then unchanged."""
    recipes._linearise(graph, list(names))


def linearised(graph, names):
    """A clone of ``graph`` with ``names`` replaced by Identity (the graph itself is untouched)."""
    copy = graph.clone()
    linearise(copy, names)
    return copy
