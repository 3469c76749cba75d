"""fibnlr operator -> torch computation, one table entry per graph operator type.

``CONVERTERS[type](attrs)`` returns what computes one node: a function of the
node's inputs in input order (data and parameters alike, ``None`` for an
absent optional input) or, for the one operator whose behaviour depends on
train/eval mode (Dropout), an ``nn.Module``. Every entry follows the core's
semantics (src/operator/, src/kernels/ref/), not torch's where they differ
(asymmetric pads, ONNX ceil_mode and count_include_pad, LRN's window for an
even size, Slice clamping, Pad modes on any axis), so the module computes what
``graph.forward`` does. A new operator, e.g. a merged Conv carrying a
constant bias map, is one more entry (or one more input of an entry).
"""
from __future__ import annotations

import functools
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from ..activations import ACTIVATIONS
from .windows import resolve_window

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def _torch_pads(begins, ends):
    """F.pad's order (last axis first) for per-axis begins and ends of the trailing axes."""
    out = []
    for b, e in zip(reversed(begins), reversed(ends)):
        out += [int(b), int(e)]
    return out


def _axis(axis, rank):
    return axis + rank if axis < 0 else axis


def _spatial(x):
    return [int(d) for d in x.shape[2:]]


def _conv(a):
    def conv(x, w, b=None):
        nd = w.dim() - 2
        if nd not in _CONV:
            raise ValueError(f"Conv with {nd} spatial dims is not supported by the torch converter")
        win = resolve_window(_spatial(x), a["kernel_shape"] or list(w.shape[2:]), a["strides"], a["pads"],
                             a["dilations"], a["auto_pad"])
        padding = win.pad_begin
        if win.pad_begin != win.pad_end:  # torch pads symmetrically: pad explicitly
            x, padding = F.pad(x, _torch_pads(win.pad_begin, win.pad_end)), 0
        bias_map = b is not None and b.dim() > 1  # a merged chain's f(0) [M, *S'], added per position
        y = _CONV[nd](x, w, None if bias_map else b, win.strides, padding, win.dilations, a["group"])
        if bias_map:
            if tuple(b.shape) != tuple(y.shape[1:]):
                raise ValueError(f"Conv bias map {list(b.shape)} was merged for output size "
                                 f"{'x'.join(map(str, b.shape[1:]))}, but this input gives {list(y.shape[1:])}")
            y = y + b
        return y
    return conv


def _pool_window(a, x, dilations=()):
    """The resolved window and how far it reaches past each spatial axis's end."""
    spatial = _spatial(x)
    win = resolve_window(spatial, a["kernel_shape"], a["strides"], a["pads"], dilations, a["auto_pad"],
                         bool(a["ceil_mode"]))
    return win, spatial, [win.covered_end(i, s) for i, s in enumerate(spatial)]


def _native_padding(win):
    """True when torch's pools pad as the core does: symmetric pads of at most
    half the window's extent. Then torch's ceil_mode rule and its divisor with
    count_include_pad (the window clipped to input + pads) are the core's, and
    no explicit F.pad is needed (its ONNX export is a constant subgraph that
    load_onnx does not fold)."""
    return win.pad_begin == win.pad_end and all(
        2 * p <= (k - 1) * d + 1 for p, k, d in zip(win.pad_begin, win.kernel, win.dilations))


def _max_pool(a):
    def max_pool(x):
        win, _, ends = _pool_window(a, x, a["dilations"])
        pool = _MAX_POOL[len(win.kernel)]
        if _native_padding(win):
            return pool(x, win.kernel, win.strides, win.pad_begin, win.dilations, ceil_mode=bool(a["ceil_mode"]))
        # Padding never wins (the core takes the max over taps inside the input);
        # a window of padding only gives the lowest float, as in the core.
        x = F.pad(x, _torch_pads(win.pad_begin, ends), value=-math.inf)
        y = pool(x, win.kernel, win.strides, 0, win.dilations)
        return y.clamp_min(torch.finfo(y.dtype).min)
    return max_pool


