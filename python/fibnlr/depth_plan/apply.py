"""``apply_plan``: remove a plan's non-linearities and simplify, all or nothing."""
from __future__ import annotations

from .._core import recipes
from .linearise import check_nodes, linearise
from .plan import DepthPlan


def _simplify(graph, plan):
    return recipes.simplify(graph, mode=plan.mode, max_mac_growth=plan.max_mac_growth, dims=plan.dims,
                            objective=plan.merge_objective, latency_runtime=plan.latency_runtime)


def apply_plan(graph, plan):
    """Replaces ``plan.picked`` by Identity in ``graph`` (in place) and runs ``simplify`` as the plan priced it.

    Returns the ``SimplifyResult``. Raises ``TypeError`` when ``plan`` is not a
    ``DepthPlan`` and ``ValueError`` naming the node when a picked node is
    missing or of another type than when planned; the whole plan is first
    applied to a clone, so a failure leaves ``graph`` as it was.
    """
    if not isinstance(plan, DepthPlan):
        raise TypeError(f"apply_plan needs a DepthPlan from plan_depth, got {type(plan).__name__}")
    check_nodes(graph, plan.picked, "apply_plan")
    for name, planned in plan.picked_types.items():
        actual = graph.get_node(name).type()
        if actual != planned:
            raise ValueError(f"apply_plan: node '{name}' is a {actual}; the plan was made when it was a {planned}")
    trial = graph.clone()
    linearise(trial, plan.picked)
    _simplify(trial, plan)
    linearise(graph, plan.picked)
    return _simplify(graph, plan)
