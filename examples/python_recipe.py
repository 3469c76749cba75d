"""A recipe of your own, in Python, on fibnlr's graph API (docs/extending.md).

``prune_linear_blocks(graph, threshold)`` is a selection rule FIBNLR's own
``prune`` does not have: it prunes activations in pairs, so that whole
inverted residual blocks become linear. In a block 1×1 expand → act → 3×3
depthwise → act → 1×1 project, it replaces both activations by Identity when
both have an NNPR below ``threshold``, and neither otherwise. One activation
alone buys little: 1×1 then depthwise merges into a dense 3×3 with more MACs
than the two, so ``simplify`` (default ``max_mac_growth=1.0``) keeps them
apart. With both gone, the three convs merge exactly into one 3×3 conv
(a padded conv merges exactly when only unpadded 1×1 convs precede it;
docs/merging.md), with fewer MACs than the block when the expansion is wide.

Run on the shipped Fashion-MNIST MobileNetV2:

    python examples/python_recipe.py [--threshold 1.0] [--calibration 640] [--epochs 0]

It measures with FIBNLR (Average normalisation: NNPR 1.0 is the group's mean
ratio), applies the rule, simplifies exactly, and prints what it pruned, the
Conv count before and after, and the top-1 on the 2,000 shipped test images
before and after pruning and merging, and with ``--epochs N`` after N epochs
of distillation from the unpruned model (``fibnlr.finetune``, needs torch).
"""
from __future__ import annotations

import argparse

import fibnlr
from fibnlr import demo_data
from fibnlr.recipes import simplify

BATCH = 64


def producing_conv(node):
    """The Conv whose output `node` reads, looking through a BatchNormalization; None otherwise."""
    parent = node.get_parent(0)
    if parent is not None and parent.type() == "BatchNormalization":
        parent = parent.get_parent(0)
    return parent if parent is not None and parent.type() == "Conv" else None


def is_pointwise(conv) -> bool:
    """Whether every kernel dim of `conv` is 1 (read from its weights W [M, C/group, *K], which
    always exist, unlike the optional kernel_shape attribute)."""
    return all(k == 1 for k in conv.get_parameter("W").shape[2:])


def sole_child(node):
    """The one node reading `node`'s output, or None when several (or none) do."""
    children = node.get_children()
    return children[0] if len(children) == 1 else None


def linear_block_pairs(graph) -> list:
    """(first, second) activation pairs of the pattern 1×1 Conv → first → Conv → second → 1×1 Conv,
    among the nodes FIBNLR measured (BatchNormalization allowed after each Conv)."""
    measured = {n.name() for n in fibnlr.fibnlr_prepared_nodes(graph)}
    pairs = []
    for first in fibnlr.fibnlr_prepared_nodes(graph):
        expand = producing_conv(first)
        if expand is None or not is_pointwise(expand):
            continue
        middle = sole_child(first)
        if middle is None or middle.type() != "Conv":
            continue
        second = sole_child(middle)
        if second is not None and second.type() == "BatchNormalization":
            second = sole_child(second)
        if second is None or second.name() not in measured:
            continue
        project = sole_child(second)
        if project is not None and project.type() == "Conv" and is_pointwise(project):
            pairs.append((first, second))
    return pairs


def prune_linear_blocks(graph, threshold: float) -> list[str]:
    """Replaces by Identity both activations of every block pair (see ``linear_block_pairs``) whose
    NNPRs are both below `threshold`.

    Preconditions: FIBNLR measured the graph (``fibnlr_compute``, which also stores NNPR). Each
    Identity keeps its node's name, so reports and ONNX names still match. Returns the names of
    the replaced nodes, in topological order; a pattern that does not match is left alone (not an
    error), so a second call replaces nothing.
    """
    if not threshold >= 0:  # also refuses NaN
        raise ValueError(f"threshold is {threshold!r}; expected a number >= 0 (NNPR values are >= 0)")
    chosen = []
    for first, second in linear_block_pairs(graph):
        nnpr = [fibnlr.fibnlr_get_nnpr(n).value for n in (first, second)]
        if any(v != v for v in nnpr):  # NaN: never measured
            raise ValueError(f"node '{first.name()}' or '{second.name()}' has no NNPR yet; "
                             "run fibnlr_compute on the graph first")
        if max(nnpr) < threshold:
            chosen += [first, second]
    for node in chosen:  # decided on the unchanged graph, then rewritten
        graph.replace([node], [fibnlr.Node("Identity", node.name())])
    return [n.name() for n in chosen]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description="prune inverted residual blocks whole, then merge exactly")
    ap.add_argument("--threshold", type=float, default=1.0, help="NNPR (Average normalisation) below which to prune")
    ap.add_argument("--calibration", type=int, default=640, help="calibration (and fine-tuning) images")
    ap.add_argument("--epochs", type=int, default=0, help="fine-tuning epochs after merging (needs torch)")
    args = ap.parse_args(argv)

    graph = fibnlr.load_onnx(demo_data.model_path("mobilenetv2"))
    teacher = graph.clone()  # the unpruned model, for distillation
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[BATCH, 1, 28, 28]])
    calib_x, calib_y, test_x, test_y = demo_data.load_subset()
    calib, calib_y = demo_data.to_input(calib_x[:args.calibration]), calib_y[:args.calibration]
    test = (demo_data.to_input(test_x), test_y)
    top1_before = fibnlr.evaluate(graph, test, progress=False)["top1"]
    convs_before = fibnlr.count_layers(graph, ["Conv"])

    params = fibnlr.fibnlr_Parameters()
    params.normalization = fibnlr.NormalizationMethod.AVERAGE
    fibnlr.fibnlr_prepare(graph, params)
    fibnlr.fibnlr_compute(graph, [calib[i:i + BATCH] for i in range(0, len(calib), BATCH)], params)
    measured = len(fibnlr.fibnlr_prepared_nodes(graph))

    replaced = prune_linear_blocks(graph, args.threshold)
    result = simplify(graph, mode="exact", dims=[[1, 1, 28, 28]])
    graph.compile("cpu", datatype=fibnlr.dtype.float32, dims=[[BATCH, 1, 28, 28]])
    top1_after = fibnlr.evaluate(graph, test, progress=False)["top1"]
    tuned = ""
    if args.epochs:  # the merged graph trains like any other: distil the unpruned model into it
        fibnlr.finetune(graph, (calib, calib_y), epochs=args.epochs, lr=1e-3, teacher=teacher, progress=False)
        tuned = (f", {100 * fibnlr.evaluate(graph, test, progress=False)['top1']:.2f} % after {args.epochs} "
                 f"epoch(s) of fine-tuning on the {len(calib)} calibration images")

    print(f"pruned {len(replaced)} of {measured} activations (block pairs with NNPR < {args.threshold}):")
    for name in replaced:
        print(f"  {name}")
    print(f"Conv layers {convs_before} -> {fibnlr.count_layers(graph, ['Conv'])}; "
          f"{len(result.merged)} merges, {len(result.skipped)} pairs left apart")
    print(f"top-1 on {len(test_y)} test images: {100 * top1_before:.2f} % before, {100 * top1_after:.2f} % "
          f"after pruning and merging{tuned}")


if __name__ == "__main__":
    main()
