"""The objectives ``plan_depth`` can optimise: one entry per objective in ``OBJECTIVES``.

Each objective prices a set of removed non-linearities S (cost(S), lower is
better) and says how ``target`` reads:

- ``"macs"``: multiply-accumulates per image after ``simplify(prune(S))``
  (merge plan by MACs); ``target`` is the speed-up cost(∅) / cost(S), e.g. 1.3.
- ``"latency"``: seconds per batch-1 forward, estimated as the measured latency
  of ``simplify(∅)`` minus what the merge plan's timed segments save beyond
  ``simplify(∅)``'s own merges (``simplify(objective="latency")`` times each
  segment before and after merging, on fibnlr or onnxruntime, cached in the
  process); ``target`` is the speed-up, e.g. 1.3.
- ``"nonlinear_ops"``: non-linear element evaluations per image (the output
  elements of every prepared non-linearity left): the cost that dominates
  private inference, where each ReLU is a garbled circuit. ``target`` is the
  fraction left, e.g. 0.5 for half the evaluations removed.

cost(∅) is taken after ``simplify``, so BatchNorm folding is not counted as a gain.
"""
from __future__ import annotations

import math

import numpy as np

from ..merge_latency import fibnlr_timer, onnxruntime_timer
from .linearise import linearised

OBJECTIVES = ("latency", "macs", "nonlinear_ops")
RUNTIMES = ("fibnlr", "onnxruntime")


def merge_objective(objective):
    """What simplify's merge plan minimises for a plan objective: latency for latency, else MACs."""
    return "latency" if objective == "latency" else "macs"


class CostModel:
    """Prices sets of removed non-linearities of ``graph`` (not modified) for one objective; cached by set."""

    def __init__(self, graph, objective, dims, mode, max_mac_growth, latency_runtime, prepared):
        self.graph, self.objective, self.dims = graph, objective, dims
        self.mode, self.max_mac_growth, self.latency_runtime = mode, max_mac_growth, latency_runtime
        self._cache = {}
        if objective == "nonlinear_ops":
            g = graph.clone()
            g.compile(dims=dims)
            self._elements = {n: int(np.prod(g.output_shape(g.get_node(n), 0)[1:])) for n in prepared}
        if objective == "latency":
            base, result = self.simplified(())
            timer = fibnlr_timer if latency_runtime == "fibnlr" else onnxruntime_timer()
            self._base_seconds = timer(base, dims)
            self._base_saving = self._saving(result)
            self._cache[frozenset()] = self._base_seconds  # what _price(∅) gives, without simplifying ∅ again

    @property
    def merge_objective(self):
        return merge_objective(self.objective)

    def simplified(self, removed):
        """(graph, SimplifyResult): a clone with ``removed`` linearised, then simplified."""
        from .._core import recipes
        g = linearised(self.graph, removed)
        result = recipes.simplify(g, mode=self.mode, max_mac_growth=self.max_mac_growth, dims=self.dims,
                                  objective=self.merge_objective, latency_runtime=self.latency_runtime)
        return g, result

    @staticmethod
    def _saving(result):
        return sum(m.cost_before - m.cost_after for m in result.merged)

    def cost(self, removed):
        key = frozenset(removed)
        if key not in self._cache:
            self._cache[key] = self._price(key)
        return self._cache[key]

    def _price(self, removed):
        if self.objective == "nonlinear_ops":
            return float(sum(e for n, e in self._elements.items() if n not in removed))
        _, result = self.simplified(sorted(removed))
        if self.objective == "macs":
            return float(sum(c.macs for c in result.after))
        return max(self._base_seconds - (self._saving(result) - self._base_saving), 0.0)

    def ratio(self, removed):
        """How far ``removed`` goes towards ``target``: the speed-up, or for nonlinear_ops the fraction left."""
        base, cost = self.cost(()), self.cost(removed)
        if self.objective == "nonlinear_ops":
            return cost / base if base > 0 else 1.0
        return base / cost if cost > 0 else math.inf

    def reached(self, removed, target):
        if target is None:
            return False
        r = self.ratio(removed)
        return r <= target if self.objective == "nonlinear_ops" else r >= target
