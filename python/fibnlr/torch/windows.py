"""Sliding-window geometry (Conv, MaxPool, AveragePool) as the core resolves it.

The same rules as ``resolveWindow`` in src/operator/Window.cpp, so that the
torch module pads exactly where fibnlr's kernels do: per spatial axis, with
extent e = (k - 1)·d + 1, out = floor((in + pb + pe - e) / s) + 1 (ceil with
``ceil_mode``, dropping a last window that would start past input + pb).
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Window:
    kernel: list
    strides: list
    dilations: list
    pad_begin: list
    pad_end: list
    out: list

    def covered_end(self, axis: int, size: int) -> int:
        """How far the windows reach past the end of the input on `axis`
        (negative: they stop before it); ceil_mode can reach beyond pad_end."""
        extent = (self.kernel[axis] - 1) * self.dilations[axis] + 1
        return (self.out[axis] - 1) * self.strides[axis] + extent - size - self.pad_begin[axis]


def resolve_window(spatial, kernel, strides=(), pads=(), dilations=(), auto_pad="NOTSET",
                   ceil_mode=False) -> Window:
    """The window of ONNX attributes over input spatial dims `spatial`
    (empty strides/dilations mean 1, empty pads 0; pads are [begins..., ends...])."""
    n = len(spatial)
    w = Window([], [], [], [], [], [])
    for i in range(n):
        k, size = int(kernel[i]), int(spatial[i])
        s = int(strides[i]) if strides else 1
        d = int(dilations[i]) if dilations else 1
        e = (k - 1) * d + 1
        pb, pe = (int(pads[i]), int(pads[i + n])) if pads else (0, 0)
        if auto_pad == "VALID":
            pb = pe = 0
        elif auto_pad in ("SAME_UPPER", "SAME_LOWER"):
            total = max((-(-size // s) - 1) * s + e - size, 0)
            pb = total // 2 if auto_pad == "SAME_UPPER" else total - total // 2
            pe = total - pb
        span = size + pb + pe - e
        if span < 0:
            raise ValueError(f"window of extent {e} does not fit spatial size {size} with pads {pb}+{pe} "
                             f"on axis {i}")
        out = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (out - 1) * s >= size + pb:
            out -= 1
        w.kernel.append(k)
        w.strides.append(s)
        w.dilations.append(d)
        w.pad_begin.append(pb)
        w.pad_end.append(pe)
        w.out.append(out)
    return w
