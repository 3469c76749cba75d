"""The model and data a command works on: the shipped demo, or files given on the command line."""
from __future__ import annotations

import os
from dataclasses import dataclass

from .model import demo, load_data, load_model


@dataclass
class Source:
    graph: object          # the model, loaded
    path: str              # its file
    label: str             # what the first output line says about it
    calibration: object    # images [N, ...]
    calibration_y: object  # their labels or None
    train: object = None   # (x, y or None) for fine-tuning, None: the calibration images
    eval: object = None    # (x, y) for accuracy, None: none
    out: str = None        # where to write the result
    eval_what: str = ""    # what the eval images are, for the output


def load_source(args, need_out=True):
    """The Source of run / prune / report: ``--demo`` or MODEL with --calibration (and --train, --eval)."""
    if args.demo:
        graph, path, calib_x, train, test = demo(args.demo_model)
        label = (f"demo: the shipped {args.demo_model} trained on Fashion-MNIST, {len(calib_x)} calibration "
                 f"images, {len(train[1])} training images, {len(test[1])} real test images")
        out = args.out if getattr(args, "out", None) else args.demo_out
        return Source(graph, path, label, calib_x, None, train, test, out, "real Fashion-MNIST test images")
    command = args.command
    data_flag = "--data DATA" if command == "prune" else "--calibration DATA"
    missing = [flag for flag, value in (("MODEL.onnx", args.model), (data_flag, args.calibration),
                                        ("--out OUT.onnx", getattr(args, "out", True) if need_out else True))
               if not value]
    if missing:
        raise ValueError(f"{command} needs {', '.join(missing)} (or --demo)")
    graph = load_model(args.model)
    x, y = load_data(args.calibration, graph, args, "--calibration")
    train = load_data(args.train, graph, args, "--train") if getattr(args, "train", None) else None
    evaluation = load_data(args.eval, graph, args, "--eval") if getattr(args, "eval", None) else None
    if evaluation is not None and evaluation[1] is None:
        raise ValueError(f"--eval {args.eval} has no labels; give a .npz with 'y' or a folder of class folders")
    label = f"{args.model} with {args.calibration} ({len(x)} calibration images)"
    what = f"images of {getattr(args, 'eval', None)}"
    if evaluation is None and y is not None:  # accuracy on the calibration images: biased, but what there is
        evaluation, what = (x, y), f"calibration images of {args.calibration}"
    return Source(graph, os.fspath(args.model), label, x, y, train, evaluation, getattr(args, "out", None), what)
