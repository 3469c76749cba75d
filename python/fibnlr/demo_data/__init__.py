"""Real data for the demo: two small Fashion-MNIST models and a subset of Fashion-MNIST, shipped in the package.

- ``model_path(name)``: path of the ONNX file of ``"resnet"`` (basic residual
  blocks, ReLU) or ``"mobilenetv2"`` (inverted residuals, ReLU6 as Clip), both
  trained on the 60,000 Fashion-MNIST training images; input [N, 1, 28, 28]
  from ``to_input``, output 10 class scores.
- ``load_subset()``: ``(calib_x, calib_y, test_x, test_y)``: the first 1,000
  training images (calibration; their labels serve a demo fine-tuning) and
  the first 2,000 test images, uint8 [N, 28, 28], with int64 labels.
- ``to_input(images)``: uint8 [N, 28, 28] -> float32 [N, 1, 28, 28],
  ``(pixel / 255 - MEAN) / STD``.
- ``CLASSES``: the ten class names, by label.

Made by ``experiments/train_demo_models.py`` (fixed seeds) from Debian's
``dataset-fashion-mnist``; Fashion-MNIST is (c) Zalando SE, MIT licence (see
LICENSE in this directory).
"""
from __future__ import annotations

import os

import numpy as np

__all__ = ["CLASSES", "MEAN", "MODELS", "STD", "load_subset", "model_path", "to_input"]

CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
MODELS = ("resnet", "mobilenetv2")
MEAN, STD = 0.2860, 0.3530  # Fashion-MNIST training-set pixel mean and std, on pixel / 255

_DIR = os.path.dirname(os.path.abspath(__file__))


def model_path(name: str) -> str:
    """Path of the shipped ONNX model ``name`` (one of ``MODELS``)."""
    if name not in MODELS:
        raise ValueError(f"no demo model '{name}'; expected one of: {', '.join(MODELS)}")
    return os.path.join(_DIR, f"{name}.onnx")


def load_subset():
    """(calib_x, calib_y, test_x, test_y): uint8 [1000, 28, 28], int64 [1000], uint8 [2000, 28, 28], int64 [2000]."""
    with np.load(os.path.join(_DIR, "fashion_mnist_subset.npz")) as f:
        return f["calib_x"], f["calib_y"].astype(np.int64), f["test_x"], f["test_y"].astype(np.int64)


def to_input(images) -> np.ndarray:
    """uint8 images [N, 28, 28] (or [28, 28]) -> the models' input, float32 [N, 1, 28, 28]."""
    x = np.asarray(images)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3 or x.shape[1:] != (28, 28):
        raise ValueError(f"images have shape {list(x.shape)}; expected [N, 28, 28] (Fashion-MNIST, uint8 0..255)")
    x = x.astype(np.float32)[:, None] / 255.0
    return np.ascontiguousarray((x - MEAN) / STD, dtype=np.float32)
