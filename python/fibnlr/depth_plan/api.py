"""``plan_depth`` and ``apply_plan``: the C++ ``planDepth`` / ``applyPlan`` with Python data and dataclasses.

What is done here is conversion only: any data ``fibnlr.evaluate`` takes becomes
one float32 array of images, a bar shows the progress, ``latency_runtime``
names the timer the binding passes to the core, and the C++ result becomes a
``DepthPlan``. The algorithm and its checks are ``include/fibnlr/recipes/PlanDepth.hpp``.
"""
from __future__ import annotations

import numbers

import numpy as np

from .._core import recipes
from ..batches import Batches
from ..progress import progress_bar
from .plan import DepthPlan, from_core, to_core

OBJECTIVES = tuple(recipes._plan_objectives)


def _images(data, what, key):
    if data is None:
        return None
    xs = [x for x, _ in Batches(data, 1024, key).epoch()]
    if not xs:
        raise ValueError(f"{what} is empty")
    return np.ascontiguousarray(np.concatenate(xs), dtype=np.float32)


def _real(name, value):
    """A number for the core; its range is checked there."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r}")
    return float(value)


def plan_depth(graph, calibration, *, objective="latency", max_divergence=0.05, target=None, holdout=None,
               params=None, mode="exact", max_mac_growth=1.0, latency_runtime="fibnlr", max_candidates=None,
               batch_size=64, seed=0, key=None, progress=True) -> DepthPlan:
    """Chooses which non-linearities of ``graph`` to remove for ``objective`` within a damage budget.

    Args:
        graph: the model (not modified; one input, one output of class scores).
        calibration: images, as ``fibnlr.evaluate``'s data (labels are ignored).
        objective: ``"latency"``, ``"macs"`` or ``"nonlinear_ops"``:
            ``macs``: MACs per image after ``simplify``; ``latency``: seconds per batch-1 forward
            of the simplified model, timed whole on ``latency_runtime`` (a unit must save at least
            2 % to count); ``nonlinear_ops``: non-linear element evaluations per image.
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
    max_divergence = _real("max_divergence", max_divergence)
    target = None if target is None else _real("target", target)
    if max_candidates is not None and (isinstance(max_candidates, bool) or not isinstance(max_candidates, int)
                                       or max_candidates < 1):
        raise ValueError(f"max_candidates must be None or an integer >= 1, got {max_candidates!r}")
    params = recipes.Parameters() if params is None else params
    bar = None

    def report(done, total):
        nonlocal bar
        if bar is None:
            bar = progress_bar(None, True, total=total, desc="plan_depth")
        bar.update(1)

    try:
        core = recipes._plan_depth(graph, _images(calibration, "calibration", key), objective=objective,
                                  max_divergence=max_divergence, target=target,
                                  holdout=_images(holdout, "holdout", key), params=params, mode=mode,
                                  max_mac_growth=_real("max_mac_growth", max_mac_growth),
                                  latency_runtime=latency_runtime, max_candidates=max_candidates,
                                  batch_size=batch_size, seed=seed, progress=report if progress else None)
    finally:
        if bar is not None:
            bar.close()
    return from_core(core)


def apply_plan(graph, plan):
    """Replaces ``plan.picked`` by Identity in ``graph`` (in place) and runs ``simplify`` as the plan priced it.

    Returns the ``SimplifyResult``. Raises ``TypeError`` when ``plan`` is not a
    ``DepthPlan`` and ``ValueError`` naming the node when a picked node is
    missing or of another type than when planned; a failure leaves ``graph`` as it was.
    """
    if not isinstance(plan, DepthPlan):
        raise TypeError(f"apply_plan needs a DepthPlan from plan_depth, got {type(plan).__name__}")
    return recipes._apply_plan(graph, to_core(plan))
