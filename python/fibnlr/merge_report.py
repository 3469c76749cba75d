"""Plain-text reports for the depth-merging recipes (``fibnlr.recipes.simplify``)."""
from __future__ import annotations

__all__ = ["count_layers", "format_simplify_report", "format_skipped"]

_NOT_LAYERS = ("Producer", "Input")


def count_layers(graph, types=None) -> int:
    """Compute nodes of ``graph`` (every node but Producer and Input), or only those of ``types``."""
    nodes = [n for n in graph.get_nodes() if n.type() not in _NOT_LAYERS]
    if types is not None:
        nodes = [n for n in nodes if n.type() in types]
    return len(nodes)


def _mega(x: float) -> str:
    return f"{x / 1e6:.3f}"


def format_skipped(skipped) -> str:
    """One line per skipped candidate: ``a -> b: reason``."""
    return "\n".join(f"{' -> '.join(nodes)}: {reason}" for nodes, reason in skipped)


def format_simplify_report(result) -> str:
    """Per-layer MACs and parameters before and after, merges, folds and removed layers."""
    lines = []
    before = {c.name: c for c in result.before}
    after = {c.name: c for c in result.after}
    lines.append(f"{'layer':60s} {'type':18s} {'MMACs before':>12s} {'MMACs after':>12s} {'params before':>13s} {'params after':>12s}")
    for name in list(before) + [n for n in after if n not in before]:
        b, a = before.get(name), after.get(name)
        t = (a or b).type
        if t not in ("Conv", "Gemm") and a is not None and b is not None:
            continue  # unchanged non-linear layers: omitted
        lines.append(f"{name[-60:]:60s} {t:18s} {(_mega(b.macs) if b else '-'):>12s} {(_mega(a.macs) if a else '-'):>12s} "
                     f"{(str(b.params) if b else '-'):>13s} {(str(a.params) if a else '-'):>12s}")
    tb = sum(c.macs for c in result.before)
    ta = sum(c.macs for c in result.after)
    pb = sum(c.params for c in result.before)
    pa = sum(c.params for c in result.after)
    lines.append(f"total: layers {len(result.before)} -> {len(result.after)}, MMACs {_mega(tb)} -> {_mega(ta)}"
                 + ("" if result.macs_known else " (unknown: pass dims)") + f", params {pb} -> {pa}")
    lines.append(f"batchnorm folded: {len(result.batchnorm_folds)}, identities removed: {len(result.removed_identities)}, "
                 f"merges: {len(result.merged)}, residual folds: {len(result.residual_folds)}, "
                 f"layers removed: {len(result.layers_removed)}")
    if result.merged:
        lines.append("merges (the objective's cost before -> after):")
        for m in result.merged:
            lines.append(f"{' + '.join(m.nodes)} -> {m.new_node}: {m.cost_before:.4g} -> {m.cost_after:.4g}"
                         + (" (bias map: valid at these dims only)" if m.bias_map else ""))
    if result.skipped:
        lines.append("skipped merges:")
        lines.append(format_skipped(result.skipped))
    return "\n".join(lines)
