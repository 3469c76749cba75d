"""``fibnlr run``: measure, prune, simplify, fine-tune and evaluate in one command."""
from __future__ import annotations

import time

from ..finetuning import finetune
from ..onnx_io import save_onnx
from . import compare, planning
from .prune import measure_and_prune, run_entry
from .params import load_params
from .sources import load_source
from .steps import check_epochs, layer_rows, simplify, simplify_summary

STAGES = ("original", "pruned", "simplified", "finetuned")


def _stage(graph, name, source, batch, reference, out, doc):
    """Metrics of one stage: top-1 on --eval, change against the original on the calibration images, latency."""
    x = source.calibration
    m = {}
    with out.timed(f"evaluate {name}"):
        if source.eval is not None:
            m["top1"] = compare.top1(graph, source.eval, batch, out.progress)
        if reference is not None:
            m.update(compare.change(reference, compare.scores(graph, x, batch)))
        m["latency_ms"] = compare.latency_ms(graph, list(x.shape[1:]))
    doc["metrics"][name] = m
    return m


def _table(doc, source):
    head = f"{'stage':<12}{'top-1 %':>9}{'agreement %':>13}{'max logit change':>18}{'latency ms':>12}"
    top1 = (f"top-1 on {len(source.eval[1])} {source.eval_what}" if source.eval is not None
            else "no top-1 (no labels: give --eval DATA)")
    lines = [f"each stage: {top1}; agreement with the original and logit change on the "
             f"{len(source.calibration)} calibration images; latency at batch 1 on fibnlr", head]
    for stage, m in doc["metrics"].items():
        def cell(key, width, fmt):
            return f"{format(m[key], fmt) if key in m else '-':>{width}}"
        lines.append(f"{stage:<12}{cell('top1', 9, '.2f')}{cell('top1_agreement', 13, '.2f')}"
                     f"{cell('max_logit_change', 18, '.3g')}{cell('latency_ms', 12, '.3f')}")
    return "\n".join(lines)


def cmd_run(args, out):
    start = time.perf_counter()
    check_epochs(args.finetune_epochs, "--finetune-epochs")
    planning.check_objective(args)
    source = load_source(args)
    params, values = load_params(args.params)
    if args.report:
        import fibnlr.report  # noqa: F401 - fail before the work when the report package is missing
    plan = None
    if planning.uses_plan(args):
        records, convergence, original, batch, plan = planning.plan_and_prune(source, args, out, params)
    else:
        records, convergence, original, batch = measure_and_prune(source, args, out, params)
    graph, x = source.graph, source.calibration
    doc = {"command": "run", "model": source.path, "out": source.out, "calibration_images": len(x),
           "runs": [run_entry(args.params or "default", records, convergence, params, values)],
           "pruned": [r["name"] for r in records if r["pruned"]], "metrics": {}}
    if plan is not None:  # the plan chose, not FIBNLR's threshold: no threshold line in the report
        doc["plan"] = plan.to_dict()
        doc["runs"][0].update(label=f"plan_depth ({plan.objective})", threshold=None)
    reference = compare.scores(original, x, batch)
    _stage(original, "original", source, batch, None, out, doc)
    m = _stage(graph, "pruned", source, batch, reference, out, doc)
    doc["change"] = {k: m[k] for k in ("top1_agreement", "max_logit_change", "images")}
    out.result(compare.change_line("change made by pruning", doc["change"]))

    res = simplify(graph, args, list(x.shape[1:]), out)
    doc["simplify"] = simplify_summary(res)
    doc["layers_before"], doc["layers_after"] = layer_rows(res.before), layer_rows(res.after)
    s = doc["simplify"]
    out.result(f"simplify ({args.mode}, objective {args.objective}): {s['layers_before']} -> {s['layers_after']} "
               f"Conv/Gemm layers, {s['mmacs_before']:.3f} -> {s['mmacs_after']:.3f} MMACs per image, "
               f"{s['merges']} merges, {s['batchnorm_folds']} BatchNorm folded")
    _stage(graph, "simplified", source, batch, reference, out, doc)

    if args.finetune_epochs > 0:
        train = source.train if source.train is not None else (x, source.calibration_y)
        data = train if train[1] is not None else train[0]
        out.step(f"fine-tuning {args.finetune_epochs} epoch(s) on {len(train[0])} images, distilling from the "
                 f"unpruned model" + (" with their labels" if train[1] is not None else ""))
        with out.timed("finetune"):
            losses = finetune(graph, data, epochs=args.finetune_epochs, lr=args.lr, teacher=original,
                              batch_size=args.batch_size, progress=out.progress)
        doc["finetune"] = {"epochs": args.finetune_epochs, "images": len(train[0]), "losses": list(losses)}
        out.result(f"fine-tuned {args.finetune_epochs} epoch(s) in {out.timings['finetune']:.1f} s, loss per epoch "
                   + ", ".join(f"{v:.4f}" for v in losses))
        _stage(graph, "finetuned", source, batch, reference, out, doc)
    out.result(_table(doc, source))

    save_onnx(graph, source.out)
    out.result(f"wrote {source.out}")
    err = compare.export_check(graph, source.out, x[:batch])
    doc["export_check_max_abs_difference"] = err
    out.result(compare.export_line(source.out, err))
    if args.report:
        from .report import write
        with out.timed("report"):
            paths = write(args.report, doc)
        doc["report"] = paths
        out.result(f"report: {paths.get('html')}")
    out.timings["total"] = round(time.perf_counter() - start, 3)
    out.result("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in out.timings.items()))
    out.finish(doc)
    return 0
