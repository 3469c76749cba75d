"""The ``fibnlr`` command line.

    fibnlr prune MODEL.onnx --data DATA.npz --out PRUNED.onnx [--params PARAMS.json] [--batch-size 64]
    fibnlr prune --demo [--out PRUNED.onnx]

``prune`` runs the one-shot FIBNLR recipe (prepare, compute, prune), writes
the pruned model and prints, per prepared node: name, group, NPR, NNPR, dead
channels / channels and whether it was pruned.

DATA.npz holds the calibration inputs: the array named ``x`` or ``input``, or
else the first array, shaped [N, *model input dims] (float; converted to
float32). PARAMS.json sets recipe parameters by their Python names, enums by
member name, e.g. ``{"method": "LOOSE", "normalization": "AVERAGE",
"ablation_threshold": 0.3, "node_types": ["ReLU", "Clip"]}``.

``--demo`` uses an embedded default: a small residual CNN and calibration
images generated deterministically (fixed seeds, no download).
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


def demo_model_and_data(nb_images=256, seed=0):
    """A small residual CNN (3x16x16 -> 10) with seeded weights, and seeded calibration images."""
    rng = np.random.default_rng(seed)
    from .onnx_io.importer import INPUT_SHAPE
    g = _core.GraphView("fibnlr_demo")
    x = g.add_input("input")
    x.set_annotation(INPUT_SHAPE, [0, 3, 16, 16])  # declared ONNX input shape (free batch) for export

    def node(kind, name, parents, attrs=None, **params):
        n = _core.Node(kind, name, attrs or {})
        for i, p in enumerate(parents):
            p.add_child(n, 0, i)
        for key, value in params.items():
            n.set_parameter(key, np.ascontiguousarray(value, dtype=np.float32))
        g.add(n)
        return n

    def conv(name, parent, cin, cout, k=3, stride=1):
        w = rng.standard_normal((cout, cin, k, k)) * np.sqrt(2.0 / (cin * k * k))
        b = rng.normal(0.0, 0.1, cout) - 0.05 * np.arange(cout) / cout  # a few channels lean negative
        return node("Conv", name, [parent], {"pads": [k // 2] * 4, "strides": [stride, stride]}, W=w, B=b)

    c1 = node("ReLU", "stem_relu", [conv("stem_conv", x, 3, 8)])
    b1 = node("ReLU", "block1_relu1", [conv("block1_conv1", c1, 8, 8)])
    add = node("Add", "block1_add", [conv("block1_conv2", b1, 8, 8), c1])
    r = node("ReLU", "block1_relu2", [add])
    d = node("ReLU", "down_relu", [conv("down_conv", r, 8, 16, stride=2)])
    e = node("LeakyReLU", "down_leaky", [conv("down_conv2", d, 16, 16)], {"alpha": 0.1})
    gap = node("GlobalAveragePool", "gap", [e])
    flat = node("Flatten", "flatten", [gap])
    fc = node("Gemm", "fc", [flat], {"transB": 1}, B=rng.standard_normal((10, 16)) * 0.25, C=np.zeros(10))
    g.set_outputs([fc])
    # smooth images: low-frequency colour patterns plus noise
    yy, xx = np.mgrid[0:16, 0:16] / 16.0
    freq = rng.uniform(0.5, 3.0, (nb_images, 3, 2))
    phase = rng.uniform(0, 2 * np.pi, (nb_images, 3))
    imgs = np.sin(2 * np.pi * (freq[..., 0, None, None] * yy + freq[..., 1, None, None] * xx) + phase[..., None, None])
    imgs = imgs + 0.3 * rng.standard_normal(imgs.shape)
    return g, np.ascontiguousarray(imgs, dtype=np.float32)


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
    if args.demo:
        graph, x = demo_model_and_data()
        source = "embedded demo (residual CNN, deterministic images)"
    else:
        if not args.model or not args.data or not args.out:
            raise ValueError("prune needs MODEL.onnx, --data DATA.npz and --out PRUNED.onnx (or --demo)")
        graph = load_onnx(args.model)
        x, key = _load_data(args.data)
        source = f"{args.model} with {args.data}['{key}']"
        _check_input_shape(graph, x, f"{args.data}['{key}']")
    params = R.fibnlr_Parameters()
    if args.params:
        with open(args.params) as f:
            params = parameters_from_dict(json.load(f))
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
    pruned = R.fibnlr(graph, provider, params)
    by_name = {n.name(): n for n in R.fibnlr_prepared_nodes(graph)}
    by_name.update({n.name(): n for n in pruned})  # the original nodes, with their attributes
    nodes = [by_name[name] for name in order if name in by_name]
    print(format_table(nodes, pruned))
    print(f"{len(pruned)} of {len(nodes)} non-linearities pruned")
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
    p.add_argument("--demo", action="store_true", help="run on the embedded demo model and data")
    args = ap.parse_args(argv)
    try:
        return cmd_prune(args)
    except (ValueError, OSError) as e:
        print(f"fibnlr: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
