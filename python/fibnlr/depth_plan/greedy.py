"""``plan_depth``: choose which non-linearities to remove by what their removal buys and costs.

1. FIBNLR measures every prepared non-linearity (prepare + compute on the
   calibration images not held out, ``params`` as given): NPR and NNPR rank the
   candidates, and ``max_candidates`` keeps only the most linear ones.
2. Candidate units (``units.py``): the non-linearities of a conv chain whose
   joint removal lets ``simplify`` merge it, or single nodes for
   ``nonlinear_ops``.
3. gain(u) = cost(∅) − cost(u) for the objective (``costs.py``);
   damage(u) = divergence of the model with u linearised (``damage.py``).
4. Lazy greedy by marginal gain per marginal damage: the best unit by its last
   known score is re-measured jointly with the units already picked (the
   divergence of the joint removal, the joint cost); it is picked when it still
   beats every other score, its joint divergence stays within
   ``max_divergence`` and it still saves something; picking stops when
   ``target`` is reached. Everything is deterministic for a fixed ``seed``
   except ``latency`` timings.
"""
from __future__ import annotations

import heapq
import math
import numbers

import numpy as np

from .._core import recipes
from ..batches import Batches
from ..checks import single_input_output
from ..progress import progress_bar
from .costs import OBJECTIVES, RUNTIMES, CostModel
from .damage import DamageModel
from .plan import Candidate, DepthPlan
from .units import units

# A held-out split needs enough images for a stable KL; so does the measuring part.
MIN_SPLIT = 32
# Damage floor in the gain/damage score, so a harmless unit ranks by its gain.
EPS = 1e-6


def _images(data, what, key):
    if data is None:
        return None
    xs = [x for x, _ in Batches(data, 1024, key).epoch()]
    if not xs:
        raise ValueError(f"{what} is empty")
    return np.concatenate(xs)


def _number(name, value, low, low_inclusive=True, high=None):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    ok = math.isfinite(value) and (value >= low if low_inclusive else value > low) and (high is None or value <= high)
    if not ok:
        bound = (">= " if low_inclusive else "> ") + f"{low:g}" + (f" and <= {high:g}" if high is not None else "")
        raise ValueError(f"{name} must be a finite number {bound}, got {value}")
    return float(value)


def _check_arguments(objective, max_divergence, target, mode, latency_runtime, max_candidates):
    if objective not in OBJECTIVES:
        raise ValueError(f"objective {objective!r} is not one of {', '.join(OBJECTIVES)}")
    if mode not in ("exact", "approximate"):
        raise ValueError(f"mode {mode!r} is not one of exact, approximate")
    if latency_runtime not in RUNTIMES:
        raise ValueError(f"latency_runtime {latency_runtime!r} is not one of {', '.join(RUNTIMES)}")
    max_divergence = _number("max_divergence", max_divergence, 0.0)
    if target is not None:
        if objective == "nonlinear_ops":
            target = _number("target (fraction of non-linear evaluations left)", target, 0.0, False, 1.0)
        else:
            target = _number("target (speed-up)", target, 0.0, False)
    if max_candidates is not None and (isinstance(max_candidates, bool) or not isinstance(max_candidates, int)
                                       or max_candidates < 1):
        raise ValueError(f"max_candidates must be None or an integer >= 1, got {max_candidates!r}")
    return max_divergence, target


