"""``fibnlr run`` choosing with ``plan_depth`` (``--target``, ``--max-divergence`` or ``--objective nonlinear_ops``).

FIBNLR still measures every non-linearity (the table and the report show its
NPR and NNPR), but what is removed is the plan's choice: the units whose
removal buys the most for the objective per measured damage (``fibnlr.depth_plan``).
"""
from __future__ import annotations

from .._core import recipes as R
from ..depth_plan import OBJECTIVES, plan_depth
from ..depth_plan.linearise import linearise
from .measuring import format_table, run_recipe
from .params import params_to_dict, parameters_from_dict

DEFAULT_MAX_DIVERGENCE = 1.0  # nats of mean KL before fine-tuning (docs/depth_plan.md, "Choosing the budget")


def uses_plan(args) -> bool:
    return (getattr(args, "target", None) is not None or getattr(args, "max_divergence", None) is not None
            or args.objective == "nonlinear_ops")


def check_objective(args):
    if args.objective not in OBJECTIVES and args.objective != "layers":
        raise ValueError(f"--objective is '{args.objective}'; expected one of: macs, latency, layers, nonlinear_ops")
    if uses_plan(args) and args.objective == "layers":
        raise ValueError("--objective layers is a merge objective only; with --target or --max-divergence use "
                         "latency, macs or nonlinear_ops")


def plan_and_prune(source, args, out, params):
    """Measures (no pruning), plans, linearises source.graph in place.

    Returns (records, convergence, the unpruned clone, batch, plan)."""
    x = source.calibration
    batch = min(args.batch_size, len(x)) if args.batch_size >= 1 else args.batch_size
    original = source.graph.clone()
    out.step(f"fibnlr {args.command}: {source.label}; batches of {batch}; choosing with plan_depth "
             f"(objective {args.objective})")
    measure_only = parameters_from_dict(params_to_dict(params))
    measure_only.ablation_method = R.AblationMethod.NONE
    with out.timed("measure"):
        records, convergence = run_recipe(source.graph.clone(), x, measure_only, args.batch_size, out.progress)
    budget = DEFAULT_MAX_DIVERGENCE if args.max_divergence is None else args.max_divergence
    with out.timed("plan"):
        plan = plan_depth(source.graph, x, objective=args.objective, max_divergence=budget, target=args.target,
                          params=params, mode=args.mode, max_mac_growth=args.max_mac_growth,
                          batch_size=batch, progress=out.progress)
    picked = set(plan.picked)
    for r in records:
        r["pruned"] = r["name"] in picked
    out.result(format_table(records))
    out.result(plan.summary())
    linearise(source.graph, plan.picked)
    original.compile(backend="cpu", dims=[[batch, *x.shape[1:]]])
    args.objective = plan.merge_objective  # simplify prices merges as the plan did
    return records, convergence, original, batch, plan
