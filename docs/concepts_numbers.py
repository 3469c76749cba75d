"""The numbers docs/concepts.md quotes, measured on the shipped Fashion-MNIST ResNet.

Runs FIBNLR's measuring step once on the package's own model and calibration
images (``fibnlr.demo_data``), then normalises and selects under several
parameter choices, and prints each result as a named Markdown block. The page
holds the same blocks between ``<!-- numbers:NAME -->`` and
``<!-- /numbers:NAME -->`` markers, so the numbers cannot go stale:

    python docs/concepts_numbers.py                        # print the blocks
    python docs/concepts_numbers.py --check docs/concepts.md   # exit 1 if the page differs
    python docs/concepts_numbers.py --write docs/concepts.md   # rewrite the page's blocks

``unit_test/python/test_docs.py`` runs ``--check``. Everything is deterministic:
fixed batches in file order, no shuffling; values are rounded to three
decimals, well above the float rounding that differs between SIMD paths.
"""
from __future__ import annotations

import argparse
import re
import sys

import numpy as np

import fibnlr
from fibnlr import demo_data

BATCH = 64
CALIBRATION_IMAGES = 640   # ten batches, as experiments/fashion_mnist.py uses
MODEL = "resnet"


def short_name(node) -> str:
    """'/features/features.3/relu1/Relu' -> 'features.3/relu1' (the block and ReLU of the ONNX export)."""
    return node.name().removeprefix("/features/").removesuffix("/Relu")


def params_for(normalization, method=fibnlr.Method.STRICT, criteria=fibnlr.AblationCriteria.THRESHOLD,
               threshold=0.25, x_least=1):
    """Default parameters with the given choices; ablation method NONE, so prune only reports its selection."""
    p = fibnlr.fibnlr_Parameters()
    p.normalization, p.method = normalization, method
    p.ablation_criteria, p.ablation_threshold, p.ablation_x_least = criteria, threshold, x_least
    p.ablation_method = fibnlr.AblationMethod.NONE
    return p


def measure():
    """The measured graph (default parameters: Strict, Sum, ImageSize groups) and the convergence values."""
    graph = fibnlr.load_onnx(demo_data.model_path(MODEL))
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[BATCH, 1, 28, 28]])
    calib_x = demo_data.to_input(demo_data.load_subset()[0][:CALIBRATION_IMAGES])
    params = fibnlr.fibnlr_Parameters()
    fibnlr.fibnlr_prepare(graph, params)
    batches = [calib_x[i:i + BATCH] for i in range(0, len(calib_x), BATCH)]
    convergence = fibnlr.fibnlr_compute(graph, batches, params)
    return graph, convergence


def top1_after_pruning(graph, params, test) -> float:
    """Top-1 (%) of a copy of `graph` whose selected activations became Identity (no fine-tuning)."""
    copy = graph.clone()
    p = params_for(params.normalization, params.method, params.ablation_criteria, params.ablation_threshold,
                   params.ablation_x_least)
    p.ablation_method = fibnlr.AblationMethod.IDENTITY
    fibnlr.fibnlr_compute_NNPR(copy, p)
    fibnlr.fibnlr_prune(copy, p)
    copy.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[256, 1, 28, 28]])
    return 100.0 * fibnlr.evaluate(copy, test, progress=False)["top1"]


def blocks() -> dict[str, str]:
    """NAME -> Markdown text of every block the page quotes. Measures on one thread (the same
    summation order on every machine) and puts the thread count back afterwards."""
    threads = fibnlr.get_num_threads()
    fibnlr.set_num_threads(1)
    try:
        return _blocks()
    finally:
        fibnlr.set_num_threads(threads)


