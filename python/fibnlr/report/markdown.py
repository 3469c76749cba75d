"""report.md: the same content as report.html in Markdown (GitHub tables, images by relative path)."""
from __future__ import annotations

import os
from typing import Dict, List, Optional

from .data import ReportInput
from .tables import Table, layer_rows, metrics_table, nonlinearity_table, params_table, plan_table

__all__ = ["render_markdown"]


def _cell(text) -> str:
    # A '|' would end the cell and a newline the row; backslashes first so the escapes stay escapes;
    # '<' and '>' as entities so a node name is never read as raw HTML.
    return (str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
            .replace("<", "&lt;").replace(">", "&gt;"))


def _table(t: Table) -> str:
    lines = ["| " + " | ".join(_cell(h) for h in t.header) + " |",
             "|" + "|".join("---:" if j < len(t.numeric) and t.numeric[j] else "---" for j in range(len(t.header)))
             + "|"]
    for i, row in enumerate(t.rows):
        marked = i < len(t.marked) and t.marked[i]
        # Marked rows (pruned, picked, totals) in bold so they stand out without HTML.
        lines.append("| " + " | ".join(f"**{_cell(c)}**" if marked and c else _cell(c) for c in row) + " |")
    return "\n".join(lines)


def _image(path: Optional[str], alt: str, out_dir: str) -> str:
    if not path:
        return ""
    src = os.path.relpath(path, out_dir).replace(os.sep, "/")
    return f"![{_cell(alt)}]({src})"


def render_markdown(data: ReportInput, figures: Dict[str, str], out_dir: str) -> str:
    """The whole document; ``figures`` maps figure kind to its PNG path (made relative to ``out_dir``)."""
    parts: List[str] = [f"# fibnlr report: {_cell(data.model)}"]
    parts.append("\n".join(f"- {_cell(r.label)}: {sum(n.pruned for n in r.nonlinearities)} of "
                           f"{len(r.nonlinearities)} non-linearities pruned"
                           + (f", threshold {r.threshold:g}" if r.threshold is not None else "")
                           + (f", {len(r.convergence)} batches" if r.convergence else "")
                           for r in data.runs))
    parts.append("## NNPR per non-linearity")
    parts.append(_image(figures.get("nnpr"), "NNPR per non-linearity", out_dir))
    parts.append("Bars in graph order, coloured by group (G: group, N: channels of the conv before it); "
                 "hatched and crossed: pruned; dashed line: threshold.")
    if figures.get("convergence"):
        parts.append("## Convergence")
        parts.append(_image(figures["convergence"], "convergence of fibnlr_compute", out_dir))
    p = params_table(data.runs)
    if p is not None:
        parts.append("## Parameters" + ("\n\nBold: the runs differ." if len(data.runs) > 1 else ""))
        parts.append(_table(p))
    for run in data.runs:
        parts.append(f"## Non-linearities: {_cell(run.label)}")
        parts.append(_table(nonlinearity_table(run)) + "\n\nPruned rows in bold.")
    layers = layer_rows(data)
    if layers is not None:
        parts.append("## Layers: MACs and parameters")
        parts.append(_image(figures.get("layers"), "MMACs and parameters per layer", out_dir))
        parts.append(_table(layers))
    metrics = metrics_table(data)
    if metrics is not None:
        parts.append("## Accuracy and latency")
        parts.append(_table(metrics))
        parts.append(_image(figures.get("metrics"), "metrics per stage", out_dir))
    plan = plan_table(data)
    if plan is not None:
        parts.append("## Depth plan candidates\n\nPicked rows in bold.")
        parts.append(_table(plan))
    return "\n\n".join(p for p in parts if p) + "\n"
