"""The argument parser of the ``fibnlr`` command: one subcommand per step, ``run`` for all of them."""
from __future__ import annotations

import argparse

from .model import DEMO_MODELS, parse_shape

DESCRIPTION = """\
Fast Input-Based Non-Linearity Pruning: measure how linearly each
non-linearity of a CNN behaves on calibration data, prune the most linear
ones, merge the layers that end up back to back, fine-tune and evaluate.

  fibnlr run --demo                      the whole workflow on the shipped model and images
  fibnlr run MODEL.onnx --calibration DATA --out OUT.onnx [--train DATA] [--eval DATA]
  fibnlr inspect MODEL.onnx              layers, MACs, parameters, non-linearities

Exit status: 0 success, 2 bad arguments or input, 1 other failure, 130 Ctrl-C.
"""

DATA_HELP = """\
DATA is a .npz file (images in the array 'x', labels in the optional array
'y'; --key names other arrays), a .npy file of images, or a folder of
images with one sub-folder per class (labels: the sub-folders in sorted
order; read with Pillow as grey or RGB per the model's input channels and
resized to its input size). Integer arrays and image files are pixels
0..255 and are scaled to [0, 1]; float arrays are taken as they are; then
(x - mean) / std when --mean / --std are given (one value or one per
channel). PARAMS.json sets FIBNLR parameters by name, enums by member name,
e.g. {"method": "LOOSE", "normalization": "AVERAGE", "ablation_threshold": 0.3,
"node_types": ["ReLU", "ReLU6"]}.
"""


class _Parser(argparse.ArgumentParser):
    """Bad arguments: one line naming the problem (argparse would print the usage first), status 2."""

    def error(self, message):
        self.exit(2, f"fibnlr: error: {message} (see {self.prog} --help)\n")


