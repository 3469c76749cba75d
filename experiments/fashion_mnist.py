"""The accuracy table on real data: FIBNLR on two Fashion-MNIST models, merged, fine-tuned, timed.

    python experiments/fashion_mnist.py --readme README.md        # the table in the README (~30 min on 2 busy cores)
    python experiments/fashion_mnist.py --data demo --quick       # seconds: the shipped subset, tiny sizes

For each model (the ResNet-style and MobileNetV2-style networks shipped in
``fibnlr.demo_data``, trained by ``experiments/train_demo_models.py`` on the
60,000 training images; ``--retrain`` trains them again with that script's
code and seeds) and each recipe configuration of ``CONFIGS``:

1. FIBNLR (prepare, compute, prune) on ``--calib`` calibration images (640
   training images chosen by a fixed seed) over the model's ReLU and Clip
   (ReLU6) nodes;
2. ``simplify`` in each of ``--modes``: ``exact`` and, separately,
   ``approximate`` (which may let a merge grow the MACs by
   ``--approx-max-mac-growth``) by default; ``exact-latency`` (exact, merge
   plan by timed segments: ``objective="latency"``) and ``none`` (pruned only)
   on request; runs of other modes of the same model join its rows in
   ``--combine``;
3. ``--finetune-epochs`` (default 1) of fine-tuning of each simplified graph with distillation from
   the unpruned model (``fibnlr.finetune``, teacher = original, labels mixed in
   with kd_weight 0.5) on ``--finetune-images`` training images;
4. top-1 on the test set (10,000 images) before, after pruning, after merging,
   after fine-tuning; non-linearities removed / total; Conv layers; MMACs per
   image; latency at batch 1 and 64 on fibnlr and onnxruntime (same process,
   same thread count, median of ``--reps`` runs after a warm-up).

``--readme PATH`` replaces the text between the ``fashion-mnist-table``
markers of PATH with the table and the command that produced it, so the table
can simply be rerun (e.g. once exact mode merges more of MobileNetV2).
``--json PATH`` saves the results; ``--combine A.json B.json --readme
README.md`` writes one table from runs made separately (e.g. one process per
model, side by side on two cores).
``--data demo`` uses the shipped subset instead of Debian's full dataset
(``apt-get install dataset-fashion-mnist``).
"""
import argparse
import os
import platform
import sys
import tempfile
import time

import numpy as np

import fibnlr
from fibnlr import demo_data
from fibnlr import recipes as R
from fibnlr.depth_plan import apply_plan, plan_depth
from fibnlr.depth_plan.linearise import linearised

HERE = os.path.dirname(os.path.abspath(__file__))
START, END = "<!-- fashion-mnist-table:start -->", "<!-- fashion-mnist-table:end -->"
DIMS = [1, 1, 28, 28]
NODE_TYPES = ["ReLU", "ReLU6"]  # a Clip(0, 6) imports as ReLU6


def _params(**fields):
    p = R.fibnlr_Parameters()
    p.node_types = NODE_TYPES
    for key, value in fields.items():
        setattr(p, key, value)
    p.validate()
    return p


# name -> (parameters, what it does): three selection rules (they may pick the same nodes on a given model).
CONFIGS = {
    "default": (lambda: _params(),
                "upstream defaults: Strict, Sum normalisation, groups by feature-map size, threshold 0.25"),
    "loose-avg-0.5": (lambda: _params(method=R.Method.LOOSE, normalization=R.NormalizationMethod.AVERAGE,
                                      ablation_threshold=0.5),
                      "Loose NPR, Average normalisation, threshold 0.5"),
    "1-least-per-group": (lambda: _params(ablation_criteria=R.AblationCriteria.X_LEAST_PER_GROUP, ablation_x_least=1,
                                          ablation_threshold=1e9),
                          "the most linear non-linearity of each feature-map size (x_least 1)"),
}

# merge column -> simplify's arguments (None: pruned only, no simplify), for --modes.
MODES = {
    "none": None,
    "exact": {"mode": "exact"},
    "exact-latency": {"mode": "exact", "objective": "latency"},
    "approximate": {"mode": "approximate"},
}

