"""Checks a ReportInput before anything is written.

Every error is a ValueError (TypeError for an object of the wrong class)
naming the field by its path, e.g. ``runs[0].nonlinearities[3].dead``, the
value found and what was expected, so a report never half-writes.
"""
from __future__ import annotations

import math
import numbers

from .data import PLAN_KEYS, NonLinearity, ReportInput, Run

__all__ = ["validate"]

def _fail(path, value, expected):
    raise ValueError(f"{path} is {value!r}; expected {expected}")


def _is_number(v) -> bool:
    # bool is an int in Python but never a measurement.
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _is_int(v) -> bool:
    return isinstance(v, numbers.Integral) and not isinstance(v, bool)


def _text(path, v, allow_empty=False):
    if not isinstance(v, str) or (not allow_empty and not v):
        _fail(path, v, "a non-empty string" if not allow_empty else "a string")


def _non_negative(path, v, allow_nan=True):
    """A number >= 0 (NaN allowed where it means 'not computed')."""
    if not _is_number(v) or (math.isnan(v) and not allow_nan) or v < 0 or (not math.isnan(v) and math.isinf(v)):
        _fail(path, v, "a finite number >= 0" + (" or NaN (not computed)" if allow_nan else ""))


def _count(path, v, minimum=0):
    if not _is_int(v) or v < minimum:
        _fail(path, v, f"an int >= {minimum}")


def _nonlinearity(path, n):
    if not isinstance(n, NonLinearity):
        raise TypeError(f"{path} is a {type(n).__name__}; expected a fibnlr.report.NonLinearity")
    _text(f"{path}.name", n.name)
    _text(f"{path}.type", n.type)
    _text(f"{path}.group", n.group)
    _non_negative(f"{path}.npr", n.npr)
    _non_negative(f"{path}.nnpr", n.nnpr)
    _count(f"{path}.channels", n.channels)
    _count(f"{path}.dead", n.dead)
    if n.dead > n.channels:
        _fail(f"{path}.dead", n.dead, f"at most channels ({n.channels})")
    if n.preceding_channels is not None:
        _count(f"{path}.preceding_channels", n.preceding_channels, 1)
    if not isinstance(n.pruned, bool):
        _fail(f"{path}.pruned", n.pruned, "True or False")


def _run(path, run):
    if not isinstance(run, Run):
        raise TypeError(f"{path} is a {type(run).__name__}; expected a fibnlr.report.Run")
    _text(f"{path}.label", run.label)
    if not isinstance(run.nonlinearities, (list, tuple)) or not run.nonlinearities:
        _fail(f"{path}.nonlinearities", run.nonlinearities, "a non-empty list of NonLinearity (run fibnlr_prepare "
              "on a graph with non-linearities)")
    names = set()
    for i, n in enumerate(run.nonlinearities):
        _nonlinearity(f"{path}.nonlinearities[{i}]", n)
        if n.name in names:
            _fail(f"{path}.nonlinearities[{i}].name", n.name, "a name not used by another non-linearity of the run")
        names.add(n.name)
    if run.threshold is not None:
        _non_negative(f"{path}.threshold", run.threshold, allow_nan=False)
    if not isinstance(run.convergence, (list, tuple)):
        _fail(f"{path}.convergence", run.convergence, "a list of numbers (fibnlr_compute's return value)")
    for i, v in enumerate(run.convergence):
        _non_negative(f"{path}.convergence[{i}]", v, allow_nan=False)
    if not isinstance(run.params, dict) or not all(isinstance(k, str) for k in run.params):
        _fail(f"{path}.params", run.params, "a dict with string keys")


def _layers(path, layers):
    if layers is None:
        return
    if not isinstance(layers, (list, tuple)):
        _fail(path, layers, "None or a list of {'name', 'type', 'macs', 'params'} dicts")
    for i, layer in enumerate(layers):
        p = f"{path}[{i}]"
        if not isinstance(layer, dict):
            _fail(p, layer, "a dict with keys 'name', 'type', 'macs', 'params'")
        missing = [k for k in ("name", "type", "macs", "params") if k not in layer]
        if missing:
            _fail(p, layer, f"a dict with keys 'name', 'type', 'macs', 'params' (missing {', '.join(missing)})")
        _text(f"{p}.name", layer["name"])
        _text(f"{p}.type", layer["type"])
        _non_negative(f"{p}.macs", layer["macs"], allow_nan=False)
        _count(f"{p}.params", layer["params"])


def _metrics(metrics):
    if not isinstance(metrics, dict):
        _fail("metrics", metrics, "a dict stage -> {metric: number}")
    for stage, values in metrics.items():
        if not isinstance(stage, str) or not stage:
            _fail("metrics", stage, "stage keys that are non-empty strings, e.g. 'original', 'pruned'")
        if not isinstance(values, dict):
            _fail(f"metrics[{stage!r}]", values, "a dict metric name -> number")
        for key, v in values.items():
            if not isinstance(key, str) or not key:
                _fail(f"metrics[{stage!r}]", key, "metric names that are non-empty strings, e.g. 'top1'")
            if not _is_number(v) or math.isinf(v):
                _fail(f"metrics[{stage!r}][{key!r}]", v, "a finite number (or NaN when not measured)")


def _plan(plan):
    if plan is None:
        return
    if not isinstance(plan, (list, tuple)):
        _fail("plan", plan, "None or a list of candidate dicts")
    for i, c in enumerate(plan):
        p = f"plan[{i}]"
        if not isinstance(c, dict) or not all(isinstance(k, str) for k in c):
            _fail(p, c, f"a dict with string keys (known: {', '.join(PLAN_KEYS)})")
        if "picked" in c and not isinstance(c["picked"], bool):
            _fail(f"{p}.picked", c["picked"], "True or False")
        if "nodes" in c and not isinstance(c["nodes"], (str, list, tuple)):
            _fail(f"{p}.nodes", c["nodes"], "a node name or a list of node names")
        for key in ("npr", "nnpr", "gain", "damage"):
            if key in c and c[key] is not None and not _is_number(c[key]):
                _fail(f"{p}.{key}", c[key], "a number or None")


def validate(data: ReportInput) -> None:
    """Raises ValueError (TypeError for a wrong class) naming the first bad field of ``data``."""
    if not isinstance(data, ReportInput):
        raise TypeError(f"data is a {type(data).__name__}; expected a fibnlr.report.ReportInput")
    _text("model", data.model)
    if not isinstance(data.runs, (list, tuple)) or not data.runs:
        _fail("runs", data.runs, "a non-empty list of Run")
    labels = set()
    for i, run in enumerate(data.runs):
        _run(f"runs[{i}]", run)
        if run.label in labels:
            _fail(f"runs[{i}].label", run.label, "a label not used by another run")
        labels.add(run.label)
    _layers("layers_before", data.layers_before)
    _layers("layers_after", data.layers_after)
    _metrics(data.metrics)
    _plan(data.plan)
