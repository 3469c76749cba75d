"""The FIBNLR report: ``report.html`` and ``report.md`` with PNG figures.

Build a :class:`ReportInput` (one :class:`Run` per parameter set, filled
with :func:`nonlinearities` from a prepared, computed and pruned graph;
optionally :func:`layer_table` before and after ``simplify``, accuracy and
latency per stage, and the depth plan's candidates) and call
:func:`write_report`. The figures need matplotlib
(``pip install fibnlr[report]``); only writing them imports it.

    data = ReportInput("resnet", [Run("default", nonlinearities(graph, pruned),
                                      threshold=0.25, convergence=convergence)])
    paths = write_report("report_dir", data)   # {"html": ..., "markdown": ..., "figures": [...]}
"""
from __future__ import annotations

import os

from .data import NonLinearity, ReportInput, Run, layer_table, nonlinearities

__all__ = ["NonLinearity", "Run", "ReportInput", "nonlinearities", "layer_table", "write_report"]


def write_report(out_dir, data: ReportInput) -> dict:
    """Writes ``report.html``, ``report.md`` and their PNG figures into ``out_dir`` (created if needed).

    Returns ``{"html": path, "markdown": path, "figures": [paths]}``. ``data``
    is checked first (ValueError naming the bad field), so nothing is
    written for bad input.
    """
    from .figures import write_figures
    from .html import render_html
    from .markdown import render_markdown
    from .validate import validate
    validate(data)
    out_dir = os.fspath(out_dir)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ValueError(f"out_dir '{out_dir}' exists and is not a folder")
    os.makedirs(out_dir, exist_ok=True)
    figures = write_figures(out_dir, data)
    html_path = os.path.join(out_dir, "report.html")
    md_path = os.path.join(out_dir, "report.md")
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(render_html(data, figures, out_dir))
    with open(md_path, "w", encoding="utf-8") as f:
        f.write(render_markdown(data, figures, out_dir))
    return {"html": html_path, "markdown": md_path, "figures": list(figures.values())}