def _tap_counts(win, spatial, ends, include_pad):
    """Per output position, the taps that count as the divisor: inside the input,
    or inside input + pads with count_include_pad (never the ceil_mode overhang).
    The mask is a product over axes, so the counts are too."""
    per_axis = []
    for i, size in enumerate(spatial):
        pb, pe, end = win.pad_begin[i], win.pad_end[i], ends[i]
        mask = [include_pad] * pb + [1] * size + [include_pad] * pe + [0] * max(end - pe, 0)
        mask = np.array(mask[:pb + size + end], dtype=np.float64)
        s, k = win.strides[i], win.kernel[i]
        per_axis.append(np.array([mask[o * s:o * s + k].sum() for o in range(win.out[i])]))
    return functools.reduce(np.multiply.outer, per_axis)


def _average_pool(a):
    def average_pool(x):
        win, spatial, ends = _pool_window(a, x)
        pool = _AVG_POOL[len(win.kernel)]
        if _native_padding(win):
            return pool(x, win.kernel, win.strides, win.pad_begin, ceil_mode=bool(a["ceil_mode"]),
                        count_include_pad=bool(a["count_include_pad"]))
        x = F.pad(x, _torch_pads(win.pad_begin, ends))
        y = pool(x, win.kernel, win.strides)  # mean over the whole (zero-padded) window
        counts = _tap_counts(win, spatial, ends, int(a["count_include_pad"]))
        taps = float(np.prod(win.kernel))
        if np.all(counts == taps):
            return y
        scale = np.divide(taps, counts, out=np.zeros_like(counts), where=counts > 0)
        return y * torch.as_tensor(scale, dtype=y.dtype, device=y.device)
    return average_pool


def _batch_norm(a):
    # Inference statistics always, also in train mode: fine-tuning after pruning
    # learns the per-channel scale and shift but keeps the running mean and
    # variance, which is what the graph computes and what small calibration
    # batches could not re-estimate reliably.
    def batch_norm(x, scale, b, mean, var):
        return F.batch_norm(x, mean, var, scale, b, training=False, eps=a["epsilon"])
    return batch_norm


def _gemm(a):
    def gemm(x, b, c=None):
        y = (x.t() if a["transA"] else x) @ (b.t() if a["transB"] else b)
        if a["alpha"] != 1.0:
            y = y * a["alpha"]
        if c is not None:
            y = y + (c if a["beta"] == 1.0 else a["beta"] * c)
        return y
    return gemm


def _clip(a):
    lo = None if math.isinf(a["min"]) else a["min"]
    hi = None if math.isinf(a["max"]) else a["max"]
    return lambda x: x if lo is None and hi is None else torch.clamp(x, lo, hi)


def _lrn(a):
    size = a["size"]
    before, after = (size - 1) // 2, size // 2  # the core's (ONNX's) channel window

    def lrn(x):
        sq = F.pad((x * x).movedim(1, -1), (before, after))
        window = sq.unfold(-1, size, 1).sum(-1).movedim(-1, 1)
        return x / (a["bias"] + a["alpha"] / size * window) ** a["beta"]
    return lrn


def _reduce(kind):
    def converter(a):
        def reduce(x):
            axes = [_axis(v, x.dim()) for v in a["axes"]] or list(range(x.dim()))
            if kind == "mean":
                return x.mean(dim=axes, keepdim=bool(a["keepdims"]))
            if kind == "sum":
                return x.sum(dim=axes, keepdim=bool(a["keepdims"]))
            # amax/amin propagate NaN, as ONNX and fibnlr do.
            return (torch.amax if kind == "max" else torch.amin)(x, dim=axes, keepdim=bool(a["keepdims"]))
        return reduce
    return converter


def _flatten(a):
    def flatten(x):
        axis = _axis(a["axis"], x.dim())
        if axis == 0:
            return x.reshape(1, -1)
        y = x.flatten(axis) if axis < x.dim() else x.unsqueeze(-1)
        return y.flatten(0, axis - 1)
    return flatten


def _reshape(a):
    def reshape(x):
        # 0 copies the input's dim (the free batch is written so), -1 is inferred.
        shape = [x.shape[i] if s == 0 and not a["allowzero"] else s for i, s in enumerate(a["shape"])]
        return x.reshape(shape)
    return reshape


def _transpose(a):
    return lambda x: x.permute(a["perm"] or list(reversed(range(x.dim()))))


