"""Top-1 / top-5 accuracy of a graph on labelled data, on fibnlr's own backend."""
from __future__ import annotations

import numpy as np

from .batches import Batches
from .checks import positive_int, single_input_output
from .progress import progress_bar


def _is_compiled(graph) -> bool:
    try:
        graph.compiled_plan()
        return True
    except ValueError:
        return False


def evaluate(graph, data, batch_size: int = 256, progress: bool = True, *, key=None) -> dict:
    """Runs ``graph.forward`` over labelled ``data`` and returns
    ``{"top1": ..., "top5": ..., "images": ...}`` (fractions in [0, 1]; top-5 is
    top-k with k = min(5, classes)). The output is read as class scores [N, classes].

    ``data``: an (images, labels) pair of arrays, an iterable of (x, y) batches
    (e.g. a torch DataLoader), or dict batches with ``key=(images key, labels key)``;
    ``batch_size`` splits arrays. A graph not compiled yet is compiled for the
    first batch's shape; a compiled one keeps its dims (only the batch may differ).
    Torch is not needed. A bar shows progress when ``progress`` and stderr is a terminal.
    """
    batch_size = positive_int("batch_size", batch_size)
    single_input_output(graph, "evaluate")
    batches = Batches(data, batch_size, key)
    compiled = _is_compiled(graph)
    top1 = top5 = images = 0
    for x, y in progress_bar(batches.epoch(), progress, total=batches.count(), desc="evaluate"):
        if y is None:
            raise ValueError("evaluate needs labels: give (images, labels) or (x, y) batches")
        if not compiled:
            graph.compile(dims=[list(x.shape)])
            compiled = True
        (scores,) = graph.forward(x)
        if scores.ndim != 2 or scores.shape[0] != x.shape[0]:
            raise ValueError(f"graph '{graph.name()}' outputs shape {list(scores.shape)} for a batch of "
                             f"{x.shape[0]}; evaluate expects class scores [{x.shape[0]}, classes]")
        classes = scores.shape[1]
        if y.min() < 0 or y.max() >= classes:
            raise ValueError(f"labels must be class indices in [0, {classes}), got values from {y.min()} to {y.max()}")
        k = min(5, classes)
        best_k = np.argpartition(-scores, k - 1, axis=1)[:, :k]
        top1 += int((scores.argmax(axis=1) == y).sum())
        top5 += int((best_k == y[:, None]).any(axis=1).sum())
        images += x.shape[0]
    if images == 0:
        raise ValueError("evaluate: the data holds no images")
    return {"top1": top1 / images, "top5": top5 / images, "images": images}