def _blocks() -> dict[str, str]:
    graph, convergence = measure()
    nodes = fibnlr.fibnlr_prepared_nodes(graph)
    _, _, test_x, test_y = demo_data.load_subset()
    test = (demo_data.to_input(test_x), test_y)
    out = {}

    # The measurement, per non-linearity, with both usual normalisations.
    nnpr = {}
    for label, norm in (("sum", fibnlr.NormalizationMethod.SUM), ("average", fibnlr.NormalizationMethod.AVERAGE),
                        ("minmax", fibnlr.NormalizationMethod.MIN_MAX)):
        nnpr[label] = {n.name(): v for n, v in fibnlr.fibnlr_compute_NNPR(graph, params_for(norm)).items()}
    rows = ["| ReLU | group | neg mass | pos mass | NPR | NNPR Sum | NNPR Average | NNPR MinMax "
            "| dead / channels |", "|---|---|---|---|---|---|---|---|---|"]
    for n in nodes:
        npr, tracker = fibnlr.fibnlr_get_npr(n), fibnlr.fibnlr_get_activity_tracker(n)
        rows.append(f"| `{short_name(n)}` | {fibnlr.fibnlr_get_group(n).id} | {npr.neg:.3e} | {npr.pos:.3e} "
                    f"| {npr.value():.3f} | {nnpr['sum'][n.name()]:.3f} | {nnpr['average'][n.name()]:.3f} "
                    f"| {nnpr['minmax'][n.name()]:.3f} | {tracker.count_dead_neurons()} / {len(tracker.neurons)} |")
    out["measure"] = "\n".join(rows)

    groups: dict[int, list] = {}
    for n in nodes:
        groups.setdefault(fibnlr.fibnlr_get_group(n).id, []).append(n)
    out["groups"] = "\n".join(
        f"- group {gid}: {len(members)} ReLUs whose input is {int(round(gid ** 0.5))}×{int(round(gid ** 0.5))} "
        f"({', '.join(f'`{short_name(m)}`' for m in members)}); mean NPR "
        f"{np.mean([fibnlr.fibnlr_get_npr(m).value() for m in members]):.3f}, mean NNPR Sum "
        f"{np.mean([nnpr['sum'][m.name()] for m in members]):.3f}"
        for gid, members in groups.items())

    dead = sum(fibnlr.fibnlr_get_activity_tracker(n).count_dead_neurons() for n in nodes)
    channels = sum(len(fibnlr.fibnlr_get_activity_tracker(n).neurons) for n in nodes)
    stopped = ("the data ran out" if len(convergence) == CALIBRATION_IMAGES // BATCH and convergence[-1] >= 1e-5
               else "the convergence value fell below 1e-5")
    out["convergence"] = (
        f"On {CALIBRATION_IMAGES} calibration images (batches of {BATCH}) `compute` ran {len(convergence)} "
        f"batches and stopped because {stopped}; the convergence values fell from "
        f"{max(convergence[1:]):.2e} to {convergence[-1]:.2e}. Of the {channels} channels of the "
        f"{len(nodes)} measured ReLUs, {dead} are dead.")

    # Strict vs Loose: only a group of one node tells them apart. Put the last ReLU alone
    # (as Manual grouping would) on a copy: normalisation reads each node's stored Group.
    last = nodes[-1]
    copy = graph.clone()
    for n in fibnlr.fibnlr_prepared_nodes(copy):
        fibnlr.fibnlr_set_group(n, fibnlr.Group(1 if n.name() == last.name() else 0))
    lone = {}
    for label, method in (("Strict", fibnlr.Method.STRICT), ("Loose", fibnlr.Method.LOOSE)):
        values = fibnlr.fibnlr_compute_NNPR(copy, params_for(fibnlr.NormalizationMethod.SUM, method))
        lone[label] = {n.name(): v for n, v in values.items()}[last.name()]
    out["strict-loose"] = (
        f"Put alone in a group (`Manual` grouping), `{short_name(last)}` (NPR "
        f"{fibnlr.fibnlr_get_npr(last).value():.3f}) gets NNPR {lone['Strict']:.3f} with Strict and "
        f"{lone['Loose']:.3f} with Loose (Sum normalisation).")

    # Selections and their cost in accuracy, before any fine-tuning.
    base = 100.0 * fibnlr.evaluate(graph, test, progress=False)["top1"]
    configs = [
        ("Strict, Sum, Threshold 0.25 (the defaults)", params_for(fibnlr.NormalizationMethod.SUM)),
        ("Strict, Sum, Threshold 0.075", params_for(fibnlr.NormalizationMethod.SUM, threshold=0.075)),
        ("Loose, Average, Threshold 0.5", params_for(fibnlr.NormalizationMethod.AVERAGE, fibnlr.Method.LOOSE,
                                                     threshold=0.5)),
        ("Strict, Sum, XLeastPerGroup 1 (threshold 0.25)",
         params_for(fibnlr.NormalizationMethod.SUM, criteria=fibnlr.AblationCriteria.X_LEAST_PER_GROUP)),
        ("Strict, Average, XLeastPerGroup 2 (threshold 1)",
         params_for(fibnlr.NormalizationMethod.AVERAGE, criteria=fibnlr.AblationCriteria.X_LEAST_PER_GROUP,
                    threshold=1.0, x_least=2)),
    ]
    rows = [f"| parameters | pruned | which | top-1 on {len(test_y)} test images, no fine-tuning |",
            "|---|---|---|---|", f"| none (the trained model) | 0 / {len(nodes)} | - | {base:.2f} % |"]
    for label, p in configs:
        fibnlr.fibnlr_compute_NNPR(graph, p)
        order = {n.name(): i for i, n in enumerate(nodes)}
        chosen = sorted(fibnlr.fibnlr_prune(graph, p), key=lambda n: order[n.name()])
        rows.append(f"| {label} | {len(chosen)} / {len(nodes)} | {', '.join(f'`{short_name(n)}`' for n in chosen)} "
                    f"| {top1_after_pruning(graph, p, test):.2f} % |")
    out["selection"] = "\n".join(rows)
    return out


