"""Latency of original, pruned and pruned-then-merged models, on fibnlr's
backend and on onnxruntime in the same run, with MACs and layer counts.

    python benchmarks/bench_merge.py [--models mobilenet_v2 resnet18_cifar mobilenet_v2_all_pruned] [--batch 4] [--threads 1]

Models come from the test zoo (unit_test/python/models, built in code,
randomised BatchNorm). "pruned" runs the FIBNLR recipe (3 random calibration
batches of 8, Identity method, --threshold on NNPR, ReLU6 measured on
MobileNetV2); "merged" runs fibnlr.recipes.simplify on the pruned model. The
deviation column is max |y - y_pruned| / max |y_pruned|, the next one max |y - y_pruned|.

"mobilenet_v2_all_pruned" is MobileNetV2 with every ReLU6 pruned: each
inverted residual block is then linear, and exact merging through the biases
(the merged conv carries the block's f(0) as a bias map, docs/merging.md)
makes expand 1x1 -> depthwise 3x3 -> project 1x1 (+ skip) one dense conv. Its
variants compare the merge objectives: MACs, and latency timed on fibnlr and
on onnxruntime.
"""
from __future__ import annotations

import argparse
import collections
import math
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "unit_test", "python"))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402

import fibnlr  # noqa: E402
from fibnlr.recipes import layer_costs, simplify  # noqa: E402
from merge_chains import PRUNE_TYPES, prune_with_fibnlr  # noqa: E402
from models.export import export_zoo_model  # noqa: E402

# (label, mode, max_mac_growth, simplify options) of the merged variants per model
VARIANTS = {
    "mobilenet_v2": [("merged exact", "exact", 1.0, {}), ("merged approx", "approximate", 1.0, {})],
    "resnet18_cifar": [("merged exact", "exact", 1.0, {}), ("merged approx", "approximate", 1.0, {}),
                       ("merged approx, fewest layers", "approximate", math.inf, {"objective": "layers"})],
    "mobilenet_v2_all_pruned": [
        ("merged exact (macs)", "exact", 1.0, {}),
        ("merged exact (latency, fibnlr)", "exact", math.inf, {"objective": "latency"}),
        ("merged exact (latency, onnxruntime)", "exact", math.inf,
         {"objective": "latency", "latency_runtime": "onnxruntime"}),
    ],
}
# zoo model and FIBNLR threshold per benchmark model (None: --threshold)
ZOO = {"mobilenet_v2": ("mobilenet_v2", None), "resnet18_cifar": ("resnet18_cifar", None),
       "mobilenet_v2_all_pruned": ("mobilenet_v2", 1e9)}  # every ReLU6 below the threshold


def prepare(g, x, threads):
    """Compiles `g` and builds its onnxruntime session; returns (run ours, run ort, outputs)."""
    g.compile(dims=[list(x.shape)])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(fibnlr.to_onnx(g).SerializeToString(), opts, providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: x}
    ours = lambda: g.forward(x)
    theirs = lambda: sess.run(None, feed)
    return ours, theirs, g.forward(x)[0].copy(), theirs()[0]


def best_time(fn, runs):
    best = math.inf
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def measure_all(runners, rounds):
    """Minimum time per variant over `rounds` rounds, variants interleaved within a
    round so that load from other processes hits every variant alike; each runtime
    gets a pause before it runs."""
    ours = [math.inf] * len(runners)
    theirs = [math.inf] * len(runners)
    for _ in range(rounds):
        for i, (run_ours, run_ort) in enumerate(runners):
            time.sleep(0.2)
            ours[i] = min(ours[i], best_time(run_ours, 1))
            time.sleep(0.2)
            theirs[i] = min(theirs[i], best_time(run_ort, 10))
    return ours, theirs


def summary(g, x):
    costs = layer_costs(g, dims=[list(x.shape)])
    return {
        "layers": len(costs),
        "convs": sum(c.type == "Conv" for c in costs),
        "mmacs": sum(c.macs for c in costs) / 1e6,
        "params": sum(c.params for c in costs),
    }