def _floats(text):
    try:
        return [float(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number or comma-separated numbers") from None


def _shape(text):
    try:
        return parse_shape(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _common():
    p = argparse.ArgumentParser(add_help=False)
    g = p.add_argument_group("output and data")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bars and no step-by-step lines")
    g.add_argument("--json", action="store_true", help="print the results as one JSON document, nothing else")
    g.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    g.add_argument("--batch-size", type=int, default=64, metavar="N",
                   help="images per forward pass when measuring, evaluating and fine-tuning (default 64)")
    g.add_argument("--key", help="images array of a .npz DATA file (default 'x'); 'IMAGES,LABELS' names both")
    g.add_argument("--mean", type=_floats, help="subtracted from DATA after scaling: one value or one per channel")
    g.add_argument("--std", type=_floats, help="divides DATA after --mean: one value or one per channel")
    return p


def _demo(p, default_out):
    p.add_argument("--demo", action="store_true",
                   help="use the shipped Fashion-MNIST model and real images (no download)")
    p.add_argument("--demo-model", default="resnet", choices=DEMO_MODELS, help="which shipped model --demo uses")
    p.set_defaults(demo_out=default_out)


def _merge(p):
    p.add_argument("--mode", default="exact", choices=["exact", "approximate"],
                   help="exact: only merges giving the same function; approximate: also padded chains")
    p.add_argument("--objective", default="macs", help="what each merge plan minimises: macs (default), "
                   "latency (timed on fibnlr) or layers; for run with --target/--max-divergence also what "
                   "plan_depth buys: latency, macs or nonlinear_ops (non-linear evaluations per image)")
    p.add_argument("--max-mac-growth", type=float, default=1.0, metavar="X",
                   help="skip a merge costing more than X times the MACs it replaces (default 1.0)")


def _key(args):
    if args.key and "," in args.key:
        args.key = tuple(args.key.split(",", 1))
    return args


def build_parser():
    common = _common()
    ap = _Parser(prog="fibnlr", description=DESCRIPTION, epilog=DATA_HELP,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    from .. import __version__
    ap.add_argument("--version", action="version", version=f"fibnlr {__version__}")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=_Parser)

    def command(name, help_text, description):
        return sub.add_parser(name, help=help_text, description=description, epilog=DATA_HELP, parents=[common],
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    p = command("run", "measure, prune, simplify, fine-tune and evaluate in one go",
                "The whole workflow: measure the non-linearities on the calibration data, prune,\n"
                "merge layers (simplify), fine-tune with distillation from the unpruned model\n"
                "(labels mixed in when the training data has them), evaluate each stage, write\n"
                "OUT.onnx and check it with onnxruntime.")
    p.add_argument("model", nargs="?", help="the ONNX model")
    _demo(p, "demo_pruned.onnx")
    p.add_argument("--calibration", "--data", dest="calibration", metavar="DATA", help="calibration images")
    p.add_argument("--train", metavar="DATA", help="fine-tuning images (default: the calibration images)")
    p.add_argument("--eval", metavar="DATA",
                   help="labelled images for the accuracy of each stage (default: the calibration images when labelled)")
    p.add_argument("--out", help="where to write the result (default with --demo: demo_pruned.onnx here)")
    p.add_argument("--params", metavar="PARAMS.json", help="FIBNLR parameters")
    _merge(p)
    p.add_argument("--target", type=float, metavar="X",
                   help="choose with plan_depth until this is reached: a speed-up for --objective latency or "
                        "macs (e.g. 1.3), the fraction of non-linear evaluations left for nonlinear_ops (e.g. 0.5)")
    p.add_argument("--max-divergence", type=float, metavar="KL",
                   help="choose with plan_depth within this damage: mean KL (nats) between the original's and "
                        "the pruned model's outputs on held-out calibration images (default 1.0)")
    p.add_argument("--finetune-epochs", type=int, default=1, metavar="N",
                   help="fine-tuning epochs (default 1; 0: none)")
    p.add_argument("--lr", type=float, default=5e-4, help="fine-tuning learning rate (Adam, default 5e-4)")
    p.add_argument("--report", metavar="DIR", help="also write an HTML/Markdown report with figures into DIR")
    p.add_argument("--json-out", metavar="FILE", help="write the JSON results to FILE (input of 'fibnlr report')")

    p = command("prune", "measure and prune the non-linearities (one-shot FIBNLR)",
                "Measures the non-linearities on the calibration data, prunes the selected ones,\n"
                "writes the pruned model and prints, per measured node: name, group, NPR, NNPR,\n"
                "dead channels / channels and whether it was pruned; then what pruning changed.")
    p.add_argument("model", nargs="?", help="the ONNX model")
    _demo(p, "demo_pruned.onnx")
    p.add_argument("--data", "--calibration", dest="calibration", metavar="DATA", help="calibration images")
    p.add_argument("--out", help="where to write the pruned model (default with --demo: demo_pruned.onnx here)")
    p.add_argument("--params", metavar="PARAMS.json", help="FIBNLR parameters")
    p.add_argument("--json-out", metavar="FILE", help="write the JSON results to FILE (input of 'fibnlr report')")

    p = command("simplify", "merge layers: fold BatchNorm, remove Identity, merge convolutions",
                "Runs fibnlr.recipes.simplify and prints each layer's MACs and parameters before and after.")
    p.add_argument("model", help="the ONNX model (typically pruned)")
    p.add_argument("--out", required=True, help="where to write the simplified model")
    _merge(p)
    p.add_argument("--input-shape", type=_shape, metavar="N,C,H,W", help="input dims when the model leaves them free")

    p = command("finetune", "fine-tune a model, with distillation from a teacher when given",
                "Trains the model's parameters with Adam (fibnlr.finetune; needs torch). With\n"
                "--teacher (typically the unpruned model) the loss is distillation, mixed with\n"
                "cross-entropy where the data has labels; without, cross-entropy on the labels.")
    p.add_argument("model", help="the ONNX model to fine-tune")
    p.add_argument("--train", "--data", dest="train", required=True, metavar="DATA", help="training images")
    p.add_argument("--teacher", metavar="MODEL.onnx", help="the model to distil from")
    p.add_argument("--out", required=True, help="where to write the fine-tuned model")
    p.add_argument("--epochs", type=int, default=1, help="epochs (default 1)")
    p.add_argument("--lr", type=float, default=5e-4, help="learning rate (default 5e-4)")

    p = command("evaluate", "top-1 / top-5 accuracy on labelled images",
                "Runs the model on labelled DATA (fibnlr.evaluate); with --reference also compares\n"
                "its outputs with another model's (top-1 agreement, max logit change).")
    p.add_argument("model", help="the ONNX model")
    p.add_argument("--eval", "--data", dest="eval", required=True, metavar="DATA", help="labelled images")
    p.add_argument("--reference", metavar="MODEL.onnx", help="a model to compare the outputs with")

    p = command("inspect", "layers, MACs and parameters per layer, non-linearities",
                "Lists each compute layer with its MACs per image and parameters, and each\n"
                "non-linearity with its type and whether FIBNLR's default node_types measure it.")
    p.add_argument("model", help="the ONNX model")
    p.add_argument("--input-shape", type=_shape, metavar="N,C,H,W", help="input dims when the model leaves them free")

    p = command("report", "HTML/Markdown report with figures, from a JSON result or measuring again",
                "Either from the JSON that 'run --json-out' or 'prune --json-out' wrote:\n"
                "  fibnlr report --from-json RESULT.json --out DIR\n"
                "or measuring again, once per parameter file, each on a copy of the model:\n"
                "  fibnlr report MODEL.onnx --calibration DATA --params a.json b.json --out DIR")
    p.add_argument("model", nargs="?", help="the ONNX model (when measuring)")
    _demo(p, None)
    p.add_argument("--from-json", metavar="RESULT.json", help="a JSON result of run or prune")
    p.add_argument("--calibration", "--data", dest="calibration", metavar="DATA", help="calibration images")
    p.add_argument("--params", nargs="+", metavar="PARAMS.json", help="one run per file (default: the defaults)")
    p.add_argument("--out", required=True, metavar="DIR", help="the report's folder")
    return ap


def parse(argv):
    return _key(build_parser().parse_args(argv))
