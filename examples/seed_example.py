"""The upstream FIBNLR Python example, ported to fibnlr.

Only the import lines and module names differ from the upstream script (see
the block marked "changed"): ResNet18 is loaded from ONNX, a CIFAR-10 data
provider of batch 64 with shuffle and drop_last feeds the recipe, the model
is compiled with ``model.compile("cpu", datatype=float32, dims=[tensor.dims()])``,
then the recipe runs in one shot (``fibnlr(model, provider, params)``) and in
its three-step form (prepare, compute, prune).

What the script adds around the upstream code, since nothing may be
downloaded here: it builds the ResNet18 itself (PyTorch, CIFAR stem,
untrained, deterministic) and exports it to ONNX; and it reads the 20 real
CIFAR-10 test images that ship with ``pip install --no-deps foolbox==3.3.4``,
served with the standard CIFAR augmentation (random flip, 4-pixel padded
crop) so that batches of 64 can be drawn, or random images when foolbox is
absent. ``--width`` scales the network (64 = the real ResNet18; the default
8 keeps the run short on the reference kernels).

    python examples/seed_example.py [--width 8] [--batches 4]
"""
from __future__ import annotations

import argparse
import glob
import importlib.util
import os
import tempfile
import warnings
from typing import SupportsIndex, SupportsInt

import numpy as np
import numpy.typing as npt

# ---- changed: imports and module names (upstream: aidge_core, aidge_onnx, aidge_backend_cpu) ----
import fibnlr as aidge_core
import fibnlr as aidge_onnx
float32 = aidge_core.dtype.float32  # upstream: from aidge_core import dtype ... dtype.float32
# ---- end of the changed lines -------------------------------------------------------------------


def build_resnet18_onnx(path: str, width: int) -> None:
    """A CIFAR ResNet18 (BasicBlock x [2, 2, 2, 2], 3x3 stem), exported to ONNX."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self, cin: int, cout: int, stride: int) -> None:
            super().__init__()
            self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.b1 = nn.BatchNorm2d(cout)
            self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.b2 = nn.BatchNorm2d(cout)
            self.short: nn.Module = (nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
                          if stride != 1 or cin != cout else nn.Identity())

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            y = torch.relu(self.b1(self.c1(x)))
            return torch.relu(self.b2(self.c2(y)) + self.short(x))

    class ResNet18(nn.Module):
        def __init__(self, w: int) -> None:
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, w, 3, 1, 1, bias=False), nn.BatchNorm2d(w), nn.ReLU())
            layers: list[nn.Module] = []
            cin = w
            for i in range(4):
                for j in range(2):
                    layers.append(Block(cin, w * 2 ** i, 2 if i > 0 and j == 0 else 1))
                    cin = w * 2 ** i
            self.layers = nn.Sequential(*layers)
            self.fc = nn.Linear(cin, 10)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            x = self.layers(self.stem(x))
            scores: torch.Tensor = self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))
            return scores

    torch.manual_seed(0)
    model = ResNet18(width).eval()
    with torch.no_grad():  # non-trivial BN statistics, as a trained model has
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                assert m.running_mean is not None and m.running_var is not None  # track_running_stats
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.bias.normal_(0, 0.2)
    warnings.simplefilter("ignore", DeprecationWarning)  # the legacy exporter is used on purpose
    torch.onnx.export(model, (torch.zeros(1, 3, 32, 32),), path, dynamo=False, opset_version=13,
                      input_names=["input"], output_names=["output"], dynamic_axes={"input": {0: "N"}})


def cifar10_images() -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64], str]:
    """(images float32 NCHW normalised, labels, source) from foolbox's 20 real CIFAR-10 images."""
    spec = importlib.util.find_spec("foolbox")
    if spec is not None and spec.submodule_search_locations:
        from PIL import Image
        d = os.path.join(spec.submodule_search_locations[0], "data")
        files = sorted(glob.glob(os.path.join(d, "cifar10_[0-9][0-9]_*.png")))
        if files:
            x = np.stack([np.asarray(Image.open(f).convert("RGB")) for f in files]).astype(np.float32) / 255.0
            y = np.array([int(f[:-4].rsplit("_", 1)[1]) for f in files], dtype=np.int64)
            mean, std = np.array([0.4914, 0.4822, 0.4465]), np.array([0.2470, 0.2435, 0.2616])
            x = ((x - mean) / std).astype(np.float32).transpose(0, 3, 1, 2)
            return np.ascontiguousarray(x), y, f"{len(files)} real CIFAR-10 test images (foolbox)"
    rng = np.random.default_rng(0)
    return (rng.standard_normal((20, 3, 32, 32), dtype=np.float32), rng.integers(0, 10, 20),
            "random images (install foolbox==3.3.4 for real CIFAR-10 images)")


