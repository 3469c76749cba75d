"""``fibnlr prune``: measure and prune; what pruning changed; the pruned model written and checked."""
from __future__ import annotations

from .._core import recipes as R
from ..onnx_io import save_onnx
from . import compare
from .measuring import format_table, run_recipe
from .params import load_params, params_to_dict, threshold
from .sources import load_source


def measure_and_prune(source, args, out, params):
    """Prunes source.graph in place; returns (records, convergence, the unpruned clone, batch)."""
    x = source.calibration
    batch = min(args.batch_size, len(x)) if args.batch_size >= 1 else args.batch_size
    original = source.graph.clone()
    out.step(f"fibnlr {args.command}: {source.label}; batches of {batch}")
    out.step(str(params))
    with out.timed("measure"):
        records, convergence = run_recipe(source.graph, x, params, args.batch_size, out.progress)
    original.compile(backend="cpu", dims=[[batch, *x.shape[1:]]])
    out.result(format_table(records))
    pruned = sum(r["pruned"] for r in records)
    out.result(f"{pruned} of {len(records)} non-linearities pruned "
               f"(measured on {len(x)} images in {out.timings['measure']:.1f} s, {len(convergence)} batches)")
    return records, convergence, original, batch


def run_entry(label, records, convergence, params, values):
    """One run of the JSON result: the fields of fibnlr.report.Run."""
    return {"label": label, "nonlinearities": records, "threshold": threshold(params), "convergence": convergence,
            "params": params_to_dict(params), "params_given": values}


def cmd_prune(args, out):
    source = load_source(args)
    params, values = load_params(args.params)
    records, convergence, original, batch = measure_and_prune(source, args, out, params)
    graph, x = source.graph, source.calibration
    doc = {"command": "prune", "model": source.path, "out": source.out, "calibration_images": len(x),
           "runs": [run_entry(args.params or "default", records, convergence, params, values)],
           "pruned": [r["name"] for r in records if r["pruned"]], "metrics": {}}
    with out.timed("compare"):
        change = compare.change(compare.scores(original, x, batch), compare.scores(graph, x, batch))
    doc["change"] = change
    out.result(compare.change_line("change made by pruning", change))
    labelled = source.eval
    if labelled is not None:
        try:
            before = compare.top1(original, labelled, batch, out.progress)
        except ValueError as e:  # prune always took a 'y' it did not read: not class indices is no error here
            out.result(f"no top-1: the labels of {args.calibration} are not this model's classes ({e})")
            labelled = None
    if labelled is not None:
        after = compare.top1(graph, labelled, batch, out.progress)
        doc["metrics"] = {"original": {"top1": before}, "pruned": {"top1": after}}
        if args.demo:
            merged = graph.clone()
            res = R.simplify(merged, mode="exact", dims=[[1, *x.shape[1:]]])
            layers = sum(1 for n in merged.get_nodes() if n.type() == "Conv")
            simplified = compare.top1(merged, labelled, batch, out.progress)
            doc["metrics"]["simplified"] = {"top1": simplified}
            out.result(f"top-1 on {len(labelled[1])} Fashion-MNIST test images: {before:.2f} % before pruning, "
                       f"{after:.2f} % after pruning, {simplified:.2f} % after an exact simplify "
                       f"({len(res.merged)} merges, {layers} Conv layers left)")
        else:
            out.result(f"top-1 on {len(labelled[1])} {source.eval_what}: {before:.2f} % before pruning, "
                       f"{after:.2f} % after")
    save_onnx(graph, source.out)
    out.result(f"wrote {source.out}")
    err = compare.export_check(graph, source.out, x[:batch])
    doc["export_check_max_abs_difference"] = err
    out.result(compare.export_line(source.out, err))
    out.finish(doc)
    return 0
