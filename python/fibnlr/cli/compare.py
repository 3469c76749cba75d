"""What a step changed: outputs of two models compared, accuracy, latency, and the export check."""
from __future__ import annotations

import os

import numpy as np

from ..merge_latency import fibnlr_timer
from ..evaluation import _is_compiled, evaluate


def scores(graph, x, batch):
    """The graph's output for all of ``x``, [N, ...], run in batches (compiled for them when it is not)."""
    if not _is_compiled(graph):
        graph.compile(backend="cpu", dims=[[min(batch, len(x)), *x.shape[1:]]])
    return np.concatenate([graph.forward(x[i:i + batch])[0] for i in range(0, len(x), batch)])


def change(before, after):
    """Top-1 agreement (%) and the largest |logit change| between two models' outputs on the same images."""
    agree = float(np.mean(before.argmax(axis=1) == after.argmax(axis=1))) * 100.0
    return {"top1_agreement": agree, "max_logit_change": float(np.abs(before - after).max()),
            "images": int(before.shape[0])}


def top1(graph, data, batch, progress):
    """Top-1 accuracy in % on labelled ``data`` (fibnlr.evaluate)."""
    return 100.0 * evaluate(graph, data, batch_size=batch, progress=progress)["top1"]


def latency_ms(graph, dims):
    """Best time of one forward at batch 1 on fibnlr, in ms (on a clone)."""
    return fibnlr_timer(graph, [[1, *dims]]) * 1e3


def export_check(graph, path, x):
    """Max |difference| between onnxruntime on the written file and fibnlr on ``x``; None without onnxruntime."""
    try:
        import onnxruntime as ort
    except ImportError:
        return None
    sess = ort.InferenceSession(os.fspath(path), providers=["CPUExecutionProvider"])
    got = sess.run(None, {sess.get_inputs()[0].name: x})[0]
    return float(np.abs(got - graph.forward(x)[0]).max())


def export_line(path, err):
    if err is None:
        return "export check skipped: onnxruntime is not installed"
    return (f"export check: onnxruntime agrees with fibnlr on the written file {os.path.basename(path)} "
            f"to {err:.2e} (max |difference|)")


def change_line(what, c):
    return (f"{what}: top-1 agreement with the original {c['top1_agreement']:.2f} % on {c['images']} "
            f"calibration images, max logit change {c['max_logit_change']:.3g}")
