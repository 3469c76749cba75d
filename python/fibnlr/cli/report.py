"""``fibnlr report`` and ``run --report``: a fibnlr.report.ReportInput from a JSON result, then write_report.

The JSON is what ``run --json-out`` and ``prune --json-out`` write: "model",
"runs" (each with the fields of fibnlr.report.Run, its "nonlinearities" with
those of NonLinearity), optional "layers_before"/"layers_after" and "metrics"
(stage -> values). Without --from-json the command measures again: one run
per --params file, each on a fresh copy of the model.
"""
from __future__ import annotations

import dataclasses
import json
import os

from .measuring import run_recipe
from .params import load_params
from .prune import run_entry
from .sources import load_source

_REPORT_METRICS = ("top1", "latency_ms")  # the per-stage values the report shows


def _only(cls, values):
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in values.items() if k in names})


def report_input(doc):
    """fibnlr.report.ReportInput from a JSON result ``doc``; ValueError naming what is missing."""
    from ..report import NonLinearity, ReportInput, Run
    if not isinstance(doc, dict) or not isinstance(doc.get("runs"), list) or not doc["runs"]:
        raise ValueError("the JSON result has no 'runs': expected the output of run/prune --json-out")
    runs = []
    for r in doc["runs"]:
        nls = [_only(NonLinearity, {**n, "npr": _nan(n.get("npr")), "nnpr": _nan(n.get("nnpr"))})
               for n in r.get("nonlinearities", [])]
        runs.append(_only(Run, {**r, "nonlinearities": nls, "convergence": r.get("convergence") or []}))
    metrics = {stage: {k: v for k, v in m.items() if k in _REPORT_METRICS}
               for stage, m in (doc.get("metrics") or {}).items()}
    plan = (doc.get("plan") or {}).get("candidates")
    return ReportInput(model=doc.get("model", "?"), runs=runs, layers_before=doc.get("layers_before"),
                       layers_after=doc.get("layers_after"), metrics=metrics, plan=plan or None)


def _nan(v):
    return float("nan") if v is None else float(v)


def write(out_dir, doc):
    """write_report(out_dir, report_input(doc)): {"html", "markdown", "figures"}."""
    from ..report import write_report
    os.makedirs(out_dir, exist_ok=True)
    return write_report(out_dir, report_input(doc))


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        raise ValueError(f"JSON result {path} does not exist") from None
    except json.JSONDecodeError as e:
        raise ValueError(f"{path} is not valid JSON: {e}") from None


def _measure(args, out):
    """The JSON result of measuring once per --params file, each on a clone of the model."""
    source = load_source(args, need_out=False)
    runs = []
    for path in args.params or [None]:
        params, values = load_params(path)
        graph = source.graph.clone()
        out.step(f"measuring {source.label} with {path or 'the default parameters'}")
        records, convergence = run_recipe(graph, source.calibration, params, args.batch_size, out.progress)
        runs.append(run_entry(os.path.basename(path) if path else "default", records, convergence, params, values))
    return {"command": "report", "model": source.path, "runs": runs}


def cmd_report(args, out):
    import fibnlr.report  # noqa: F401 - the report package (matplotlib) before any work
    if args.from_json and (args.model or args.demo or args.params):
        raise ValueError("report takes either --from-json RESULT.json or a model to measure, not both")
    doc = _read_json(args.from_json) if args.from_json else _measure(args, out)
    paths = write(args.out, doc)
    out.result(f"wrote {paths.get('html')} and {paths.get('markdown')} ({len(paths.get('figures', []))} figures)")
    out.finish({"command": "report", "model": doc.get("model"), "report": paths})
    return 0