def _split(calibration, holdout, seed):
    """(measure images, held-out images): ``holdout`` as given, else a quarter of ``calibration``."""
    if holdout is not None:
        return calibration, holdout
    n = len(calibration)
    if n < 2 * MIN_SPLIT:
        raise ValueError(f"calibration has {n} images; plan_depth needs at least {2 * MIN_SPLIT} to hold out "
                         f"{MIN_SPLIT} for measuring damage (or pass holdout=)")
    order = np.random.default_rng(seed).permutation(n)
    cut = n - max(MIN_SPLIT, n // 4)
    return calibration[np.sort(order[:cut])], calibration[np.sort(order[cut:])]


def _value(x):
    """NPR.value is a method upstream, NNPR.value an attribute: read either."""
    v = x.value
    return float(v() if callable(v) else v)


def _measure(graph, images, params, batch_size):
    """{name: (npr, nnpr)} of the nodes FIBNLR prepares, on a clone."""
    g = graph.clone()
    g.compile(dims=[[min(batch_size, len(images)), *images.shape[1:]]])
    prepared = list(recipes.fibnlr_prepare(g, params))
    if not prepared:
        return {}
    batches = [images[i:i + batch_size] for i in range(0, len(images), batch_size)]
    recipes.fibnlr_compute(g, batches, params)
    return {n.name(): (_value(recipes.fibnlr_get_npr(n)), _value(recipes.fibnlr_get_nnpr(n))) for n in prepared}


def plan_depth(graph, calibration, *, objective="latency", max_divergence=0.05, target=None, holdout=None,
               params=None, mode="exact", max_mac_growth=1.0, latency_runtime="fibnlr", max_candidates=None,
               batch_size=64, seed=0, key=None, progress=True) -> DepthPlan:
    """Chooses which non-linearities of ``graph`` to remove for ``objective`` within a damage budget.

    Args:
        graph: the model (not modified; one input, one output of class scores).
        calibration: images, as ``fibnlr.evaluate``'s data (labels are ignored).
        objective: ``"latency"``, ``"macs"`` or ``"nonlinear_ops"`` (see ``fibnlr.depth_plan.costs``).
        max_divergence: budget for the mean KL (nats) between the original's and the planned
            model's softmax outputs on the held-out images.
        target: stop once reached: a speed-up (``latency``, ``macs``, e.g. 1.3) or the fraction of
            non-linear evaluations left (``nonlinear_ops``, e.g. 0.5). When it cannot be reached
            within the budget the plan says so and holds the best found.
        holdout: images for measuring damage; default: a quarter of ``calibration`` (≥ 32 images),
            chosen by ``seed``.
        params: FIBNLR parameters for the measure (``fibnlr.recipes.Parameters()`` by default;
            ``node_types`` chooses which non-linearities are candidates).
        mode, max_mac_growth: passed to ``simplify`` (and recorded for ``apply_plan``).
        latency_runtime: ``"fibnlr"`` or ``"onnxruntime"`` for the latency objective.
        max_candidates: measure only this many units, the most linear by FIBNLR's NNPR.
    Returns:
        a ``DepthPlan``; ``apply_plan(graph, plan)`` applies it.
    Raises:
        ValueError for an unknown objective, mode or runtime, a negative budget, a target out of range,
        calibration too small to split, or a graph whose output is not [N, classes].
    """
    max_divergence, target = _check_arguments(objective, max_divergence, target, mode, latency_runtime,
                                              max_candidates)
    single_input_output(graph, "plan_depth")
    params = recipes.fibnlr_Parameters() if params is None else params
    measure_x, holdout_x = _split(_images(calibration, "calibration", key), _images(holdout, "holdout", key), seed)
    dims = [[1, *measure_x.shape[1:]]]
    plan = DepthPlan(objective, max_divergence, target, mode, float(max_mac_growth), latency_runtime, dims)

    measured = _measure(graph, measure_x, params, batch_size)
    base = graph.clone()
    damage = DamageModel(base, holdout_x, batch_size)
    costs = CostModel(base, objective, dims, mode, max_mac_growth, latency_runtime, list(measured))
    plan.cost_before = plan.cost_after = costs.cost(())
    if not measured:
        plan.message = "no non-linearity of params.node_types in the graph: nothing to plan"
        return plan

    candidates = [Candidate(list(u), max(measured[n][0] for n in u), max(measured[n][1] for n in u))
                  for u in units(base, measured, objective)]
    ranked = sorted(range(len(candidates)), key=lambda i: (candidates[i].nnpr, i))
    limit = len(ranked) if max_candidates is None else max_candidates
    for i in ranked[limit:]:
        candidates[i].why = f"not measured: NNPR rank beyond max_candidates={max_candidates}"

    heap = []
    for i in progress_bar(ranked[:limit], progress, total=limit, desc="plan_depth"):
        c = candidates[i]
        c.gain = plan.cost_before - costs.cost(c.nodes)
        c.damage, c.agreement = damage.damage(c.nodes)
        if c.gain <= 1e-12 * max(abs(plan.cost_before), 1.0):
            c.why = f"removing it alone saves nothing for {objective}"
        heapq.heappush(heap, (-c.gain / max(c.damage, EPS), c.nnpr, i, 0))

    picked, current, picks = set(), 0.0, 0
    while heap:
        _, _, i, stamp = heapq.heappop(heap)
        c = candidates[i]
        if costs.reached(picked, target):
            c.why = c.why or "target reached before this unit"
            continue
        rest = [n for n in c.nodes if n not in picked]
        if not rest:
            c.why = "already removed with the units picked before"
            continue
        gain = costs.cost(picked) - costs.cost(picked | set(rest))
        if gain <= 1e-12 * max(abs(plan.cost_before), 1.0):
            c.why = c.why or f"saves nothing for {objective} with the units picked before"
            continue
        joint, agreement = damage.damage(picked | set(rest))
        if joint > max_divergence:
            c.why = f"joint divergence {joint:.4g} would exceed max_divergence {max_divergence:g}"
            continue
        score = gain / max(joint - current, EPS)
        if stamp != picks and heap and score < -heap[0][0]:
            heapq.heappush(heap, (-score, c.nnpr, i, picks))  # stale score: re-rank with the fresh one
            continue
        picked |= set(rest)
        current, picks = joint, picks + 1
        c.picked = True
        c.why = (f"picked #{picks}: saves {gain:.4g} more, joint divergence {joint:.4g}, "
                 f"top-1 agreement {agreement:.3f}")

    order = [n.name() for n in base.get_nodes() if n.name() in picked]
    plan.candidates, plan.picked = candidates, order
    plan.picked_types = {n: base.get_node(n).type() for n in order}
    plan.cost_after, plan.ratio = costs.cost(picked), costs.ratio(picked)
    plan.divergence, plan.agreement = damage.damage(picked)
    if target is not None:
        plan.target_reached = costs.reached(picked, target)
        if not plan.target_reached:
            plan.message = (f"target {target:g} not reached within max_divergence {max_divergence:g}: "
                            f"the best found gives {plan.ratio:.3f}")
    return plan
