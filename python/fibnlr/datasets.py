"""Images from files, for the command line and scripts: ``load_images(path, key=None) -> (x, y or None)``.

Accepted ``path``:

- a ``.npz`` file: the images are the array ``x`` (else ``input``, else the
  only array), the labels the array ``y`` when present; ``key`` names the
  images array, or ``(images key, labels key)``;
- a ``.npy`` file: one array of images, no labels;
- a folder in the usual one-folder-per-class layout (``folder/<class>/*.png``,
  any format Pillow reads): the labels are the class folders' indices in
  sorted name order (``class_names(path)``).

Values: integer arrays and image files hold pixels 0..255 and are scaled to
[0, 1]; float arrays are taken as they are. Then, when given,
``(x - mean) / std`` per channel (one value, or one per channel). Image files
are converted to grey or RGB by ``channels`` (1 or 3) and resized to ``size``
(height, width) with bilinear filtering; the result is float32
[N, channels, height, width]. A [N, H, W] array gets its channel axis when
``channels`` is 1. Bad input is a ValueError naming the file and what was
expected.
"""
from __future__ import annotations

import os

import numpy as np

from .batches import split_key

__all__ = ["IMAGE_EXTENSIONS", "class_names", "load_images", "normalise"]

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


def _load_npz(path, key):
    images_key, labels_key = split_key(key)
    with np.load(path, allow_pickle=False) as npz:
        names = list(npz.files)
        if not names:
            raise ValueError(f"{path} holds no array")
        if images_key is None:
            images_key = "x" if "x" in names else "input" if "input" in names else names[0] if len(names) == 1 else None
            if images_key is None:
                raise ValueError(f"{path} holds the arrays {names} but none named 'x'; name the images with --key")
        if images_key not in names:
            raise ValueError(f"{path} has no array '{images_key}'; it holds {names}")
        if labels_key is not None and labels_key not in names:
            raise ValueError(f"{path} has no labels array '{labels_key}'; it holds {names}")
        labels_key = labels_key or ("y" if "y" in names and images_key != "y" else None)
        return npz[images_key], (npz[labels_key] if labels_key else None), f"{path}['{images_key}']"


def class_names(folder) -> list:
    """The class folders of an image folder, sorted: label i is ``class_names(folder)[i]``."""
    return sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))


def _load_folder(folder, channels, size):
    try:
        from PIL import Image
    except ImportError:
        raise ValueError(f"reading the image folder {folder} needs Pillow (pip install Pillow)") from None
    classes = class_names(folder)
    if not classes:
        raise ValueError(f"{folder} has no class folders; expected {folder}/<class>/<image files>")
    if channels not in (None, 1, 3):
        raise ValueError(f"images can be read as 1 (grey) or 3 (RGB) channels, the model takes {channels}")
    mode = {1: "L", 3: "RGB", None: "RGB"}[channels]
    images, labels = [], []
    for label, name in enumerate(classes):
        sub = os.path.join(folder, name)
        for file in sorted(os.listdir(sub)):
            if not file.lower().endswith(IMAGE_EXTENSIONS):
                continue
            file_path = os.path.join(sub, file)
            try:
                with Image.open(file_path) as im:
                    im = im.convert(mode)
                    if size is not None and im.size != (size[1], size[0]):
                        im = im.resize((size[1], size[0]), Image.BILINEAR)
                    pixels = np.asarray(im, dtype=np.uint8)
            except OSError as e:
                raise ValueError(f"{file_path} is not a readable image: {e}") from None
            if images and pixels.shape != images[0].shape:
                raise ValueError(f"{file_path} is {list(pixels.shape)} pixels, the first image "
                                 f"{list(images[0].shape)}: give the model's input size to resize them")
            images.append(pixels)
            labels.append(label)
    if not images:
        raise ValueError(f"{folder} holds no image file ({', '.join(IMAGE_EXTENSIONS)}) in its class folders")
    x = np.stack(images)
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)  # [N, C, H, W]
    return x, np.asarray(labels, np.int64), folder


def normalise(x, mean=None, std=None) -> np.ndarray:
    """float32 images: integers (pixels 0..255) scaled to [0, 1], then ``(x - mean) / std`` per channel."""
    scaled = np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_
    x = x.astype(np.float32) / 255.0 if scaled else x.astype(np.float32)
    for name, value in (("mean", mean), ("std", std)):
        if value is None:
            continue
        v = np.asarray(value, np.float32).reshape(-1)
        if v.size not in (1, x.shape[1] if x.ndim > 1 else 1):
            raise ValueError(f"{name} has {v.size} values; expected 1 or one per channel ({x.shape[1]})")
        if name == "std" and not np.all(v > 0):
            raise ValueError(f"std must be > 0, got {v.tolist()}")
        v = v.reshape((1, -1) + (1,) * (x.ndim - 2)) if v.size > 1 else v.reshape(())
        x = x - v if name == "mean" else x / v
    return np.ascontiguousarray(x, dtype=np.float32)


def load_images(path, key=None, *, channels=None, size=None, mean=None, std=None):
    """``(x, y)``: float32 images [N, ...] and int64 labels [N], or None when ``path`` has no labels.

    See the module docstring for the formats, the scaling and ``key``; ``channels``
    and ``size`` (height, width) shape the images read from a folder.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise ValueError(f"data file {path} does not exist")
    if os.path.isdir(path):
        x, y, what = _load_folder(path, channels, size)
    elif path.endswith(".npz"):
        x, y, what = _load_npz(path, key)
    elif path.endswith(".npy"):
        if key is not None:
            raise ValueError(f"{path} is one .npy array: key={key!r} applies to .npz files only")
        x, y, what = np.load(path, allow_pickle=False), None, path
    else:
        raise ValueError(f"{path}: expected a .npz or .npy file or a folder of class folders of images")
    if not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
        raise ValueError(f"{what} has dtype {x.dtype}; expected numbers")
    if x.ndim == 3 and channels == 1:
        x = x[:, None]  # [N, H, W] grey images
    if x.ndim < 2 or x.shape[0] == 0:
        raise ValueError(f"{what} has shape {list(x.shape)}; expected images [N, ...] with N >= 1")
    if y is not None:
        y = np.asarray(y)
        if y.shape != (x.shape[0],) or not np.issubdtype(y.dtype, np.integer):
            raise ValueError(f"{what}: the labels have shape {list(y.shape)} and dtype {y.dtype}; "
                             f"expected {x.shape[0]} integer class indices")
        y = y.astype(np.int64)
    return normalise(x, mean, std), y
