"""``fibnlr simplify``, ``finetune`` and ``evaluate``: one step each on a model file."""
from __future__ import annotations

from .. import format_simplify_report
from .._core import recipes as R
from ..evaluation import evaluate
from ..finetuning import finetune
from ..onnx_io import save_onnx
from . import compare
from .model import input_dims, load_data, load_model


def layer_rows(costs):
    """fibnlr.report's layer table rows from SimplifyResult.before/after or layer_costs."""
    return [{"name": c.name, "type": c.type, "macs": float(c.macs), "params": int(c.params)}
            for c in costs if c.type in ("Conv", "Gemm", "MatMul")]


def simplify(graph, args, dims, out):
    """fibnlr.recipes.simplify with the command's --mode/--objective/--max-mac-growth; returns its result."""
    if args.objective not in ("macs", "latency", "layers"):
        raise ValueError(f"--objective is '{args.objective}'; expected one of: macs, latency, layers")
    with out.timed("simplify"):
        return R.simplify(graph, mode=args.mode, max_mac_growth=args.max_mac_growth, dims=[[1, *dims]],
                          objective=args.objective)


def simplify_summary(res):
    layers = layer_rows(res.before), layer_rows(res.after)
    macs = [sum(r["macs"] for r in rows) / 1e6 for rows in layers]
    return {"layers_before": len(layers[0]), "layers_after": len(layers[1]), "mmacs_before": macs[0],
            "mmacs_after": macs[1], "merges": len(res.merged), "batchnorm_folds": len(res.batchnorm_folds),
            "skipped": len(res.skipped)}


def cmd_simplify(args, out):
    graph = load_model(args.model)
    dims = input_dims(graph, shape=args.input_shape)
    res = simplify(graph, args, dims, out)
    out.result(format_simplify_report(res))
    save_onnx(graph, args.out)
    out.result(f"wrote {args.out}")
    out.finish({"command": "simplify", "model": args.model, "out": args.out, **simplify_summary(res),
                "layers_before": layer_rows(res.before), "layers_after": layer_rows(res.after)})
    return 0


def check_epochs(epochs, flag):
    if epochs < 0:
        raise ValueError(f"{flag} is {epochs}, expected >= 0")
    return epochs


def cmd_finetune(args, out):
    if check_epochs(args.epochs, "--epochs") == 0:
        raise ValueError("--epochs is 0, expected >= 1")
    graph = load_model(args.model)
    x, y = load_data(args.train, graph, args, "--train")
    teacher = load_model(args.teacher) if args.teacher else None
    if teacher is None and y is None:
        raise ValueError(f"--train {args.train} has no labels: give labels or a --teacher to distil from")
    data = (x, y) if y is not None else x
    out.step(f"fibnlr finetune: {args.model} on {len(x)} images, {args.epochs} epochs"
             + (f", distilling from {args.teacher}" if teacher is not None else ""))
    with out.timed("finetune"):
        losses = finetune(graph, data, epochs=args.epochs, lr=args.lr, teacher=teacher,
                          batch_size=args.batch_size, progress=out.progress)
    out.result("loss per epoch: " + ", ".join(f"{v:.4f}" for v in losses))
    save_onnx(graph, args.out)
    out.result(f"wrote {args.out}")
    out.finish({"command": "finetune", "model": args.model, "out": args.out, "losses": list(losses)})
    return 0


def cmd_evaluate(args, out):
    graph = load_model(args.model)
    x, y = load_data(args.eval, graph, args, "--eval")
    if y is None:
        raise ValueError(f"--eval {args.eval} has no labels; give a .npz with 'y' or a folder of class folders")
    with out.timed("evaluate"):
        res = evaluate(graph, (x, y), batch_size=args.batch_size, progress=out.progress)
    doc = {"command": "evaluate", "model": args.model, "top1": 100 * res["top1"], "top5": 100 * res["top5"],
           "images": res["images"]}
    out.result(f"{args.model}: top-1 {doc['top1']:.2f} %, top-5 {doc['top5']:.2f} % on {res['images']} images")
    if args.reference:
        ref = load_model(args.reference)
        change = compare.change(compare.scores(ref, x, args.batch_size), compare.scores(graph, x, args.batch_size))
        doc["reference"] = {"model": args.reference, **change}
        out.result(f"against {args.reference}: top-1 agreement {change['top1_agreement']:.2f} %, "
                   f"max logit change {change['max_logit_change']:.3g}")
    out.finish(doc)
    return 0
