"""The report's PNG figures (matplotlib, Agg canvas).

Figures are built as ``matplotlib.figure.Figure`` objects on their own Agg
canvas, never through pyplot: no global figure list, no backend switch, so
writing a report leaves a caller's pyplot state (and open windows) alone.
matplotlib is imported only here, when a figure is drawn, so
``import fibnlr.report`` works without it.

Widths grow with the number of bars (0.24 inch each) and long label
rows turn vertical, so ~50 non-linearities stay readable.
"""
from __future__ import annotations

import math
import os
from typing import List

from .data import ReportInput, Run
from .tables import layer_order

__all__ = ["nnpr_figure", "convergence_figure", "layers_figure", "metrics_figure", "write_figures"]

_DPI = 110
_BAR_INCH = 0.24        # horizontal room per bar
_MAX_WIDTH = 60.0       # inches; beyond this labels would be unreadable anyway
_SIDE_BY_SIDE_MAX = 30  # non-linearities per run up to which runs go side by side


def _matplotlib():
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError("writing the report's figures needs matplotlib: pip install fibnlr[report] "
                          f"({e})") from e
    return Figure, FigureCanvasAgg


def _new_figure(width, height):
    Figure, FigureCanvasAgg = _matplotlib()
    fig = Figure(figsize=(min(width, _MAX_WIDTH), height), dpi=_DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path):
    fig.savefig(path, dpi=_DPI)
    return path


def _group_colours(runs: List[Run]):
    """One colour per group id in order of first appearance, the same in every run (tab10, tab20 beyond 10)."""
    from matplotlib import colormaps
    ids = list(dict.fromkeys(n.group for run in runs for n in run.nonlinearities))
    cmap = colormaps["tab10" if len(ids) <= 10 else "tab20"]
    return {g: cmap(i % cmap.N) for i, g in enumerate(ids)}


def _compact(path: str) -> str:
    """PyTorch export names repeat each module: '/features/features.5/block/block.0/Conv' -> 'features.5/block.0/Conv'."""
    parts = [p for p in path.split("/") if p]
    kept = [p for i, p in enumerate(parts) if not (i + 1 < len(parts) and parts[i + 1].startswith(p + "."))]
    return "/".join(kept) or path


def short_name(name: str, width: int = 40) -> str:
    """A readable axis label for a layer: compacted path; a merged 'a+b' shows b without a's common prefix;
    still too long: its distinctive tail."""
    parts = [_compact(p) for p in name.split("+")]
    shown = parts[:1]
    for p in parts[1:]:
        common = os.path.commonprefix([parts[0], p])
        common = common[:common.rfind("/") + 1]  # whole path components only
        shown.append(("…" + p[len(common):]) if common else p)
    label = "+".join(shown)
    return label if len(label) <= width else "…" + label[-(width - 1):]


def _bar_label(n, many: bool) -> str:
    """``G:<group>`` and ``N:<conv out-channels>`` under each bar, as the upstream recipe's figure."""
    g = f"G:{n.group}"
    c = f"N:{n.preceding_channels}" if n.preceding_channels is not None else "N:-"
    return f"{g} {c}" if many else f"{g}\n{c}"