def reason_counts(skipped):
    def short(reason):
        text = reason.split("': ", 1)[-1] if reason.startswith("'") else reason
        return text.split(" (")[0] if text.startswith("MAC growth") else text
    return collections.Counter(short(r) for _, r in skipped)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=list(VARIANTS), choices=list(VARIANTS))
    ap.add_argument("--batch", type=int, default=4)
    ap.add_argument("--threshold", type=float, default=0.25, help="FIBNLR ablation threshold")
    ap.add_argument("--rounds", type=int, default=5, help="interleaved timing rounds (the minimum is kept)")
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads (fibnlr runs on one)")
    args = ap.parse_args(argv)

    rows, reasons, merges = [], {}, {}
    for name in args.models:
        zoo, threshold = ZOO[name]
        threshold = args.threshold if threshold is None else threshold
        proto, x1 = export_zoo_model(zoo, opset=13, fold_bn=False)
        x = np.repeat(x1, args.batch, axis=0) + np.random.default_rng(0).normal(
            0, 0.1, (args.batch,) + x1.shape[1:]).astype(np.float32)
        original = fibnlr.load_onnx(proto)
        variants = [("original", original.clone())]
        pruned = original.clone()
        n_pruned, n_acts = prune_with_fibnlr(pruned, x.shape, PRUNE_TYPES[zoo], threshold)
        variants.append((f"pruned ({n_pruned}/{n_acts} act.)", pruned))
        for label, mode, growth, options in VARIANTS.get(name, []):
            g = pruned.clone()
            t0 = time.perf_counter()
            res = simplify(g, mode=mode, max_mac_growth=growth, dims=[list(x.shape)], **options)
            print(f"  {name} / {label}: simplify took {time.perf_counter() - t0:.1f} s", file=sys.stderr)
            variants.append((label, g))
            reasons[(name, label)] = reason_counts(res.skipped)
            merges[(name, label)] = (len(res.merged), len(res.residual_folds),
                                     collections.Counter(tuple(n.get_parameter("W").shape[2:])
                                                         for n in g.get_nodes_by_type("Conv")))
        prepared = [prepare(g, x, args.threads) for _, g in variants]
        for _, (run_ours, run_ort, _, _) in zip(variants, prepared):
            run_ours()  # warm-up
            run_ort()
        ours_t, ort_t = measure_all([(p[0], p[1]) for p in prepared], args.rounds)
        ref = prepared[1][2]  # the pruned model's output
        for i, ((label, g), (_, _, y, y_ort)) in enumerate(zip(variants, prepared)):
            dev = float(np.abs(y - ref).max() / np.abs(ref).max()) if i >= 1 else float("nan")
            abs_dev = float(np.abs(y - ref).max()) if i >= 1 else float("nan")
            ort_dev = float(np.abs(y_ort - y).max() / np.abs(y).max())
            rows.append((name, label, summary(g, x), ours_t[i], ort_t[i], dev, abs_dev, ort_dev))
        print(f"  measured {name}", file=sys.stderr)

    print(f"\nbatch {args.batch}, fibnlr 1 thread, onnxruntime {args.threads} thread(s); times are the minimum over {args.rounds} interleaved rounds, ms per batch\n")
    print("| model | variant | layers | convs | MMACs/img | params | fibnlr ms | ort ms | fibnlr/ort | dev vs pruned "
          "| max abs diff | ort vs fibnlr |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, label, s, ours, onnx_rt, dev, abs_dev, ort_dev in rows:
        print(f"| {name} | {label} | {s['layers']} | {s['convs']} | {s['mmacs']:.2f} | {s['params']} | "
              f"{ours * 1e3:.1f} | {onnx_rt * 1e3:.2f} | {ours / onnx_rt:.1f} | "
              f"{'-' if math.isnan(dev) else f'{dev:.2g}'} | {'-' if math.isnan(abs_dev) else f'{abs_dev:.2g}'} | "
              f"{ort_dev:.2g} |")
    print("\nspeed-up over the pruned model (fibnlr / onnxruntime):")
    pruned_t = {}
    for name, label, s, ours, onnx_rt, *_ in rows:
        if label.startswith("pruned"):
            pruned_t[name] = (ours, onnx_rt)
        elif name in pruned_t:
            po, pr = pruned_t[name]
            print(f"  {name} / {label}: {po / ours:.2f}x / {pr / onnx_rt:.2f}x")
    for (name, label), (n_merged, n_folds, kernels) in merges.items():
        print(f"\n{name} / {label}: {n_merged} merges, {n_folds} residual folds; conv kernels now "
              + ", ".join(f"{'x'.join(map(str, k))}: {c}" for k, c in sorted(kernels.items())))
        for reason, count in reasons[(name, label)].most_common():
            print(f"  skipped x{count}: {reason}")


if __name__ == "__main__":
    main()
