"""Counting kernel throughput against a plain streaming read of the same bytes.

The data are the real ReLU inputs of one ResNet18 (CIFAR stem, width 64,
32x32) batch of 64, captured with PyTorch (17 tensors, about 143 MB). Each
kernel runs on one thread (the GIL is released, nothing else runs); every
figure is the best of --reps passes over all 17 tensors, and the counting
kernels and the streaming read alternate so they see the same machine state.

    python benchmarks/bench_counting.py [--reps 15] [--batch 64]
"""
import argparse
import os
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The model builders shared with the tests; fibnlr itself is the installed package.
sys.path.insert(0, os.path.join(ROOT, "unit_test", "python"))


def relu_inputs(batch):
    import torch
    from models.resnet import resnet18
    torch.manual_seed(0)
    model = resnet18(width=64, stem="cifar").eval()
    captured = []
    hooks = [m.register_forward_pre_hook(lambda mod, inp: captured.append(inp[0].detach().numpy().copy()))
             for m in model.modules() if isinstance(m, torch.nn.ReLU)]
    with torch.no_grad():
        model(torch.randn(batch, 3, 32, 32))
    for h in hooks:
        h.remove()
    return [np.ascontiguousarray(a, dtype=np.float32) for a in captured]


def best_time(fn, arrays, reps):
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        for a in arrays:
            fn(a)
        best = min(best, time.perf_counter() - t0)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    from fibnlr._core import kernels

    arrays = relu_inputs(args.batch)
    nbytes = sum(a.nbytes for a in arrays)
    print(f"ResNet18 (32x32) batch {args.batch}: {len(arrays)} ReLU inputs, "
          f"{sum(a.size for a in arrays) / 1e6:.1f} M floats, {nbytes / 1e6:.1f} MB")
    # correctness guard: every kernel agrees with numpy on the first tensor
    a = arrays[0].astype(np.float64)
    for name, ok in kernels.counting_kernels():
        if ok:
            neg, pos, _, _ = kernels.count_signs(arrays[0], name)
            assert abs(pos - a[a > 0].sum()) <= 1e-5 * a[a > 0].sum(), name
            assert abs(neg + a[a < 0].sum()) <= 1e-5 * -a[a < 0].sum(), name

    names = [n for n, ok in kernels.counting_kernels() if ok]
    stream_t = float("inf")
    times = {n: float("inf") for n in names}
    for _ in range(3):  # interleave rounds so every kernel sees the same machine state
        stream_t = min(stream_t, best_time(kernels.stream_read, arrays, args.reps))
        for n in names:
            reps = 2 if n.endswith("_ref") else args.reps
            times[n] = min(times[n], best_time(lambda x, n=n: kernels.count_signs(x, n), arrays, reps))
    stream_gbs = nbytes / stream_t / 1e9
    print(f"{'streaming read (sum)':<28} {stream_gbs:7.2f} GB/s  {stream_t * 1e3:7.2f} ms")
    best = kernels.best_counting_kernel()
    for n in names:
        gbs = nbytes / times[n] / 1e9
        tag = "  <- used by fibnlr_compute" if n == best else ""
        print(f"{n:<28} {gbs:7.2f} GB/s  {times[n] * 1e3:7.2f} ms  {100 * gbs / stream_gbs:5.1f} % of the read{tag}")
    ratio = (nbytes / times[best] / 1e9) / stream_gbs
    print(f"counting kernel / streaming read: {100 * ratio:.1f} % (target >= 70 %)")


if __name__ == "__main__":
    main()
