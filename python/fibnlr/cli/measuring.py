"""The FIBNLR recipe as the commands run it: prepare, measure (with a progress bar), prune; per-node records."""
from __future__ import annotations

import dataclasses

from .._core import recipes as R
from ..progress import measure
from ..report.data import nonlinearities


def slices(x, batch):
    """Batches of ``batch`` images (the last may be smaller)."""
    return [x[i:i + batch] for i in range(0, len(x), batch)]


def _records(graph):
    """Every prepared node as the fields of fibnlr.report.NonLinearity, plus its non-finite input count.

    Called before pruning: a removed node would lose its place and its link to the preceding conv."""
    non_finite = {n.name(): int(R.fibnlr_get_npr(n).non_finite) for n in R.fibnlr_prepared_nodes(graph)}
    return [dict(dataclasses.asdict(nl), non_finite=non_finite[nl.name]) for nl in nonlinearities(graph)]


def run_recipe(graph, x, params, batch_size, progress):
    """Compiles ``graph`` for batches of ``x``, prepares, measures and prunes it in place.

    Returns (records in graph order, convergence values)."""
    if batch_size < 1:
        raise ValueError(f"--batch-size is {batch_size}, expected >= 1")
    batch = min(batch_size, len(x))
    graph.compile(backend="cpu", dims=[[batch, *x.shape[1:]]])
    if not R.fibnlr_prepare(graph, params):
        raise ValueError(f"the model has no non-linearity of the selected node_types "
                         f"({', '.join(params.node_types)})")
    convergence = measure(graph, slices(x, batch), params, progress)
    records = _records(graph)
    pruned = {n.name() for n in R.fibnlr_prune(graph, params)}
    for r in records:
        r["pruned"] = r["name"] in pruned
    return records, list(convergence)


def format_table(records):
    """The per-node report: name, group, NPR, NNPR, dead channels / channels, pruned."""
    width = max([len("node")] + [len(r["name"]) for r in records]) + 2
    lines = [f"{'node':<{width}}{'group':>7}{'NPR':>12}{'NNPR':>10}{'dead/channels':>15}  pruned"]
    for r in records:
        dead = f"{r['dead']}/{r['channels']}"
        line = (f"{r['name']:<{width}}{r['group']:>7}{r['npr']:>12.4f}{r['nnpr']:>10.4f}{dead:>15}  "
                f"{'yes' if r['pruned'] else 'no'}")
        if r["non_finite"]:
            line += f"  ({r['non_finite']} non-finite inputs ignored)"
        lines.append(line)
    return "\n".join(lines)
