"""The ``fibnlr`` command line.

    fibnlr prune MODEL.onnx --data DATA.npz --out PRUNED.onnx [--params PARAMS.json] [--batch-size 64]
    fibnlr prune --demo [--demo-model resnet|mobilenetv2] [--out PRUNED.onnx] [--params PARAMS.json]

``prune`` runs the one-shot FIBNLR recipe (prepare, compute, prune), writes
the pruned model and prints, per prepared node: name, group, NPR, NNPR, dead
channels / channels and whether it was pruned.

DATA.npz holds the calibration inputs: the array named ``x`` or ``input``, or
else the first array, shaped [N, *model input dims] (float; converted to
float32). PARAMS.json sets recipe parameters by their Python names, enums by
member name, e.g. ``{"method": "LOOSE", "normalization": "AVERAGE",
"ablation_threshold": 0.3, "node_types": ["ReLU", "ReLU6"]}``. The default
``node_types`` is every rectifier-like activation (a ``Clip`` to [0, 6] is
imported as ``ReLU6``).

``--demo`` runs on real data shipped in the package (``fibnlr.demo_data``):
a small ResNet (or, with ``--demo-model mobilenetv2``, a MobileNetV2 with
ReLU6) trained on Fashion-MNIST, 640 of its training images
for calibration, and prints the top-1 accuracy on 2,000 real test images
before pruning, after pruning, and after an exact ``simplify`` (no download,
no extra install).
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np

from . import _core
from ._core import recipes as R

_ENUMS = {
    "method": R.Method,
    "normalization": R.NormalizationMethod,
    "group": R.GroupMethod,
    "ablation_criteria": R.AblationCriteria,
    "ablation_method": R.AblationMethod,
}
_FIELDS = ["method", "normalization", "group", "ablation_criteria", "ablation_method", "ablation_threshold",
           "ablation_x_least", "max_iteration", "convergence_threshold", "group_assignments", "node_types"]


def parameters_from_dict(values):
    """fibnlr_Parameters from a dict of Python field names; raises ValueError naming a bad key or value."""
    p = R.fibnlr_Parameters()
    for key, value in values.items():
        if key not in _FIELDS:
            raise ValueError(f"unknown parameter '{key}'; expected one of: {', '.join(_FIELDS)}")
        if key in _ENUMS:
            enum = _ENUMS[key]
            if not isinstance(value, str) or value.upper() not in enum.__members__:
                raise ValueError(f"parameter '{key}' is {value!r}; expected one of: "
                                 f"{', '.join(enum.__members__)}")
            value = enum.__members__[value.upper()]
        try:
            setattr(p, key, value)
        except TypeError as e:
            raise ValueError(f"parameter '{key}' cannot take the value {value!r}: {e}") from None
    p.validate()
    return p


def format_table(nodes, pruned):
    """The per-node report: name, group, NPR, NNPR, dead channels / channels, pruned."""
    pruned_names = {n.name() for n in pruned}
    width = max([len("node")] + [len(n.name()) for n in nodes]) + 2
    lines = [f"{'node':<{width}}{'group':>7}{'NPR':>12}{'NNPR':>10}{'dead/channels':>15}  pruned"]
    for n in nodes:
        npr = R.fibnlr_get_npr(n)
        tracker = R.fibnlr_get_activity_tracker(n)
        dead = f"{tracker.count_dead_neurons()}/{len(tracker.neurons)}"
        line = (f"{n.name():<{width}}{R.fibnlr_get_group(n).id:>7}{npr.value():>12.4f}"
                f"{R.fibnlr_get_nnpr(n).value:>10.4f}{dead:>15}  {'yes' if n.name() in pruned_names else 'no'}")
        if npr.non_finite:
            line += f"  ({npr.non_finite} non-finite inputs ignored)"
        lines.append(line)
    return "\n".join(lines)


DEMO_CALIBRATION = 640


def demo_model_and_data(name="resnet"):
    """The shipped Fashion-MNIST model ``name``, 640 calibration inputs and the (inputs, labels) test subset."""
    from . import demo_data
    from .onnx_io import load_onnx
    calib_x, _, test_x, test_y = demo_data.load_subset()
    graph = load_onnx(demo_data.model_path(name))
    return graph, demo_data.to_input(calib_x[:DEMO_CALIBRATION]), (demo_data.to_input(test_x), test_y)


def _top1(graph, test):
    from .evaluation import evaluate
    return 100.0 * evaluate(graph, test, progress=False)["top1"]


def _check_input_shape(graph, x, what):
    """The data must match the input dims the model file declares (0 = free)."""
    from .onnx_io.importer import INPUT_SHAPE
    inputs = graph.inputs()
    if len(inputs) != 1:
        raise ValueError(f"the model has {len(inputs)} inputs; fibnlr prune supports models with one input")
    if inputs[0].has_annotation(INPUT_SHAPE):
        want = list(inputs[0].get_annotation(INPUT_SHAPE))
        got = list(x.shape)
        ok = len(want) == len(got) and all(w in (0, g) for w, g in zip(want[1:], got[1:]))
        if not ok:
            shown = ["N" if w == 0 else w for w in want]
            raise ValueError(f"{what} has shape {got}, the model input '{inputs[0].name()}' expects {shown}")


def _load_data(path):
    with np.load(path) as npz:
        if not npz.files:
            raise ValueError(f"{path} holds no array")
        key = "x" if "x" in npz.files else "input" if "input" in npz.files else npz.files[0]
        x = npz[key]
    if not np.issubdtype(x.dtype, np.number):
        raise ValueError(f"{path}: array '{key}' has dtype {x.dtype}, expected numbers")
    return np.ascontiguousarray(x, dtype=np.float32), key


def cmd_prune(args):
    from .onnx_io import load_onnx, save_onnx
    test = None
    if args.demo:
        graph, x, test = demo_model_and_data(args.demo_model)
        source = (f"demo: the shipped {args.demo_model} trained on Fashion-MNIST, "
                  f"{len(test[1])} real test images")
    else:
        if not args.model or not args.data or not args.out:
            raise ValueError("prune needs MODEL.onnx, --data DATA.npz and --out PRUNED.onnx (or --demo)")
        graph = load_onnx(args.model)
        x, key = _load_data(args.data)
        source = f"{args.model} with {args.data}['{key}']"
        _check_input_shape(graph, x, f"{args.data}['{key}']")
    params = R.fibnlr_Parameters()
    values = {}
    if args.params:
        with open(args.params) as f:
            values = json.load(f)
        params = parameters_from_dict(values)
    if x.ndim < 2 or len(x) == 0:
        raise ValueError(f"calibration data has shape {x.shape}, expected [N, *input dims] with N >= 1")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size is {args.batch_size}, expected >= 1")
    batch = min(args.batch_size, len(x))
    graph.compile(backend="cpu", datatype=_core.dtype.float32, dims=[[batch, *x.shape[1:]]])
    provider = _core.DataProvider(_core.TensorDatabase(x), batch)
    print(f"fibnlr prune: {source}; {len(x)} calibration items in batches of {batch}")
    print(params)
    order = [n.name() for n in graph.get_nodes()]  # before pruning: removed nodes keep their place
    if test is not None:
        before = _top1(graph, test)
    pruned = R.fibnlr(graph, provider, params)
    by_name = {n.name(): n for n in R.fibnlr_prepared_nodes(graph)}
    by_name.update({n.name(): n for n in pruned})  # the original nodes, with their attributes
    nodes = [by_name[name] for name in order if name in by_name]
    print(format_table(nodes, pruned))
    print(f"{len(pruned)} of {len(nodes)} non-linearities pruned")
    if test is not None:
        after = _top1(graph, test)
        merged = graph.clone()
        res = R.simplify(merged, mode="exact", dims=[[1, *x.shape[1:]]])
        layers = sum(1 for n in merged.get_nodes() if n.type() == "Conv")
        print(f"top-1 on {len(test[1])} Fashion-MNIST test images: {before:.2f} % before pruning, "
              f"{after:.2f} % after pruning, {_top1(merged, test):.2f} % after an exact simplify "
              f"({len(res.merged)} merges, {layers} Conv layers left)")
    out = args.out or os.path.join(tempfile.mkdtemp(prefix="fibnlr_demo_"), "demo_pruned.onnx")
    save_onnx(graph, out)
    print(f"wrote {out}")
    _check_with_onnxruntime(graph, out, x[:batch])
    return 0


def _check_with_onnxruntime(graph, path, x):
    """When onnxruntime is installed, runs the written model and reports its largest difference to fibnlr."""
    try:
        import onnxruntime as ort
    except ImportError:
        return
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    ref = graph.forward(x)[0]
    err = float(np.abs(got - ref).max())
    print(f"onnxruntime on {os.path.basename(path)}: max |difference| to fibnlr {err:.2e}")


def main(argv=None):
    ap = argparse.ArgumentParser(prog="fibnlr", description="Fast Input-Based Non-Linearity Pruning")
    sub = ap.add_subparsers(dest="command", required=True)
    p = sub.add_parser("prune", help="measure, select and prune non-linearities (one-shot FIBNLR)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", nargs="?", help="the ONNX model")
    p.add_argument("--data", help=".npz file with the calibration inputs")
    p.add_argument("--out", help="where to write the pruned ONNX model")
    p.add_argument("--params", help="JSON file of recipe parameters")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--demo", action="store_true", help="run on the shipped Fashion-MNIST model and real images")
    p.add_argument("--demo-model", default="resnet", choices=["resnet", "mobilenetv2"],
                   help="which shipped model --demo prunes")
    args = ap.parse_args(argv)
    try:
        return cmd_prune(args)
    except (ValueError, OSError) as e:
        print(f"fibnlr: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
