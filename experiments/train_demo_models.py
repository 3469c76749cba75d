"""Trains the two Fashion-MNIST models shipped in ``python/fibnlr/demo_data/`` and cuts the shipped subset.

    python experiments/train_demo_models.py [--epochs 1] [--threads 2] [--out python/fibnlr/demo_data]

Reads Debian's full Fashion-MNIST (``apt-get install dataset-fashion-mnist``:
60,000 training and 10,000 test images) and, with fixed seeds:

- trains ``resnet`` (basic residual blocks, 16/32/64 channels, BatchNorm,
  ReLU) and ``mobilenetv2`` (inverted residual blocks: 1x1 expansion,
  3x3 depthwise, linear 1x1 projection, ReLU6) with SGD + momentum and a
  one-cycle learning rate, on the 60,000 training images;
- writes each as ONNX (``<name>.onnx``, opset 17, free batch size; the
  TorchScript exporter folds each eval-mode BatchNorm into its conv);
- writes ``fashion_mnist_subset.npz``: ``calib_x`` / ``calib_y`` (the first
  ``--calib`` training images, for FIBNLR calibration and demo fine-tuning),
  ``test_x`` / ``test_y`` (the first ``--test`` test images), uint8.

The networks read ``fibnlr.demo_data.to_input(images)``: [N, 1, 28, 28]
float32, (pixel / 255 - MEAN) / STD. Torch is needed only here, not by the
package.
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn

DATA_DIR = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel mean and std (pixel / 255)


def load_fashion_mnist(data_dir=DATA_DIR):
    """(train_x, train_y, test_x, test_y): uint8 images [N, 28, 28] and uint8 labels, from the IDX files."""
    def read(name, offset):
        path = os.path.join(data_dir, name)
        if not os.path.exists(path):
            raise SystemExit(f"{path} is missing: apt-get install dataset-fashion-mnist")
        with gzip.open(path) as f:
            return np.frombuffer(f.read(), np.uint8, offset=offset)  # IDX headers: 16 bytes images, 8 labels
    return (read("train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28), read("train-labels-idx1-ubyte.gz", 8),
            read("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28), read("t10k-labels-idx1-ubyte.gz", 8))


def to_input(images):
    """uint8 [N, 28, 28] -> normalised float32 [N, 1, 28, 28] (same as fibnlr.demo_data.to_input)."""
    x = np.asarray(images, dtype=np.float32)[:, None] / 255.0
    return np.ascontiguousarray((x - MEAN) / STD, dtype=np.float32)


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN, plus the input (or its 1x1 strided projection), then ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.relu1, self.relu2 = nn.ReLU(), nn.ReLU()
        self.shortcut = nn.Identity()
        if stride != 1 or cin != cout:
            self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.relu1(self.bn1(self.conv1(x)))
        return self.relu2(self.bn2(self.conv2(y)) + self.shortcut(x))


class ResNet(nn.Module):
    """Stem conv (8) then 2 basic blocks at each of 8, 16 (stride 2), 32 (stride 2) channels: 15 convs, 13 ReLUs.

    Narrow on purpose: it trains in one epoch on 2 shared cores and still reaches ~88 %."""

    def __init__(self, widths=(8, 16, 32), blocks=2, classes=10):
        super().__init__()
        layers = [nn.Conv2d(1, widths[0], 3, 1, 1, bias=False), nn.BatchNorm2d(widths[0]), nn.ReLU()]
        cin = widths[0]
        for i, w in enumerate(widths):
            for b in range(blocks):
                layers.append(BasicBlock(cin, w, 2 if (i > 0 and b == 0) else 1))
                cin = w
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(cin, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class InvertedResidual(nn.Module):
    """1x1 expand-BN-ReLU6, 3x3 depthwise-BN-ReLU6, 1x1 project-BN (linear); + input when shapes match."""

    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = []
        if expand != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), nn.ReLU6()]
        layers += [nn.Conv2d(hidden, hidden, 3, stride, 1, groups=hidden, bias=False), nn.BatchNorm2d(hidden),
                   nn.ReLU6(), nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.block(x)
        return x + y if self.residual else y


class MobileNetV2(nn.Module):
    """Stride-2 stem conv (16), inverted residual stages (expansion t, channels c, blocks n, stride s) at 14x14
    and 7x7, a 1x1 conv to 128, pooling, linear classifier."""

    SETTINGS = ((1, 16, 1, 1), (4, 24, 2, 1), (4, 32, 3, 2), (4, 64, 2, 1))

    def __init__(self, classes=10):
        super().__init__()
        layers = [nn.Conv2d(1, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU6()]
        cin = 16
        for t, c, n, s in self.SETTINGS:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers += [nn.Conv2d(cin, 128, 1, bias=False), nn.BatchNorm2d(128), nn.ReLU6()]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(128, classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


ARCHITECTURES = {"resnet": ResNet, "mobilenetv2": MobileNetV2}


def train(name, train_x, train_y, epochs=1, batch_size=128, lr=0.1, seed=0, log=print):
    """A freshly initialised ``name`` network trained on uint8 images (fixed seed); returned in eval mode."""
    torch.manual_seed(seed)
    net = ARCHITECTURES[name]()
    x, y = torch.from_numpy(to_input(train_x)), torch.from_numpy(train_y.astype(np.int64))
    steps = epochs * (len(x) // batch_size)
    opt = torch.optim.SGD(net.parameters(), lr=lr, momentum=0.9, weight_decay=5e-4, nesterov=True)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=steps, pct_start=0.25)
    gen = torch.Generator().manual_seed(seed)
    net.train()
    start, step = time.time(), 0
    for epoch in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for i in range(len(x) // batch_size):
            idx = order[i * batch_size:(i + 1) * batch_size]
            xb = x[idx]
            flip = torch.rand(len(idx), generator=gen) < 0.5          # horizontal flips: clothes are symmetric
            xb = torch.where(flip[:, None, None, None], xb.flip(3), xb)
            loss = nn.functional.cross_entropy(net(xb), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            if step % 20 == 0:
                log(f"{name} epoch {epoch + 1} step {step}/{steps} loss {loss.item():.3f} "
                    f"({time.time() - start:.0f} s)")
    return net.eval()


def torch_top1(net, images, labels, batch_size=500):
    with torch.no_grad():
        x = torch.from_numpy(to_input(images))
        pred = torch.cat([net(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)])
    return float((pred.numpy() == labels).mean())


def export_onnx(net, path):
    """ONNX with a free batch size (TorchScript exporter, opset 17)."""
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}}, opset_version=17, dynamo=False)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "python", "fibnlr", "demo_data"))
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--calib", type=int, default=1000, help="training images shipped for calibration")
    ap.add_argument("--test", type=int, default=2000, help="test images shipped")
    ap.add_argument("--models", default="resnet,mobilenetv2", help="which models to train ('' = only the subset)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    train_x, train_y, test_x, test_y = load_fashion_mnist()
    os.makedirs(args.out, exist_ok=True)
    np.savez_compressed(os.path.join(args.out, "fashion_mnist_subset.npz"), calib_x=train_x[:args.calib],
                        calib_y=train_y[:args.calib],
                        test_x=test_x[:args.test], test_y=test_y[:args.test])
    for name in filter(None, args.models.split(",")):
        start = time.time()
        net = train(name, train_x, train_y, epochs=args.epochs)
        path = os.path.join(args.out, f"{name}.onnx")
        export_onnx(net, path)
        print(f"{name}: top-1 {100 * torch_top1(net, test_x, test_y):.2f} % on the 10,000 test images, "
              f"{sum(p.numel() for p in net.parameters())} parameters, trained in {time.time() - start:.0f} s, "
              f"{os.path.getsize(path)} bytes -> {path}")


if __name__ == "__main__":
    main()