def _nnpr_axes(ax, run: Run, colours, log_scale: bool):
    nls = run.nonlinearities
    many = len(nls) > 12
    xs = list(range(len(nls)))
    computed = [x for x, n in zip(xs, nls) if not math.isnan(n.nnpr)]
    heights = {x: nls[x].nnpr for x in computed}
    notes = {x: "n/a" for x in xs if x not in heights}  # not computed: no bar, a note at the bottom
    if log_scale:
        # A zero has no place on a log axis: a stub at half the smallest value, labelled 0.
        floor = min([h for h in heights.values() if h > 0] or [1e-6]) / 2
        notes.update({x: "0" for x, h in heights.items() if h <= 0})
        heights = {x: (h if h > 0 else floor) for x, h in heights.items()}
    bars = ax.bar(computed, [heights[x] for x in computed], width=0.8,
                  color=[colours[nls[x].group] for x in computed], edgecolor="black", linewidth=0.6)
    for bar, x in zip(bars, computed):
        if nls[x].pruned:
            bar.set_hatch("///")
    pruned_x = [x for x in computed if nls[x].pruned]
    if pruned_x:
        ax.plot(pruned_x, [heights[x] for x in pruned_x], linestyle="none", marker="x", color="black", markersize=7,
                markeredgewidth=1.5, zorder=3)
    for x, text in notes.items():
        # x in data, y in axes coordinates: visible whatever the scale.
        ax.text(x, 0.01, text, transform=ax.get_xaxis_transform(), ha="center", va="bottom", fontsize=7,
                rotation=90 if text == "n/a" else 0)
    ax.set_xticks(xs)
    ax.set_xticklabels([f"{i} {_bar_label(n, many)}" if many else f"#{i}\n{_bar_label(n, many)}"
                        for i, n in enumerate(nls)],
                       rotation=90 if many else 0, fontsize=7 if many else 8)
    ax.set_xlim(-0.6, len(nls) - 0.4)
    if log_scale:
        ax.set_yscale("log")
    if run.threshold is not None:
        ax.axhline(run.threshold, color="red", linestyle="--", linewidth=1.2)
    n_pruned = sum(n.pruned for n in nls)
    thr = "" if run.threshold is None else f", threshold {run.threshold:g}"
    ax.set_title(f"{run.label}: {n_pruned} of {len(nls)} pruned{thr}", fontsize=10)
    ax.set_xlabel("non-linearities in graph order (# as in the table)", fontsize=8)
    ax.grid(axis="y", alpha=0.3)


def _nnpr_legend(fig, runs: List[Run], colours):
    """One legend for all panels, below them: group colours are shared, so it never covers a bar."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch
    handles: list = [Patch(facecolor=c, edgecolor="black", label=f"group {g}") for g, c in colours.items()]
    if any(n.pruned for r in runs for n in r.nonlinearities):
        handles.append(Patch(facecolor="white", edgecolor="black", hatch="///", label="pruned (x)"))
    if any(r.threshold is not None for r in runs):
        handles.append(Line2D([], [], color="red", linestyle="--", label="threshold"))
    fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 8), fontsize=8,
               frameon=False)


def _run_values(run: Run) -> List[float]:
    """The heights a run's panel must show: its computed NNPR values and its threshold."""
    values = [n.nnpr for n in run.nonlinearities if not math.isnan(n.nnpr)]
    return values + ([run.threshold] if run.threshold is not None else [])


def nnpr_figure(path, runs: List[Run], model: str = ""):
    """NNPR per non-linearity as bars coloured by group, pruned ones hatched and crossed, the threshold
    as a dashed line; one panel per run: side by side, or one above the other (bars aligned) when a run
    has more than _SIDE_BY_SIDE_MAX non-linearities, so 50 stay readable. Panels share the y axis when
    their ranges are alike (within 3x); runs with other normalisations (Sum ~0.1, Average ~1) keep their own."""
    colours = _group_colours(runs)
    per_run = [_run_values(r) for r in runs]
    values = [v for vs in per_run for v in vs]
    positive = [v for v in values if v > 0]
    # Unnormalised NPR can span decades (a nearly dead layer: 1e3): a linear axis would hide the rest.
    log_scale = bool(positive) and max(positive) / min(positive) > 1e3
    tops = [max(vs) for vs in per_run if vs and max(vs) > 0]
    share = not tops or max(tops) <= 3 * min(tops)
    widths = [max(4.0, _BAR_INCH * len(r.nonlinearities) + 1.5) for r in runs]
    side_by_side = max(len(r.nonlinearities) for r in runs) <= _SIDE_BY_SIDE_MAX
    if side_by_side:
        fig = _new_figure(sum(widths), 4.8)
        axes = fig.subplots(1, len(runs), sharey=share, squeeze=False, width_ratios=widths)[0]
    else:
        fig = _new_figure(max(widths), 1.2 + 3.9 * len(runs))
        axes = fig.subplots(len(runs), 1, sharey=share, squeeze=False)[:, 0]
    for k, (ax, run, vs) in enumerate(zip(axes, runs, per_run)):
        _nnpr_axes(ax, run, colours, log_scale)
        if k == 0 or not (side_by_side and share):
            ax.set_ylabel("NNPR (log)" if log_scale else "NNPR")
        top = max(values if share else vs, default=0)
        if not log_scale and top > 0:
            ax.set_ylim(0, top * 1.1)  # room above the tallest bar and the threshold line
    _nnpr_legend(fig, runs, colours)
    if model:
        name = os.path.basename(model) or model  # a path would not fit the figure's width
        fig.suptitle(f"{name}: normalised negative/positive ratio per non-linearity", fontsize=11)
    return _save(fig, path)