# name -> (plan_depth arguments, what it does): FIBNLR's measure ranks, measured gain and damage choose
# (fibnlr.depth_plan); applied with apply_plan, so in exact mode only. max_divergence comes from
# --plan-max-divergence.
PLANS = {
    "plan-latency": ({"objective": "latency"}, "plan_depth, objective latency (timed merge segments)"),
    "plan-macs": ({"objective": "macs"}, "plan_depth, objective MACs"),
    "plan-nonlinear-ops-0.5": ({"objective": "nonlinear_ops", "target": 0.5},
                               "plan_depth, objective non-linear evaluations, target: half of them left"),
    "plan-latency-ort-1.3": ({"objective": "latency", "target": 1.3, "latency_runtime": "onnxruntime"},
                             "plan_depth, objective latency timed on onnxruntime, target 1.3x"),
}


def load_data(source):
    """(calib_pool_x, train_x, train_y, test_x, test_y), uint8 images, int64 labels."""
    if source == "demo":
        calib_x, calib_y, test_x, test_y = demo_data.load_subset()
        return calib_x, calib_x, calib_y, test_x, test_y
    sys.path.insert(0, HERE)
    from train_demo_models import load_fashion_mnist
    train_x, train_y, test_x, test_y = load_fashion_mnist(source)
    return train_x, train_x, train_y.astype(np.int64), test_x, test_y.astype(np.int64)


def top1(graph, x, y):
    return 100.0 * fibnlr.evaluate(graph, (x, y), batch_size=256, progress=False)["top1"]


