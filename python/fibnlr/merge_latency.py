"""Timers of a whole graph at given dims: ``fibnlr_timer`` (our backend) and
``onnxruntime_timer()`` (onnxruntime's CPU provider, for
``simplify(objective="latency", latency_runtime="onnxruntime")``; the core
builds each merge candidate as a small graph and this times its ONNX export).
``plan_depth`` and the CLI's batch-1 latency use the same timers."""
from __future__ import annotations

import math
import time

import numpy as np


def best_seconds(run) -> float:
    """Best time of ``run()`` after one warm-up call: at least 5 calls and 20 ms, at most 200 calls
    (the best is the one least disturbed by other processes)."""
    run()  # warm-up: plans, packed weights, session caches
    best, total, runs = math.inf, 0.0, 0
    while runs < 200 and (runs < 5 or total < 0.02):
        t = time.perf_counter()
        run()
        s = time.perf_counter() - t
        best, total, runs = min(best, s), total + s, runs + 1
    return best


def fibnlr_timer(graph, dims) -> float:
    """Best seconds per forward of ``graph`` on fibnlr at ``dims`` (a clone is compiled; the graph is untouched)."""
    g = graph.clone()
    g.compile(dims=dims)
    x = np.zeros(dims[0], np.float32)
    return best_seconds(lambda: g.forward(x))


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
        return best_seconds(lambda: sess.run(None, feed))

    return timer