def convergence_figure(path, runs: List[Run]):
    """fibnlr_compute's convergence value per batch, one line per run (log y; the first value is always 0)."""
    fig = _new_figure(6.4, 3.8)
    ax = fig.subplots()
    drawn = False
    styles = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D")]
    for k, run in enumerate(runs):
        pts = [(i + 1, v) for i, v in enumerate(run.convergence) if v > 0]
        if pts:
            # Runs on the same data give the same curve: distinct dashes and markers keep both visible.
            line, marker = styles[k % len(styles)]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], linestyle=line, marker=marker, markersize=4,
                    fillstyle="none" if k else "full", label=run.label)
            drawn = True
        thr = run.params.get("convergence_threshold") if isinstance(run.params, dict) else None
        if isinstance(thr, (int, float)) and thr > 0 and drawn:
            ax.axhline(thr, color="grey", linestyle=":", linewidth=1)
    if drawn:
        ax.set_yscale("log")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no convergence values above 0", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("batch")
    ax.set_ylabel("sum of squared NPR changes")
    ax.set_title("convergence of fibnlr_compute (dotted: convergence_threshold)", fontsize=10)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def layers_figure(path, data: ReportInput):
    """MMACs and parameters per layer before and after simplify, as paired bars (two panels)."""
    before = {r["name"]: r for r in data.layers_before or []}
    after = {r["name"]: r for r in data.layers_after or []}
    names = layer_order(before, after)
    xs = list(range(len(names)))
    fig = _new_figure(max(6.0, 2 * _BAR_INCH * len(names) + 1.5), 7.5)
    axes = fig.subplots(2, 1, sharex=True)
    for ax, key, scale, label in ((axes[0], "macs", 1e6, "MMACs per image"), (axes[1], "params", 1e3, "k parameters")):
        for offset, table, what, colour in ((-0.2, before, "before", "tab:blue"), (0.2, after, "after", "tab:orange")):
            if table:
                ax.bar([x + offset for x in xs], [table[n][key] / scale if n in table else 0 for n in names],
                       width=0.4, label=what, color=colour)
        ax.set_ylabel(label)
        ax.grid(axis="y", alpha=0.3)
        ax.legend(fontsize=8)
    axes[1].set_xticks(xs)
    axes[1].set_xticklabels([short_name(n) for n in names], rotation=90, fontsize=7)
    axes[0].set_title("per layer before and after simplify (a missing bar: layer merged away or new)", fontsize=10)
    return _save(fig, path)


def metrics_figure(path, data: ReportInput):
    """One small bar panel per metric (top-1, latency, ...) over the stages, in the given order."""
    stages = list(data.metrics)
    keys = []
    for values in data.metrics.values():
        keys += [k for k in values if k not in keys]
    fig = _new_figure(max(4.0, 3.0 * len(keys)), 3.4)
    axes = fig.subplots(1, len(keys), squeeze=False)[0]
    for ax, key in zip(axes, keys):
        xs = [i for i, s in enumerate(stages) if key in data.metrics[s] and not math.isnan(data.metrics[s][key])]
        ys = [float(data.metrics[stages[i]][key]) for i in xs]
        bars = ax.bar(xs, ys, color="tab:green")
        ax.bar_label(bars, labels=[f"{y:.4g}" for y in ys], fontsize=7)
        ax.set_xticks(range(len(stages)))
        ax.set_xticklabels(stages, rotation=30, ha="right", fontsize=8)
        ax.set_title(key, fontsize=10)
        ax.margins(y=0.15)  # room for the value labels above the bars
        ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def write_figures(out_dir, data: ReportInput) -> dict:
    """Draws every figure the data allows into ``out_dir``; returns {"nnpr": path, ...} (absent: not drawn)."""
    _matplotlib()  # the clear ImportError before any figure starts
    out = {"nnpr": nnpr_figure(os.path.join(out_dir, "nnpr.png"), data.runs, data.model)}
    if any(r.convergence for r in data.runs):
        out["convergence"] = convergence_figure(os.path.join(out_dir, "convergence.png"), data.runs)
    if data.layers_before or data.layers_after:
        out["layers"] = layers_figure(os.path.join(out_dir, "layers.png"), data)
    if data.metrics and any(data.metrics.values()):
        out["metrics"] = metrics_figure(os.path.join(out_dir, "metrics.png"), data)
    return out
