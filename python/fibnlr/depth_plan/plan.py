"""What ``plan_depth`` found: every candidate unit with its measure, gain and damage, and the choice.

The dataclasses mirror the C++ ``DepthPlan`` / ``PlanCandidate``
(``fibnlr._core.recipes``); ``from_core`` and ``to_core`` convert between them.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from .._core import recipes


def merge_objective(objective):
    """What simplify's merge plan minimises for a plan objective: latency for latency, else MACs."""
    return recipes._plan_merge_objective(objective)


@dataclass
class Candidate:
    """One unit of non-linearities that ``plan_depth`` considered.

    ``npr`` and ``nnpr`` are FIBNLR's measure, the largest over the unit's nodes
    (the least linear member decides); ``gain`` is what removing the unit alone
    saves in the objective's unit (MACs, seconds or evaluations per image);
    ``damage`` is the divergence (mean KL, nats) of the model with the unit alone
    linearised from the original on the held-out images, ``agreement`` its top-1
    agreement; ``why`` says why it was or was not picked. ``gain``/``damage``
    are NaN when the unit was not measured.
    """
    nodes: list
    npr: float
    nnpr: float
    gain: float = float("nan")
    damage: float = float("nan")
    agreement: float = float("nan")
    picked: bool = False
    why: str = ""

    @property
    def unit(self) -> str:
        """The unit's node names joined by " + " (its label in tables and reports)."""
        return " + ".join(self.nodes)

    def to_dict(self) -> dict:
        """Every field and ``unit`` as plain values (the rows of ``fibnlr.report.ReportInput.plan``)."""
        return {"unit": self.unit, **dataclasses.asdict(self)}


@dataclass
class DepthPlan:
    """The non-linearities to remove (``picked``, graph order) and how the plan got there.

    ``cost_before``/``cost_after``: the objective's cost of the simplified model
    without and with the picked units removed; ``ratio``: the speed-up
    (``latency``, ``macs``) or the fraction of evaluations left
    (``nonlinear_ops``); ``divergence``/``agreement``: the measured damage of
    the picked set on the held-out images; ``target_reached``: None without a
    target. ``apply_plan(graph, plan)`` removes ``picked`` and simplifies with
    ``mode``, ``max_mac_growth``, ``dims`` and the merge objective.
    """
    objective: str
    max_divergence: float
    target: float | None
    mode: str
    max_mac_growth: float
    latency_runtime: str
    dims: list
    candidates: list = field(default_factory=list)
    picked: list = field(default_factory=list)
    picked_types: dict = field(default_factory=dict)
    cost_before: float = 0.0
    cost_after: float = 0.0
    ratio: float = 1.0
    divergence: float = 0.0
    agreement: float = 1.0
    target_reached: bool | None = None
    message: str = ""

    @property
    def merge_objective(self) -> str:
        """What ``simplify``'s merge plan minimises for this plan: latency for ``latency``, else MACs."""
        return merge_objective(self.objective)

    def to_dict(self) -> dict:
        """Every field as plain values, candidates included (JSON-ready but for NaN of unmeasured units)."""
        d = dataclasses.asdict(self)
        d["candidates"] = [c.to_dict() for c in self.candidates]
        return d

    def summary(self) -> str:
        """A readable table: one line per candidate, then the totals."""
        lines = [f"{'unit':70s} {'NNPR':>6s} {'gain':>10s} {'damage':>9s} {'agree':>6s}  picked / why"]
        for c in self.candidates:
            lines.append(f"{c.unit[-70:]:70s} {c.nnpr:6.3f} {c.gain:10.4g} {c.damage:9.4g} {c.agreement:6.3f}  "
                         f"{'yes' if c.picked else 'no '} {c.why}")
        kind = "fraction left" if self.objective == "nonlinear_ops" else "speed-up"
        lines.append(f"{len(self.picked)} non-linearities removed; {self.objective} {self.cost_before:.4g} -> "
                     f"{self.cost_after:.4g} ({kind} {self.ratio:.3f}); divergence {self.divergence:.4g} "
                     f"(max {self.max_divergence:g}), top-1 agreement {self.agreement:.3f}")
        if self.message:
            lines.append(self.message)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return (f"DepthPlan({self.objective}, {len(self.picked)} removed of {len(self.candidates)} candidates, "
                f"ratio {self.ratio:.3f}, divergence {self.divergence:.4g})")


def from_core(core) -> DepthPlan:
    """The dataclass holding the C++ ``DepthPlan`` ``core``'s values."""
    plan = DepthPlan(core.objective, core.max_divergence, core.target, core.mode, core.max_mac_growth,
                     core.latency_runtime, [list(d) for d in core.dims])
    plan.candidates = [Candidate(list(c.nodes), c.npr, c.nnpr, c.gain, c.damage, c.agreement, c.picked, c.why)
                       for c in core.candidates]
    plan.picked = list(core.picked)
    plan.picked_types = dict(core.picked_types)
    plan.cost_before, plan.cost_after, plan.ratio = core.cost_before, core.cost_after, core.ratio
    plan.divergence, plan.agreement = core.divergence, core.agreement
    plan.target_reached, plan.message = core.target_reached, core.message
    return plan


def to_core(plan: DepthPlan):
    """The C++ ``DepthPlan`` of what ``apply_plan`` reads: objective, simplify's settings, dims and the picked nodes."""
    core = recipes._DepthPlan()
    core.objective, core.mode, core.max_mac_growth = plan.objective, plan.mode, float(plan.max_mac_growth)
    core.latency_runtime, core.dims = plan.latency_runtime, [list(d) for d in plan.dims]
    core.max_divergence, core.target = float(plan.max_divergence), plan.target
    core.picked = list(plan.picked)
    core.picked_types = list(plan.picked_types.items())
    return core
