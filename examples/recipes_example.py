"""The FIBNLR recipe and depth merging with the clean, typed API.

Loads the small Fashion-MNIST ResNet that ships with fibnlr, measures how
linearly each ReLU behaves on calibration batches, prunes the most linear
ones, merges the convolutions left back to back, and prints what changed.
The script type-checks with ``mypy --strict`` (fibnlr ships type stubs).

    python examples/recipes_example.py
"""
from __future__ import annotations

import numpy as np
import numpy.typing as npt

import fibnlr
from fibnlr import demo_data
from fibnlr.recipes import AblationCriteria, Parameters, compute, get_nnpr, get_npr, prepare, prune, simplify

BATCH = 64


def calibration_batches(count: int, seed: int = 0) -> list[npt.NDArray[np.float32]]:
    """`count` batches of standard-normal images [BATCH, 1, 28, 28] (stand-ins for calibration images)."""
    rng = np.random.default_rng(seed)
    return [rng.standard_normal((BATCH, 1, 28, 28), dtype=np.float32) for _ in range(count)]


def main() -> None:
    model = fibnlr.load_onnx(demo_data.model_path("resnet"))
    model.compile(dims=[[BATCH, 1, 28, 28]])   # the model file leaves the batch size open
    batches = calibration_batches(4)
    before = model.forward(batches[0])[0]

    params = Parameters(ablation_criteria=AblationCriteria.THRESHOLD, ablation_threshold=0.25)
    prepared = prepare(model, params)          # nodes in graph order
    convergence = compute(model, batches, params)
    print(f"{len(prepared)} non-linearities measured over {len(convergence)} batches")
    for node in prepared:
        print(f"  {node.name():<24} NPR {get_npr(node).ratio:8.4f}   NNPR {get_nnpr(node).ratio:8.4f}")

    pruned = prune(model, params)
    print(f"pruned: {', '.join(node.name() for node in pruned) or 'nothing'}")

    result = simplify(model, dims=[[1, 1, 28, 28]])
    print(result)
    print(fibnlr.format_simplify_report(result))

    model.compile(dims=[[BATCH, 1, 28, 28]])
    after = model.forward(batches[0])[0]
    print(f"output {after.shape}; max change from pruning: {float(np.abs(after - before).max()):.4f}")


if __name__ == "__main__":
    main()