def latency_ms(graph, onnx_path, batch, reps, threads):
    """Median ms per forward of a [batch, 1, 28, 28] input: (fibnlr, onnxruntime)."""
    import onnxruntime as ort
    x = np.random.default_rng(0).standard_normal((batch, *DIMS[1:])).astype(np.float32)
    g = graph.clone()
    g.compile(dims=[[batch, *DIMS[1:]]])
    opts = ort.SessionOptions()
    opts.intra_op_num_threads, opts.inter_op_num_threads = threads, 1
    sess = ort.InferenceSession(onnx_path, opts, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    runs = {"fibnlr": lambda: g.forward(x), "onnxruntime": lambda: sess.run(None, {name: x})}
    inner = max(1, 64 // batch)  # batch 1: time 64 forwards at once, the timer's resolution is not the limit
    times = {k: [] for k in runs}
    for k in runs:
        runs[k]()  # warm-up
    for _ in range(reps):  # interleaved, so both see the same machine load
        for k, run in runs.items():
            t = time.perf_counter()
            for _ in range(inner):
                run()
            times[k].append((time.perf_counter() - t) * 1e3 / inner)
    return float(np.median(times["fibnlr"])), float(np.median(times["onnxruntime"]))


def describe(graph, tmpdir, tag, reps, threads):
    """Conv layers, MMACs per image and latencies of ``graph`` (written to ONNX for onnxruntime)."""
    path = os.path.join(tmpdir, f"{tag}.onnx")
    fibnlr.save_onnx(graph, path)
    costs = R.layer_costs(graph, dims=[DIMS])
    lat = {b: latency_ms(graph, path, b, reps, threads) for b in (1, 64)}
    return {"convs": fibnlr.count_layers(graph, ["Conv"]), "mmacs": sum(c.macs for c in costs) / 1e6, "lat": lat}


def count_nonlinearities(graph):
    return fibnlr.count_layers(graph, NODE_TYPES)


def run_config(name, teacher, calib, ft, test, args, tmpdir, log):
    """Prune, simplify (both modes), fine-tune: one row per mode."""
    params = CONFIGS[name][0]()
    student = teacher.clone()
    student.compile(dims=[[64, *DIMS[1:]]])
    batches = [calib[i:i + 64] for i in range(0, len(calib), 64)]
    pruned = R.fibnlr(student, batches, params)
    acc_pruned = top1(student, *test)
    log(f"  {name}: pruned {len(pruned)} ({', '.join(sorted(n.name() for n in pruned))}); top-1 {acc_pruned:.2f}")
    rows = []
    for mode in args.modes.split(","):
        g = student.clone()
        kwargs = MODES[mode]
        res = None
        if kwargs is not None:
            growth = args.max_mac_growth if kwargs["mode"] == "exact" else args.approx_max_mac_growth
            res = R.simplify(g, max_mac_growth=growth, dims=[DIMS], **kwargs)
        acc_merged = top1(g, *test)
        t = time.time()
        fibnlr.finetune(g, ft, epochs=args.finetune_epochs, lr=args.lr, teacher=teacher, temperature=4.0, batch_size=64,
                        progress=False)
        acc_ft = top1(g, *test)
        d = describe(g, tmpdir, f"{name}-{mode}", args.reps, args.threads)
        log(f"    {mode}: {len(res.merged) if res else 0} merges, {len(res.residual_folds) if res else 0} residual folds; "
            f"merged {acc_merged:.2f}, "
            f"fine-tuned {acc_ft:.2f} ({time.time() - t:.0f} s); {d['convs']} convs, {d['mmacs']:.2f} MMACs, "
            f"latency {d['lat']}")
        rows.append({"config": name, "mode": mode, "removed": len(pruned), "pruned": acc_pruned,
                     "merged": acc_merged, "finetuned": acc_ft, **d})
    return rows


def run_plan(name, teacher, calib, ft, test, args, tmpdir, log):
    """plan_depth, apply_plan (prune + exact simplify), fine-tune: one row."""
    kwargs = dict(PLANS[name][0], max_divergence=args.plan_max_divergence, params=_params(), progress=False)
    t = time.time()
    plan = plan_depth(teacher, calib, **kwargs)
    log(f"  {name}: {plan!r} in {time.time() - t:.0f} s; picked {', '.join(plan.picked)}"
        + (f"; {plan.message}" if plan.message else ""))
    acc_pruned = top1(linearised(teacher, plan.picked), *test)
    g = teacher.clone()
    res = apply_plan(g, plan)
    acc_merged = top1(g, *test)
    fibnlr.finetune(g, ft, epochs=args.finetune_epochs, lr=args.lr, teacher=teacher, temperature=4.0, batch_size=64, progress=False)
    acc_ft = top1(g, *test)
    d = describe(g, tmpdir, name, args.reps, args.threads)
    log(f"    exact: {len(res.merged)} merges; pruned {acc_pruned:.2f}, merged {acc_merged:.2f}, fine-tuned "
        f"{acc_ft:.2f}; {d['convs']} convs, {d['mmacs']:.2f} MMACs, latency {d['lat']}")
    return [{"config": name, "mode": "exact", "removed": len(plan.picked), "pruned": acc_pruned,
             "merged": acc_merged, "finetuned": acc_ft, "divergence": plan.divergence, "ratio": plan.ratio, **d}]


def format_table(results):
    head = ("| model | configuration | merge | non-linearities removed / total | Conv layers | MMACs "
            "| b1 fibnlr ms | b1 onnxrt ms | b64 fibnlr ms | b64 onnxrt ms "
            "| top-1 before | after pruning | after merging | after fine-tuning |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for model, r in results:
        base = r["original"]
        lat = base["lat"]
        lines.append(f"| {model} | original | - | 0 / {r['total']} | {base['convs']} | {base['mmacs']:.2f} "
                     f"| {lat[1][0]:.3f} | {lat[1][1]:.3f} | {lat[64][0]:.2f} | {lat[64][1]:.2f} "
                     f"| {r['top1']:.2f} | - | - | - |")
        for row in r["rows"]:
            lat = row["lat"]
            ft = f"{row['finetuned']:.2f}"
            if row["finetuned"] < r["top1"] - 1.0:
                ft += " (not within 1 point)"
            lines.append(f"| {model} | {row['config']} | {row['mode']} | {row['removed']} / {r['total']} "
                         f"| {row['convs']} | {row['mmacs']:.2f} | {lat[1][0]:.3f} | {lat[1][1]:.3f} "
                         f"| {lat[64][0]:.2f} | {lat[64][1]:.2f} | {r['top1']:.2f} | {row['pruned']:.2f} "
                         f"| {row['merged']:.2f} | {ft} |")
    return "\n".join(lines)


def format_text(results, runs, combined_by=None):
    """The table and, above it, the command(s) and settings of the run(s) that measured it."""
    lines = []
    for run in runs:
        lines.append(f"- `{run['command']}` ({run['date']}, {run['cpu']}, {run['threads']} threads, load average "
                     f"{run['load']:.1f} at the end; {run['calib']} calibration images, {run['finetune']} "
                     f"fine-tuning images × {run.get('epochs', 1)} epoch(s), Adam lr {run['lr']}, {run['test']} test images, max_mac_growth "
                     f"{run['growth'][0]} exact / {run['growth'][1]} approximate): "
                     f"{', '.join(run['models'])}")
    if combined_by:
        lines.append(f"- then `{combined_by}`")
    return "Produced by\n\n" + "\n".join(lines) + "\n\n" + format_table(results)


def write_readme(path, text):
    with open(path) as f:
        readme = f.read()
    if START not in readme or END not in readme:
        raise SystemExit(f"{path} has no {START} ... {END} markers")
    before, rest = readme.split(START, 1)
    after = rest.split(END, 1)[1]
    with open(path, "w") as f:
        f.write(before + START + "\n" + text + "\n" + END + after)


def _int_keys(r):
    """JSON turned the batch sizes of the latency dicts into strings."""
    for d in [r["original"]] + r["rows"]:
        d["lat"] = {int(k): v for k, v in d["lat"].items()}
    return r


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist",
                    help="directory of the Fashion-MNIST IDX files, or 'demo' for the shipped subset")
    ap.add_argument("--models", default=",".join(demo_data.MODELS))
    ap.add_argument("--configs", default=",".join([*CONFIGS, *PLANS]),
                    help=f"comma-separated, from: {', '.join([*CONFIGS, *PLANS])}")
    ap.add_argument("--modes", default="exact,approximate",
                    help=f"simplify modes per configuration, comma-separated, from: {', '.join(MODES)} "
                         "(none: pruned only; exact-latency: exact with objective='latency')")
    ap.add_argument("--plan-max-divergence", type=float, default=20.0,
                    help="plan_depth's budget: mean KL (nats) on held-out calibration images, before fine-tuning "
                         "(large: the issue's targets are after fine-tuning, so the objective's target stops the plan)")
    ap.add_argument("--calib", type=int, default=640, help="calibration images for FIBNLR")
    ap.add_argument("--finetune-images", type=int, default=60000,
                    help="training images in the fine-tuning epoch (60000: the whole training set, one real epoch)")
    ap.add_argument("--finetune-epochs", type=int, default=1, help="fine-tuning epochs over those images")
    ap.add_argument("--test-images", type=int, default=0, help="test images (0 = all)")
    ap.add_argument("--lr", type=float, default=5e-4, help="Adam learning rate of the fine-tuning")
    ap.add_argument("--max-mac-growth", type=float, default=1.0, help="simplify's limit in exact mode")
    ap.add_argument("--approx-max-mac-growth", type=float, default=1.5,
                    help="simplify's limit in approximate mode (two 3x3 convs of equal width -> one 5x5: 25/18)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=7, help="timed runs per latency (median)")
    ap.add_argument("--retrain", action="store_true", help="train the models again (experiments/train_demo_models.py)")
    ap.add_argument("--quick", action="store_true", help="tiny sizes, to check the pipeline (--calib 64 etc.)")
    ap.add_argument("--readme", help="write the table between the fashion-mnist-table markers of this file")
    ap.add_argument("--json", help="save the results (and the command) to this file")
    ap.add_argument("--combine", nargs="+", metavar="JSON", help="only format the results of earlier --json runs")
    args = ap.parse_args(argv)
    if args.combine:
        import json
        results, runs = [], []
        for path in args.combine:
            with open(path) as f:
                saved = json.load(f)
            for m, r in saved["results"]:
                r = _int_keys(r)
                same = [x for name, x in results if name == m]
                if same:  # another run of the same model: its rows join the first run's (same original)
                    same[0]["rows"] += r["rows"]
                else:
                    results.append((m, r))
            runs.append(saved["run"])
        command = "python experiments/fashion_mnist.py " + " ".join(argv if argv is not None else sys.argv[1:])
        text = format_text(results, runs, combined_by=command)
        print(text)
        if args.readme:
            write_readme(args.readme, text)
        return results
    if args.quick:
        args.calib, args.finetune_images, args.test_images, args.reps = 64, 128, 256, 1
    import torch
    torch.set_num_threads(args.threads)
    fibnlr.set_num_threads(args.threads)
    for mode in args.modes.split(","):
        if mode not in MODES:
            raise SystemExit(f"unknown mode '{mode}'; expected some of: {', '.join(MODES)}")
    for name in args.configs.split(","):
        if name not in CONFIGS and name not in PLANS:
            raise SystemExit(f"unknown configuration '{name}'; expected some of: {', '.join([*CONFIGS, *PLANS])}")
    log = lambda s: print(s, flush=True)  # noqa: E731
    calib_pool, train_x, train_y, test_x, test_y = load_data(args.data)
    rng = np.random.default_rng(0)
    calib = demo_data.to_input(calib_pool[rng.choice(len(calib_pool), min(args.calib, len(calib_pool)), replace=False)])
    ft_idx = rng.choice(len(train_x), min(args.finetune_images, len(train_x)), replace=False)
    ft = (demo_data.to_input(train_x[ft_idx]), train_y[ft_idx])
    n_test = args.test_images or len(test_x)
    test = (demo_data.to_input(test_x[:n_test]), test_y[:n_test])
    log(f"data: {args.data}; {len(calib)} calibration, {len(ft_idx)} fine-tuning, {n_test} test images; "
        f"{args.threads} threads; load average {os.getloadavg()[0]:.1f}")
    tmpdir = tempfile.mkdtemp(prefix="fibnlr_fmnist_")
    results = []
    for model in args.models.split(","):
        path = demo_data.model_path(model)
        if args.retrain:
            sys.path.insert(0, HERE)
            import train_demo_models as T
            tx, ty, _, _ = T.load_fashion_mnist(args.data)
            path = os.path.join(tmpdir, f"{model}.onnx")
            T.export_onnx(T.train(model, tx, ty), path)
        teacher = fibnlr.load_onnx(path)
        teacher.compile(dims=[[64, *DIMS[1:]]])
        r = {"top1": top1(teacher, *test), "total": count_nonlinearities(teacher),
             "original": describe(teacher, tmpdir, f"{model}-original", args.reps, args.threads), "rows": []}
        log(f"{model}: top-1 {r['top1']:.2f}, {r['total']} non-linearities, {r['original']}")
        for name in args.configs.split(","):
            run = run_plan if name in PLANS else run_config
            r["rows"] += run(name, teacher, calib, ft, test, args, tmpdir, log)
        results.append((model, r))
    run = {"command": "python experiments/fashion_mnist.py " + " ".join(argv if argv is not None else sys.argv[1:]),
           "date": time.strftime("%Y-%m-%d"), "cpu": platform.processor() or platform.machine(),
           "threads": args.threads, "load": os.getloadavg()[0], "calib": len(calib), "finetune": len(ft_idx),
           "lr": args.lr, "epochs": args.finetune_epochs, "test": n_test,
           "growth": [args.max_mac_growth, args.approx_max_mac_growth],
           "models": [m for m, _ in results]}
    text = format_text(results, [run])
    print(text)
    if args.json:
        import json
        with open(args.json, "w") as f:
            json.dump({"run": run, "results": results}, f, indent=1)
    if args.readme:
        write_readme(args.readme, text)
    return results


if __name__ == "__main__":
    main()