# A block: the opening marker, its body (possibly empty) and the closing marker, each on its own lines.
MARKER = re.compile(r"<!-- numbers:(?P<name>[a-z-]+) -->\n(?:(?P<body>.*?)\n)?<!-- /numbers:(?P=name) -->", re.S)


def rewrite(page: str, values: dict[str, str]) -> str:
    """`page` with the body of every marked block replaced by its value; a value without a block is an error."""
    missing = set(values) - {m.group("name") for m in MARKER.finditer(page)}
    if missing:
        raise ValueError(f"the page has no block for: {', '.join(sorted(missing))}; "
                         "expected <!-- numbers:NAME --> ... <!-- /numbers:NAME -->")

    def body(m):
        name = m.group("name")
        if name not in values:
            raise ValueError(f"the page has a block 'numbers:{name}' that {__file__} does not produce")
        return f"<!-- numbers:{name} -->\n{values[name]}\n<!-- /numbers:{name} -->"
    return MARKER.sub(body, page)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = ap.add_mutually_exclusive_group()
    group.add_argument("--check", metavar="PAGE", help="exit 1 when PAGE's blocks differ from the measured numbers")
    group.add_argument("--write", metavar="PAGE", help="rewrite PAGE's blocks with the measured numbers")
    args = ap.parse_args(argv)
    values = blocks()
    if not (args.check or args.write):
        for name, text in values.items():
            print(f"<!-- numbers:{name} -->\n{text}\n<!-- /numbers:{name} -->\n")
        return 0
    path = args.check or args.write
    with open(path, encoding="utf-8") as f:
        page = f.read()
    try:
        new = rewrite(page, values)
    except ValueError as e:
        print(f"{path}: {e}", file=sys.stderr)
        return 1
    if args.write:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)
        return 0
    if new != page:
        stale = [m.group("name") for m in MARKER.finditer(page)
                 if (m.group("body") or "") != values.get(m.group("name"))]
        print(f"{path}: stale numbers in block(s) {', '.join(stale)}; run python {sys.argv[0]} --write {path}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
