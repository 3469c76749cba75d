"""The progress bars of evaluate, finetune and measuring (``measure``: fibnlr_compute with a bar)."""
from __future__ import annotations

import sys
from collections.abc import Mapping

from tqdm import tqdm


def progress_bar(iterable, enabled: bool, total=None, desc=None) -> tqdm:
    """A tqdm bar over `iterable`, shown only when `enabled` and stderr is a
    terminal (no bar characters in logs, captured test output or CI)."""
    isatty = getattr(sys.stderr, "isatty", None)
    show = bool(enabled) and isatty is not None and isatty()
    return tqdm(iterable, total=total, desc=desc, disable=not show, leave=False, unit="batch")


def measure(graph, batches, params=None, progress: bool = True, *, key=None) -> list:
    """``fibnlr_compute(graph, batches, params)`` with a bar over the batches.

    ``batches``: a list (or any sized iterable, e.g. a torch DataLoader) of
    input batches, as ``fibnlr_compute`` takes them, or of dicts whose entry
    ``key`` is the input; the graph compiled and prepared. The bar's
    postfix is the convergence value of the last batch, the same sum the recipe
    compares with ``convergence_threshold``: Σ over prepared nodes of the squared
    change of NPR since the previous batch (nodes that saw no positive input yet
    left out). The recipe may stop before the last batch; the bar then stops too.
    Returns the recipe's convergence values.
    """
    from ._core import recipes

    params = params if params is not None else recipes.fibnlr_Parameters()
    nodes = recipes.fibnlr_prepared_nodes(graph)
    try:
        total = len(batches)
    except TypeError:
        total = None
    if total is not None and params.max_iteration > 0:
        total = min(total, params.max_iteration)
    bar = progress_bar(None, progress, total=total, desc="measure")

    def npr_state():
        out = []
        for node in nodes:
            npr = recipes.fibnlr_get_npr(node)
            out.append((npr.value(), npr.pos))
        return out

    previous = npr_state()

    def done(k):
        # Batch k has run (the recipe asks for batch k + 1 or stops): its convergence value, as the recipe's.
        nonlocal previous
        current = npr_state()
        if k > 0:
            change = sum((v - pv) ** 2 for (v, pos), (pv, ppos) in zip(current, previous) if pos > 0 and ppos > 0)
            bar.set_postfix(convergence=f"{change:.3g}", refresh=False)
        previous = current
        bar.update(1)

    def feed():
        k = -1
        for k, batch in enumerate(batches):
            if k > 0:
                done(k - 1)
            if isinstance(batch, Mapping):
                if key is None or key not in batch:
                    raise TypeError(f"batch {k} is a dict with keys {sorted(map(str, batch))}: pass key= the "
                                    f"input entry's name" + ("" if key is None else f" (not {key!r})"))
                batch = batch[key]
            yield batch
        if k >= 0:
            done(k)

    try:
        convergence = recipes.fibnlr_compute(graph, feed(), params)
        if convergence and not bar.disable and bar.n < len(convergence):  # stopped early: the last batch's value
            bar.set_postfix(convergence=f"{convergence[-1]:.3g}", refresh=False)
            bar.update(len(convergence) - bar.n)
        return convergence
    finally:
        bar.close()
