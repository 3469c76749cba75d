"""Depth-aware, budget-driven selection on top of FIBNLR's measure.

``plan_depth(graph, calibration, objective=..., max_divergence=..., target=...)``
measures every candidate unit's gain (what its removal saves for the
objective) and damage (the divergence it causes on held-out images) and picks
units greedily; ``apply_plan(graph, plan)`` removes them and simplifies.

The algorithm is the C++ ``fibnlr::planDepth`` / ``fibnlr::applyPlan``
(``include/fibnlr/recipes/PlanDepth.hpp``); this package converts the data,
keeps the ``DepthPlan`` / ``Candidate`` dataclasses and passes the
onnxruntime latency timer to the core.
"""
from .api import OBJECTIVES, apply_plan, plan_depth
from .plan import Candidate, DepthPlan

__all__ = ["Candidate", "DepthPlan", "OBJECTIVES", "apply_plan", "plan_depth"]
