"""Timing merge candidates on onnxruntime, for ``simplify(objective="latency",
latency_runtime="onnxruntime")``. The core builds each candidate (a segment of
layers, or its merged layer) as a small graph; this times its ONNX export."""
from __future__ import annotations

import math
import time

import numpy as np


def onnxruntime_timer():
    """A timer(graph, dims) -> seconds per forward on onnxruntime's CPU provider
    (fibnlr's thread count); ValueError when onnxruntime is not installed."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise ValueError("latency_runtime 'onnxruntime' needs the onnxruntime package "
                         "(pip install onnxruntime), or use latency_runtime='fibnlr'") from None
    from . import get_num_threads
    from .onnx_io import to_onnx

    def timer(graph, dims):
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = get_num_threads()
        opts.inter_op_num_threads = 1
        sess = ort.InferenceSession(to_onnx(graph).SerializeToString(), opts, providers=["CPUExecutionProvider"])
        feed = {sess.get_inputs()[0].name: np.zeros(dims, np.float32)}
        sess.run(None, feed)  # warm-up
        best, total, runs = math.inf, 0.0, 0
        while runs < 200 and (runs < 5 or total < 0.02):
            t = time.perf_counter()
            sess.run(None, feed)
            s = time.perf_counter() - t
            best, total, runs = min(best, s), total + s, runs + 1
        return best

    return timer
