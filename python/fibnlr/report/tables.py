"""The report's tables as plain rows of strings, shared by the HTML and Markdown writers.

A Table knows nothing of its output format; ``marked`` rows are the ones
the writers highlight (pruned non-linearities, the picked plan candidate).
"""
from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import List, Optional

from .data import PLAN_KEYS, ReportInput, Run

__all__ = ["Table", "nonlinearity_table", "layer_order", "layer_rows", "metrics_table", "plan_table", "params_table",
           "format_number"]

@dataclass
class Table:
    header: List[str]
    rows: List[List[str]]
    marked: List[bool] = field(default_factory=list)  # one per row
    numeric: List[bool] = field(default_factory=list)  # one per column: right-aligned


def format_number(v, digits=4) -> str:
    """Numbers compact and readable: NaN as 'n/a', ints with no decimals, large and small ones in e-notation."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        v = float(v)
        if math.isnan(v):
            return "n/a"
        if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
            return f"{v:.{digits - 1}e}"
        return f"{v:.{digits}f}".rstrip("0").rstrip(".")
    return str(v)


def nonlinearity_table(run: Run) -> Table:
    """Every non-linearity of one run: the figure's index, name, type, group, NPR, NNPR, dead/channels, pruned."""
    header = ["#", "name", "type", "group", "conv channels", "NPR", "NNPR", "dead / channels", "pruned"]
    rows, marked = [], []
    for i, n in enumerate(run.nonlinearities):
        rows.append([str(i), n.name, n.type, n.group,
                     "-" if n.preceding_channels is None else str(n.preceding_channels),
                     format_number(n.npr), format_number(n.nnpr), f"{n.dead} / {n.channels}",
                     "yes" if n.pruned else "no"])
        marked.append(n.pruned)
    return Table(header, rows, marked, [True, False, False, True, True, True, True, True, False])


def _mega(x) -> str:
    return f"{x / 1e6:.4g}"


def layer_order(before: dict, after: dict) -> List[str]:
    """Every layer name of both tables in graph order: before's order, and a layer only in ``after``
    (a merged conv is named 'a+b') right after the last of its parts found in ``before``, else at the end."""
    position = {name: float(i) for i, name in enumerate(before)}
    end = float(len(before))
    for k, name in enumerate(n for n in after if n not in before):
        parts = [position[p] for p in name.split("+") if p in position]
        # k / (len + 1) keeps several new layers after one part in their own order, before the next old layer.
        position[name] = (max(parts) if parts else end) + (k + 1) / (len(after) + 1)
    return sorted(position, key=lambda name: position[name])


def layer_rows(data: ReportInput) -> Optional[Table]:
    """Per layer MMACs and parameters before and after (both in graph order); None without layers."""
    before = {r["name"]: r for r in data.layers_before or []}
    after = {r["name"]: r for r in data.layers_after or []}
    if not before and not after:
        return None
    names = layer_order(before, after)
    rows = []
    for name in names:
        b, a = before.get(name), after.get(name)
        kind = (a if a is not None else b or {}).get("type", "")
        rows.append([name, kind,
                     _mega(b["macs"]) if b else "-", _mega(a["macs"]) if a else "-",
                     str(b["params"]) if b else "-", str(a["params"]) if a else "-"])
    rows.append(["total", f"{len(before)} → {len(after)} layers" if before and after else "",
                 _mega(sum(r["macs"] for r in before.values())) if before else "-",
                 _mega(sum(r["macs"] for r in after.values())) if after else "-",
                 str(sum(r["params"] for r in before.values())) if before else "-",
                 str(sum(r["params"] for r in after.values())) if after else "-"])
    return Table(["layer", "type", "MMACs before", "MMACs after", "params before", "params after"], rows,
                 [False] * (len(rows) - 1) + [True], [False, False, True, True, True, True])


def metrics_table(data: ReportInput) -> Optional[Table]:
    """One row per stage (in the given order), one column per metric seen in any stage."""
    if not data.metrics:
        return None
    keys = []
    for values in data.metrics.values():
        keys += [k for k in values if k not in keys]
    rows = [[stage] + [format_number(float(v[k])) if k in v else "-" for k in keys]
            for stage, v in data.metrics.items()]
    return Table(["stage"] + keys, rows, [False] * len(rows), [False] + [True] * len(keys))


def plan_table(data: ReportInput) -> Optional[Table]:
    """The depth plan's candidates, known keys first then any others; the picked ones marked."""
    if not data.plan:
        return None
    keys = [k for k in PLAN_KEYS if any(k in c for c in data.plan)]
    for c in data.plan:
        keys += [k for k in c if k not in keys]
    rows = []
    for c in data.plan:
        row = []
        for k in keys:
            v = c.get(k)
            if k == "nodes" and isinstance(v, (list, tuple)):
                v = ", ".join(str(x) for x in v)
            row.append(format_number(v) if isinstance(v, numbers.Real) or v is None else str(v))
        rows.append(row)
    numeric = [k in ("npr", "nnpr", "gain", "damage") for k in keys]
    return Table(keys, rows, [bool(c.get("picked", False)) for c in data.plan], numeric)


def _value(v) -> str:
    if isinstance(v, (list, tuple, set)):
        return ", ".join(str(x) for x in v)
    return format_number(v) if isinstance(v, numbers.Real) or v is None else str(v)


def params_table(runs: List[Run]) -> Optional[Table]:
    """Parameter values, one row per parameter and one column per run, so runs compare at a glance;
    rows where the runs differ are marked. None when no run has parameters."""
    keys: List[str] = []
    for run in runs:
        keys += [k for k in run.params if k not in keys]
    if not keys:
        return None
    rows = [[k] + [_value(r.params[k]) if k in r.params else "-" for r in runs] for k in keys]
    marked = [len(runs) > 1 and len(set(row[1:])) > 1 for row in rows]
    return Table(["parameter"] + [r.label for r in runs], rows, marked, [False] * (len(runs) + 1))
