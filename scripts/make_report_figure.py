"""Writes the README's report figure: the FIBNLR report of the shipped demo ResNet.

    python scripts/make_report_figure.py OUT_DIR [--report-dir DIR] [--model resnet|mobilenetv2] [--calibration 640]

Runs fibnlr_prepare, fibnlr_compute and fibnlr_prune on the demo model's
calibration images with the default parameters and with the accuracy
table's "loose-avg-0.5" (Loose, Average normalisation, threshold 0.5), side by side, simplifies the default run's graph (exact,
MACs before and after), measures top-1 on the shipped test subset before and
after, writes the whole report into a temporary folder (or --report-dir) and
copies its NNPR figure to OUT_DIR/report_nnpr.png (the README's
docs/images/report_nnpr.png: ``python scripts/make_report_figure.py docs/images``).
"""
import argparse
import os
import shutil
import tempfile
import time

import fibnlr
from fibnlr import demo_data
from fibnlr.report import ReportInput, Run, layer_table, nonlinearities, write_report
from fibnlr.report.data import parameters_dict

BATCH = 64


def _run(model_name, calib, params, label):
    """One parameter set on a fresh copy of the model: (Run, pruned graph)."""
    graph = fibnlr.load_onnx(demo_data.model_path(model_name))
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[BATCH] + list(calib.shape[1:])])
    fibnlr.fibnlr_prepare(graph, params)
    convergence = fibnlr.fibnlr_compute(graph, [calib[i:i + BATCH] for i in range(0, len(calib), BATCH)], params)
    pruned = fibnlr.fibnlr_prune(graph, params)
    threshold = params.ablation_threshold if params.ablation_criteria != fibnlr.AblationCriteria.NONE else None
    return Run(label, nonlinearities(graph, pruned), threshold=threshold, convergence=list(convergence),
               params=parameters_dict(params)), graph


def _latency_ms(graph, x, repeats=7):
    graph.forward(x)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        graph.forward(x)
        times.append(time.perf_counter() - t)
    return 1e3 * sorted(times)[len(times) // 2]


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", help="where report_nnpr.png goes")
    ap.add_argument("--report-dir", help="keep the whole report (HTML, Markdown, every figure) here")
    ap.add_argument("--model", default="resnet", choices=["resnet", "mobilenetv2"])
    ap.add_argument("--calibration", type=int, default=640, help="calibration images (default 640)")
    args = ap.parse_args(argv)
    calib_x, _, test_x, test_y = demo_data.load_subset()
    calib = demo_data.to_input(calib_x[:args.calibration])
    test = (demo_data.to_input(test_x), test_y)

    default = fibnlr.fibnlr_Parameters()
    loose = fibnlr.fibnlr_Parameters()
    loose.method = fibnlr.Method.LOOSE
    loose.normalization = fibnlr.NormalizationMethod.AVERAGE
    loose.ablation_threshold = 0.5
    run_default, graph = _run(args.model, calib, default, "default")
    run_loose, _ = _run(args.model, calib, loose, "loose-avg-0.5")

    original = fibnlr.load_onnx(demo_data.model_path(args.model))
    dims = [[1] + list(calib.shape[1:])]
    original.compile("cpu", datatype=fibnlr.dtype.float32, dims=dims)
    one = calib[:1]
    metrics = {"original": {"top1": 100 * fibnlr.evaluate(original, test, progress=False)["top1"],
                            "latency_ms": _latency_ms(original, one)}}
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=dims)
    before = layer_table(graph)
    metrics["pruned"] = {"top1": 100 * fibnlr.evaluate(graph, test, progress=False)["top1"],
                         "latency_ms": _latency_ms(graph, one)}
    fibnlr.recipes.simplify(graph, mode="exact", dims=dims)
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=dims)
    after = layer_table(graph)
    metrics["simplified"] = {"top1": 100 * fibnlr.evaluate(graph, test, progress=False)["top1"],
                             "latency_ms": _latency_ms(graph, one)}

    data = ReportInput(f"demo {args.model}", [run_default, run_loose], layers_before=before, layers_after=after,
                       metrics=metrics)
    os.makedirs(args.out_dir, exist_ok=True)
    figure = os.path.join(args.out_dir, "report_nnpr.png")
    with tempfile.TemporaryDirectory() as tmp:
        paths = write_report(args.report_dir or tmp, data)
        shutil.copyfile(paths["figures"][0], figure)  # the NNPR figure comes first
    print(f"wrote {figure}" + (f" and the report {paths['html']}" if args.report_dir else ""))


if __name__ == "__main__":
    main()
