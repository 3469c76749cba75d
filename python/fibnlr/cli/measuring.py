"""The FIBNLR recipe as the commands run it: prepare, measure (with a progress bar), prune; per-node records."""
from __future__ import annotations

import math

from .._core import recipes as R
from ..progress import measure


def slices(x, batch):
    """Batches of ``batch`` images (the last may be smaller)."""
    return [x[i:i + batch] for i in range(0, len(x), batch)]


def _preceding_channels(node):
    """Out-channels of the Conv feeding ``node`` (through a BatchNorm), or None."""
    try:
        parent = node.get_parent(0)
        while parent is not None and parent.type() in ("BatchNormalization", "Identity"):
            parent = parent.get_parent(0)
        return int(R.out_channels(parent)) if parent is not None and parent.type() == "Conv" else None
    except (ValueError, IndexError, TypeError):
        return None


def _record(node):
    """One prepared node: the fields of fibnlr.report.NonLinearity (+ non_finite)."""
    npr = R.fibnlr_get_npr(node)
    tracker = R.fibnlr_get_activity_tracker(node)
    nnpr = R.fibnlr_get_nnpr(node).value
    return {"name": node.name(), "type": node.type(), "group": str(R.fibnlr_get_group(node).id),
            "npr": float(npr.value()), "nnpr": float(nnpr) if nnpr is not None else math.nan,
            "dead": int(tracker.count_dead_neurons()), "channels": len(tracker.neurons),
            "preceding_channels": _preceding_channels(node), "pruned": False, "non_finite": int(npr.non_finite)}


def run_recipe(graph, x, params, batch_size, progress):
    """Compiles ``graph`` for batches of ``x``, prepares, measures and prunes it in place.

    Returns (records in graph order, convergence values)."""
    if batch_size < 1:
        raise ValueError(f"--batch-size is {batch_size}, expected >= 1")
    batch = min(batch_size, len(x))
    graph.compile(backend="cpu", dims=[[batch, *x.shape[1:]]])
    order = {n.name(): i for i, n in enumerate(graph.get_nodes())}  # before pruning: removed nodes keep their place
    prepared = sorted(R.fibnlr_prepare(graph, params), key=lambda n: order[n.name()])
    if not prepared:
        raise ValueError(f"the model has no non-linearity of the selected node_types "
                         f"({', '.join(params.node_types)})")
    convergence = measure(graph, slices(x, batch), params, progress)
    records = [_record(n) for n in prepared]  # before prune: the links to the preceding conv are still there
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
