"""The data that ``evaluate`` and ``finetune`` accept, seen as batches of numpy arrays.

Accepted forms (numpy arrays or torch tensors wherever an array is expected):

- an ``(images, labels)`` pair: images [N, ...], integer labels [N];
- an array of images [N, ...] (no labels: enough for distillation);
- a mapping of arrays, with ``key=(images key, labels key)`` or ``key=images key``;
- an iterable of batches, each ``x``, ``(x, y)``, ``(x,)`` or a dict (then with
  ``key=``); a torch ``DataLoader`` is one.

Torch is never imported here: tensors are recognised by their ``detach`` and
``numpy`` methods, so ``evaluate`` runs without torch installed.
"""
from __future__ import annotations

import numbers
from collections.abc import Iterable, Mapping

import numpy as np

EXPECTED = ("an (images, labels) pair of arrays, an array of images, an iterable of x or (x, y) batches "
            "(such as a torch DataLoader), or a mapping / dict batches together with key=")


def _to_numpy(value):
    """A numpy view of a numpy array or a torch tensor; None for anything else."""
    if isinstance(value, np.ndarray):
        return value
    if hasattr(value, "detach") and hasattr(value, "numpy"):
        return value.detach().cpu().numpy()
    return None


def split_key(key):
    """(images key, labels key or None) from ``key=``: a name, or a pair of names (also the .npz keys of the CLI)."""
    if key is None or isinstance(key, str):
        return key, None
    if isinstance(key, (tuple, list)) and len(key) == 2 and all(isinstance(k, str) for k in key):
        return key[0], key[1]
    raise TypeError(f"key must be the images entry's name or a (images key, labels key) pair, got {key!r}")


def check_images(x, what="images"):
    """float32, C-contiguous images with a batch dimension."""
    array = _to_numpy(x)
    if array is None:
        raise TypeError(f"{what}: expected a numpy array or torch tensor, got {type(x).__name__}")
    if array.ndim < 2:
        raise ValueError(f"{what} has shape {list(array.shape)}; expected a batch [N, ...] of at least 2 dims")
    if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
        raise ValueError(f"{what} has dtype {array.dtype}; expected numbers")
    return np.ascontiguousarray(array, dtype=np.float32)


def check_labels(y, count, what="labels"):
    """int64 class indices [count]."""
    array = np.asarray(y) if isinstance(y, (numbers.Number, np.generic)) else _to_numpy(y)
    if array is None:
        raise TypeError(f"{what}: expected a numpy array or torch tensor, got {type(y).__name__}")
    if array.ndim == 0:
        raise ValueError(f"{what} is a scalar: the data yields single samples, not batches "
                         "(wrap a dataset in a torch DataLoader)")
    if array.ndim != 1 or array.shape[0] != count:
        raise ValueError(f"{what} has shape {list(array.shape)}; expected [{count}], one class index per image")
    if not np.issubdtype(array.dtype, np.integer) or array.dtype == np.bool_:
        raise ValueError(f"{what} has dtype {array.dtype}; expected integer class indices")
    return array.astype(np.int64, copy=False)


class Batches:
    """Re-iterable ``(x, y)`` batches of ``data``: x float32 [n, ...], y int64 [n] or None.

    ``batch_size`` splits arrays; batches of an iterable are taken as they come.
    """

    def __init__(self, data, batch_size: int, key=None):
        self.batch_size = batch_size
        self._images_key, self._labels_key = split_key(key)
        self._images = self._labels = self._iterable = None
        if isinstance(data, Mapping):
            if self._images_key is None:
                raise TypeError(f"a mapping needs key=: the images entry's name or (images key, labels key); "
                                f"its keys are {sorted(map(str, data))}")
            data = (data[self._images_key], data[self._labels_key]) if self._labels_key else data[self._images_key]
        if self._is_pair(data):
            self._images = check_images(data[0])
            self._labels = check_labels(data[1], self._images.shape[0])
        elif _to_numpy(data) is not None:
            self._images = check_images(data)
        elif isinstance(data, Iterable) and not isinstance(data, (str, bytes)):
            self._iterable = data
        else:
            raise TypeError(f"data must be {EXPECTED}; got {type(data).__name__}")

    @staticmethod
    def _is_pair(data):
        if not (isinstance(data, (tuple, list)) and len(data) == 2):
            return False
        x, y = _to_numpy(data[0]), _to_numpy(data[1])
        return x is not None and y is not None and x.ndim >= 2 and y.ndim == 1

    @property
    def one_shot(self) -> bool:
        """True when the data is an iterator, which a second pass would find empty."""
        return self._iterable is not None and iter(self._iterable) is self._iterable

    def __len__(self) -> int:
        """The number of batches per pass (TypeError when the iterable does not know it)."""
        if self._images is not None:
            return -(-self._images.shape[0] // self.batch_size)
        return len(self._iterable)

    def count(self):
        """``len(self)``, or None when unknown."""
        try:
            return len(self)
        except TypeError:
            return None

    def epoch(self, seed=None):
        """One pass over the data; arrays are shuffled by ``seed`` when it is not None."""
        if self._images is not None:
            return self._array_batches(seed)
        return (self._batch(item, i) for i, item in enumerate(self._iterable))

    def _array_batches(self, seed):
        n = self._images.shape[0]
        order = np.random.default_rng(seed).permutation(n) if seed is not None else None
        for start in range(0, n, self.batch_size):
            sel = slice(start, start + self.batch_size) if order is None else order[start:start + self.batch_size]
            yield self._images[sel], None if self._labels is None else self._labels[sel]

    def _batch(self, item, i):
        what = f"batch {i}"
        if isinstance(item, Mapping):
            if self._images_key is None:
                raise TypeError(f"{what} is a dict with keys {sorted(map(str, item))}: pass key= the images "
                                "entry's name, or (images key, labels key)")
            x = item[self._images_key]
            y = item[self._labels_key] if self._labels_key else None
        elif isinstance(item, (tuple, list)) and len(item) in (1, 2):
            x, y = item[0], item[1] if len(item) == 2 else None
        elif _to_numpy(item) is not None:
            x, y = item, None
        else:
            size = f" of {len(item)} items" if isinstance(item, (tuple, list)) else ""
            raise TypeError(f"{what} is a {type(item).__name__}{size}; expected x, (x, y) or (x,) of arrays, "
                            "or a dict with key=")
        x = check_images(x, f"{what} images")
        return x, None if y is None else check_labels(y, x.shape[0], f"{what} labels")
