"""report.html: one self-contained page (inline style, no script); only the PNGs sit next to it.

Every text that comes from the model or the caller (node names, labels,
parameter values) goes through ``html.escape``: an ONNX node may be called
``<script>``.
"""
from __future__ import annotations

import html
import os
from typing import Dict, List, Optional

from .data import ReportInput
from .tables import Table, layer_rows, metrics_table, nonlinearity_table, params_table, plan_table

__all__ = ["render_html"]

_STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.2em 0.6em; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.marked { background: #fde2e2; font-weight: bold; }
img { border: 1px solid #ddd; }  /* full size: wide figures scroll in their figure */
figure { margin: 0.5em 0 1.5em; overflow-x: auto; }
figcaption { font-size: 0.85em; color: #555; }
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _table(t: Table, cls: str) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in t.header)
    body = []
    for i, row in enumerate(t.rows):
        marked = i < len(t.marked) and t.marked[i]
        cells = "".join(f'<td class="num">{_e(c)}</td>' if j < len(t.numeric) and t.numeric[j] else f"<td>{_e(c)}</td>"
                        for j, c in enumerate(row))
        body.append(f'<tr class="marked">{cells}</tr>' if marked else f"<tr>{cells}</tr>")
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>' + "".join(body) + "</tbody></table>"


def _figure(path: Optional[str], caption: str, out_dir: str) -> str:
    if not path:
        return ""
    src = os.path.relpath(path, out_dir).replace(os.sep, "/")
    return (f'<figure><img src="{_e(src)}" alt="{_e(caption)}">'
            f"<figcaption>{_e(caption)}</figcaption></figure>")


def render_html(data: ReportInput, figures: Dict[str, str], out_dir: str) -> str:
    """The whole page; ``figures`` maps figure kind to its PNG path (made relative to ``out_dir``)."""
    parts: List[str] = [f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        f"<title>fibnlr report: {_e(data.model)}</title><style>{_STYLE}</style></head><body>",
                        f"<h1>fibnlr report: {_e(data.model)}</h1>"]
    summary = "".join(f"<li>{_e(r.label)}: {sum(n.pruned for n in r.nonlinearities)} of "
                      f"{len(r.nonlinearities)} non-linearities pruned"
                      + (f", threshold {_e(f'{r.threshold:g}')}" if r.threshold is not None else "")
                      + (f", {len(r.convergence)} batches" if r.convergence else "") + "</li>"
                      for r in data.runs)
    parts.append(f"<ul>{summary}</ul>")
    parts.append("<h2>NNPR per non-linearity</h2>")
    parts.append(_figure(figures.get("nnpr"), "NNPR per non-linearity in graph order, coloured by group "
                         "(G: group, N: channels of the conv before it); hatched and crossed: pruned; "
                         "dashed: threshold", out_dir))
    if figures.get("convergence"):
        parts.append("<h2>Convergence</h2>")
        parts.append(_figure(figures["convergence"], "fibnlr_compute's convergence value per batch", out_dir))
    p = params_table(data.runs)
    if p is not None:
        parts.append("<h2>Parameters</h2>" + ("<p>Highlighted: the runs differ.</p>" if len(data.runs) > 1 else "")
                     + _table(p, "params"))
    for run in data.runs:
        parts.append(f"<h2>Non-linearities: {_e(run.label)}</h2>")
        parts.append(_table(nonlinearity_table(run), "nonlinearities"))
    layers = layer_rows(data)
    if layers is not None:
        parts.append("<h2>Layers: MACs and parameters</h2>")
        parts.append(_figure(figures.get("layers"), "MMACs and parameters per layer before and after simplify",
                             out_dir))
        parts.append(_table(layers, "layers"))
    metrics = metrics_table(data)
    if metrics is not None:
        parts.append("<h2>Accuracy and latency</h2>")
        parts.append(_table(metrics, "metrics"))
        parts.append(_figure(figures.get("metrics"), "metrics per stage", out_dir))
    plan = plan_table(data)
    if plan is not None:
        parts.append("<h2>Depth plan candidates</h2><p>Highlighted: picked.</p>")
        parts.append(_table(plan, "plan"))
    parts.append("</body></html>\n")
    return "\n".join(p for p in parts if p)