def _squeeze(a):
    def squeeze(x):
        axes = [_axis(v, x.dim()) for v in a["axes"]] or [i for i, d in enumerate(x.shape) if d == 1]
        return x.squeeze(tuple(axes)) if axes else x
    return squeeze


def _unsqueeze(a):
    def unsqueeze(x):
        rank = x.dim() + len(a["axes"])
        for axis in sorted(_axis(v, rank) for v in a["axes"]):
            x = x.unsqueeze(axis)
        return x
    return unsqueeze


def _split(a):
    def split(x):
        axis = _axis(a["axis"], x.dim())
        dim, n = x.shape[axis], a["num_outputs"]
        if a["split"]:
            sizes = list(a["split"])
        else:  # equal parts, the last one smaller (ONNX 18)
            chunk = -(-dim // n)
            sizes = [chunk] * (n - 1) + [dim - chunk * (n - 1)]
        return tuple(torch.split(x, sizes, axis))
    return split


def _slice_range(start, end, step, dim):
    """(start, length) of one axis, clamped as ONNX specifies (src/operator/Slice.cpp)."""
    start, end = start + dim if start < 0 else start, end + dim if end < 0 else end
    if step > 0:
        start, end = min(max(start, 0), dim), min(max(end, 0), dim)
        return start, max(-(-(end - start) // step), 0)
    if dim == 0:
        return 0, 0
    start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
    return start, max(-(-(start - end) // -step), 0)


def _slice(a):
    def slice_(x):
        n = len(a["starts"])
        for i in range(n):
            axis = _axis(a["axes"][i] if a["axes"] else i, x.dim())
            step = a["steps"][i] if a["steps"] else 1
            start, length = _slice_range(a["starts"][i], a["ends"][i], step, x.shape[axis])
            if step > 0:
                x = x.narrow(axis, start, length) if step == 1 else \
                    x[(slice(None),) * axis + (slice(start, start + length * step, step),)]
            else:
                index = torch.arange(start, start + length * step, step, device=x.device)
                x = x.index_select(axis, index)
        return x
    return slice_


def _resize_taps(n_in, n_out, scale, a):
    """(i0, i1, w1) per output index of one axis, as ONNX Resize defines them
    (the core's ResizeOp::taps computes the same for its kernels)."""
    i = np.arange(n_out, dtype=np.float64)
    t = a["coordinate_transformation_mode"]
    if t == "asymmetric":
        xo = i / scale
    elif t == "align_corners":
        xo = np.zeros(n_out) if n_out == 1 else i * (n_in - 1) / (n_out - 1)
    elif t == "pytorch_half_pixel" and n_out == 1:
        xo = np.zeros(n_out)
    else:
        xo = (i + 0.5) / scale - 0.5
    if a["mode"] == "nearest":
        frac = xo - np.floor(xo)
        rounding = a["nearest_mode"]
        if rounding == "floor":
            r = np.floor(xo)
        elif rounding == "ceil":
            r = np.ceil(xo)
        else:
            tie = np.floor(xo) if rounding == "round_prefer_floor" else np.ceil(xo)
            r = np.where(frac == 0.5, tie, np.floor(xo + 0.5))
        k = np.clip(r, 0, n_in - 1).astype(np.int64)
        return k, k, np.zeros(n_out)
    c = np.clip(xo, 0, n_in - 1)
    k0 = np.floor(c).astype(np.int64)
    return k0, np.minimum(k0 + 1, n_in - 1), c - k0


def _resize(a):
    def resize(x):
        # Separable: each resized axis in turn, gathering its two taps (linear) or one (nearest).
        for axis in range(x.dim()):
            n_in = x.shape[axis]
            if a["scales"]:
                scale = a["scales"][axis]
                n_out = int(math.floor(n_in * scale))
            else:
                n_out = a["sizes"][axis]
                scale = n_out / n_in
            if n_out == n_in and scale == 1.0:
                continue
            i0, i1, w1 = _resize_taps(n_in, n_out, scale, a)
            lo = x.index_select(axis, torch.as_tensor(i0, device=x.device))
            if a["mode"] == "nearest":
                x = lo
                continue
            hi = x.index_select(axis, torch.as_tensor(i1, device=x.device))
            shape = [1] * x.dim()
            shape[axis] = n_out
            w = torch.as_tensor(w1, dtype=x.dtype, device=x.device).reshape(shape)
            x = lo + (hi - lo) * w
        return x
    return resize


def _pad(a):
    mode, value = a["mode"], a["value"]

    def pad(x):
        rank = x.dim()
        pads = a["pads"]
        for axis in range(rank):  # negative pads crop first (ONNX Runtime's order, as the core)
            crop_b, crop_e = max(-pads[axis], 0), max(-pads[axis + rank], 0)
            if crop_b or crop_e:
                x = x.narrow(axis, crop_b, x.shape[axis] - crop_b - crop_e)
        begins, ends = [max(p, 0) for p in pads[:rank]], [max(p, 0) for p in pads[rank:]]
        if mode == "constant":
            return F.pad(x, _torch_pads(begins, ends), value=value)
        for axis in range(rank):  # edge and reflect on any axis, as an index gather
            if begins[axis] or ends[axis]:
                n = x.shape[axis]
                j = np.arange(-begins[axis], n + ends[axis])
                if mode == "edge":
                    j = np.clip(j, 0, n - 1)
                else:
                    j = np.where(j < 0, -j, np.where(j >= n, 2 * (n - 1) - j, j))
                x = x.index_select(axis, torch.as_tensor(j, device=x.device))
        return x
    return pad


def _sum(a):
    return lambda *xs: functools.reduce(torch.add, xs)


CONVERTERS = {
    "Conv": _conv,
    "Gemm": _gemm,
    "MatMul": lambda a: torch.matmul,
    "BatchNormalization": _batch_norm,
    **{spec.type: spec.torch for spec in ACTIVATIONS},  # fibnlr/activations.py
    "Clip": _clip,
    "Identity": lambda a: (lambda x: x),
    # Inference Dropout is the identity; in train mode it drops as the model was trained.
    "Dropout": lambda a: nn.Dropout(a["ratio"]),
    "Add": lambda a: torch.add,
    "Sub": lambda a: torch.sub,
    "Mul": lambda a: torch.mul,
    "Div": lambda a: torch.div,
    "Sum": _sum,
    "LRN": _lrn,
    "Softmax": lambda a: functools.partial(torch.softmax, dim=a["axis"]),
    "MaxPool": _max_pool,
    "AveragePool": _average_pool,
    "GlobalAveragePool": lambda a: (lambda x: x.mean(dim=list(range(2, x.dim())), keepdim=True)),
    "GlobalMaxPool": lambda a: (lambda x: torch.amax(x, dim=list(range(2, x.dim())), keepdim=True)),
    "Resize": _resize,
    # PReLU's slope is its second input (a parameter of the module).
    "PReLU": lambda a: (lambda x, slope: torch.where(x >= 0, x, x * slope)),
    "ReduceMean": _reduce("mean"),
    "ReduceMax": _reduce("max"),
    "ReduceMin": _reduce("min"),
    "ReduceSum": _reduce("sum"),
    "Flatten": _flatten,
    "Reshape": _reshape,
    "Transpose": _transpose,
    "Squeeze": _squeeze,
    "Unsqueeze": _unsqueeze,
    "Concat": lambda a: (lambda *xs: torch.cat(xs, a["axis"])),
    "Split": _split,
    "Slice": _slice,
    "Pad": _pad,
}


class NodeFunction(nn.Module):
    """A stateless node as a module, so the graph module lists its nodes by name."""

    def __init__(self, op_type, fn):
        super().__init__()
        self.op_type = op_type
        self.fn = fn

    def forward(self, *inputs):
        return self.fn(*inputs)

    def extra_repr(self):
        return self.op_type


def convert(node) -> nn.Module:
    """The module computing ``node`` (ValueError naming the node for an unsupported type)."""
    t = node.type()
    if t not in CONVERTERS:
        raise ValueError(f"node '{node.name()}' has type {t}, which fibnlr.torch cannot convert; "
                         f"supported types: {', '.join(sorted(CONVERTERS))}")
    built = CONVERTERS[t](node.get_operator().attributes())
    return built if isinstance(built, nn.Module) else NodeFunction(t, built)