class CIFAR10Database(aidge_core.Database):
    """`size` items drawn from the real images with the standard CIFAR augmentation."""

    def __init__(self, images: npt.NDArray[np.float32], labels: npt.NDArray[np.int64], size: int) -> None:
        aidge_core.Database.__init__(self)
        self.images, self.labels, self.size = images, labels, size

    def get_item(self, index: SupportsInt | SupportsIndex) -> list[npt.NDArray[np.float32] | np.int64]:
        rng = np.random.default_rng(int(index))
        k = int(index) % len(self.images)
        img = self.images[k]
        if rng.random() < 0.5:
            img = img[:, :, ::-1]
        padded = np.pad(img, ((0, 0), (4, 4), (4, 4)))
        dy, dx = rng.integers(0, 9, 2)
        return [np.ascontiguousarray(padded[:, dy:dy + 32, dx:dx + 32]), self.labels[k]]

    def len(self) -> int:
        return self.size

    def get_nb_modalities(self) -> int:
        return 2


def print_nodes(nodes: list[aidge_core.Node], pruned: list[aidge_core.Node]) -> None:
    pruned_names = {n.name() for n in pruned}
    print(f"{'node':<28}{'group':>7}{'NPR':>12}{'NNPR':>10}{'dead/channels':>15}  pruned")
    for node in nodes:
        npr = aidge_core.fibnlr_get_npr(node)
        tracker = aidge_core.fibnlr_get_activity_tracker(node)
        print(f"{node.name():<28}{aidge_core.fibnlr_get_group(node).id:>7}{npr.value():>12.4f}"
              f"{aidge_core.fibnlr_get_nnpr(node).value:>10.4f}"
              f"{tracker.count_dead_neurons():>8}/{len(tracker.neurons):<6}  "
              f"{'yes' if node.name() in pruned_names else 'no'}")


def main() -> None:
    ap = argparse.ArgumentParser(description="The upstream FIBNLR example, ported")
    ap.add_argument("--width", type=int, default=8, help="ResNet18 base width (64 = full size)")
    ap.add_argument("--batches", type=int, default=4, help="batches of 64 in the data provider")
    args = ap.parse_args()

    images, labels, source = cifar10_images()
    print(f"data: {source}; model: ResNet18 width {args.width}")
    onnx_path = os.path.join(tempfile.mkdtemp(), "resnet18.onnx")
    build_resnet18_onnx(onnx_path, args.width)

    # ---- the upstream example (names as upstream) ----
    model = aidge_onnx.load_onnx(onnx_path)
    database = CIFAR10Database(images, labels, 64 * args.batches)
    provider = aidge_core.DataProvider(database, batch_size=64, shuffle=True, drop_last=True)
    tensor = aidge_core.Tensor(next(iter(provider))[0])
    model.compile("cpu", datatype=float32, dims=[tensor.dims()])

    params = aidge_core.fibnlr_Parameters()
    print(params)
    pruned = aidge_core.fibnlr(model, provider, params)
    print(f"\none shot: fibnlr(model, provider, params) pruned {len(pruned)} non-linearities")

    # the three-step form on a fresh copy of the model
    model3 = aidge_onnx.load_onnx(onnx_path)
    model3.compile("cpu", datatype=float32, dims=[tensor.dims()])
    prepared = aidge_core.fibnlr_prepare(model3, params)
    convergence = aidge_core.fibnlr_compute(model3, provider, params)
    order = aidge_core.fibnlr_prepared_nodes(model3)  # topological order, before pruning
    pruned3 = aidge_core.fibnlr_prune(model3, params)
    print(f"three steps: {len(prepared)} prepared, {len(convergence)} batches "
          f"(convergence values {', '.join(f'{c:.3g}' for c in convergence)}), {len(pruned3)} pruned\n")
    print_nodes(order, pruned3)
    assert {n.name() for n in pruned} == {n.name() for n in pruned3}, "one shot and three steps disagree"

    x = tensor.numpy()
    y = model3.forward(x)[0]
    print(f"\npruned model output: {y.shape}, batch of {x.shape[0]} runs")


if __name__ == "__main__":
    main()
