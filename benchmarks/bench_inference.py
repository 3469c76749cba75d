"""Inference throughput of fibnlr's fast CPU backend against onnxruntime and
PyTorch, the cost of FIBNLR measuring, and peak memory; ratios from one run.

The large models are built in code with random weights (BatchNorm kept in
the ONNX file: every runtime folds or fuses it itself):
  ResNet18 (CIFAR stem, width 64) at 32x32, batch 64 and batch 1
  ResNet18 (ImageNet stem, width 64, 1000 classes) at 224x224, batch 8 and 1
  MobileNetV2 (width 1.0, 1000 classes) at 224x224, batch 8 and 1
The two small models are the shipped trained Fashion-MNIST demo models
(fibnlr.demo_data.model_path: "resnet", ResNet-style with 8/16/32 channels,
and "mobilenetv2", MobileNetV2-style; input 1x28x28), at batch 1 and 64: their
ONNX file runs in fibnlr and onnxruntime, fibnlr.torch.to_module of it in torch.
For each thread count, every runtime runs with that many threads; the three
take their samples in turns (fibnlr, onnxruntime, torch, fibnlr, ...) with a
pause after each (their thread pools must not overlap), so that a disturbance
of the machine lasting seconds reaches every runtime's samples rather than
one runtime's; each figure is the best of --reps timed samples after one
warm-up (the best is the least disturbed by other processes on a shared
machine). A sample times enough back-to-back forwards to last >= 20 ms (one
forward of the large batches; many at batch 1, whose forward takes 0.05-20
ms) and counts their mean.

Measuring overhead: fibnlr_compute with every non-linearity prepared
(ReLU, LeakyReLU, GELU, Clip) over --reps batches (times the forwards per
sample at batch 1), against plain forwards of the same batches.

Naive baseline: the reference kernels (fibnlr.set_kernels("ref")) on
batch 1, one forward, 1 thread, once per model.

Memory: peak resident set size of a child process that loads the model and
runs one ResNet18 batch-64 forward, per runtime, and its growth over the
process after imports.

    python benchmarks/bench_inference.py [--threads 1,2] [--reps 5] [--pause 0.5] [--no-naive]
        [--no-memory] [--settings SUBSTRING,...]

--settings keeps the rows whose label contains one of the comma-separated
substrings (e.g. "b1" for the batch-1 rows, "28x28" for the demo models).
Per-step profile of one row: benchmarks/bench_profile.py.
"""
import argparse
import os
import platform
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The model builders shared with the tests; fibnlr itself is the installed package.
sys.path.insert(0, os.path.join(ROOT, "unit_test", "python"))

SETTINGS = [
    # (label, builder, input shape)
    ("ResNet18 32x32 b64", "resnet18_cifar", (64, 3, 32, 32)),
    ("ResNet18 224x224 b8", "resnet18_imagenet", (8, 3, 224, 224)),
    ("MobileNetV2 224x224 b8", "mobilenet_v2", (8, 3, 224, 224)),
    ("ResNet18 32x32 b1", "resnet18_cifar", (1, 3, 32, 32)),
    ("ResNet18 224x224 b1", "resnet18_imagenet", (1, 3, 224, 224)),
    ("MobileNetV2 224x224 b1", "mobilenet_v2", (1, 3, 224, 224)),
    ("demo ResNet 28x28 b1", "demo_resnet", (1, 1, 28, 28)),
    ("demo ResNet 28x28 b64", "demo_resnet", (64, 1, 28, 28)),
    ("demo MobileNetV2 28x28 b1", "demo_mobilenetv2", (1, 1, 28, 28)),
    ("demo MobileNetV2 28x28 b64", "demo_mobilenetv2", (64, 1, 28, 28)),
]
# The shipped trained demo models, by builder name (fibnlr.demo_data.MODELS).
DEMO = {"demo_resnet": "resnet", "demo_mobilenetv2": "mobilenetv2"}
MIN_SAMPLE_S = 0.02  # a timed sample lasts at least this long (timer and scheduler noise)


def build(name):
    """The torch model of builder ``name`` in eval mode."""
    import torch
    if name in DEMO:
        import fibnlr
        from fibnlr import demo_data
        from fibnlr.torch import to_module
        return to_module(fibnlr.load_onnx(demo_data.model_path(DEMO[name])))
    from models.mobilenet import mobilenet_v2
    from models.resnet import resnet18
    torch.manual_seed(0)
    if name == "resnet18_cifar":
        return resnet18(num_classes=10, width=64, stem="cifar").eval()
    if name == "resnet18_imagenet":
        return resnet18(num_classes=1000, width=64, stem="imagenet").eval()
    return mobilenet_v2(num_classes=1000, width_mult=1.0).eval()


def onnx_model(name, shape):
    """The ONNX ModelProto of builder ``name`` (batch dimension free)."""
    if name in DEMO:
        import onnx
        from fibnlr import demo_data
        return onnx.load(demo_data.model_path(DEMO[name]))
    from models.export import export_onnx
    return export_onnx(build(name), (1,) + tuple(shape[1:]), opset=13, fold_bn=False)


def inner_count(fn):
    """Calls of ``fn`` per timed sample so that a sample lasts >= MIN_SAMPLE_S;
    calls ``fn`` at least once (its first call is the warm-up: plans, packs, allocates)."""
    fn()
    t0 = time.perf_counter()
    fn()
    one = time.perf_counter() - t0
    return max(1, int(MIN_SAMPLE_S / max(one, 1e-7)) + 1) if one < MIN_SAMPLE_S else 1


class Sampler:
    """Timed samples of ``fn``: the first call of sample() warms up and fixes
    the calls per sample (inner_count); ``best`` is the least mean time of
    one call over the samples taken (seconds)."""

    def __init__(self, fn):
        self.fn, self.n, self.best = fn, None, float("inf")

    def sample(self):
        if self.n is None:
            self.n = inner_count(self.fn)
        t0 = time.perf_counter()
        for _ in range(self.n):
            self.fn()
        self.best = min(self.best, (time.perf_counter() - t0) / self.n)


def best(fn, reps):
    """Best over ``reps`` samples of the mean time of one call of ``fn`` (seconds)."""
    s = Sampler(fn)
    for _ in range(reps):
        s.sample()
    return s.best


def fibnlr_forward(proto, x, threads):
    """A forward of ``x`` on fibnlr (compiled for its shape, ``threads`` threads)."""
    import fibnlr
    fibnlr.set_num_threads(threads)
    g = fibnlr.load_onnx(proto)  # a ModelProto or a path
    g.compile(dims=[list(x.shape)])
    return lambda: g.forward(x)


def ort_forward(proto, x, threads):
    """A forward of ``x`` on an onnxruntime session with ``threads`` intra-op threads."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: x}
    return lambda: sess.run(None, feed)


def torch_forward(name, x, threads):
    """A forward of ``x`` on the torch model of builder ``name`` (inference mode, ``threads`` threads)."""
    import torch
    torch.set_num_threads(threads)
    model = build(name)  # the demo models: fibnlr.torch.to_module of their ONNX graph
    xt = torch.from_numpy(x)

    def forward():
        with torch.inference_mode():
            return model(xt)
    return forward


def run_fibnlr(proto, x, threads, reps):
    return best(fibnlr_forward(proto, x, threads), reps)


def run_measuring(proto, x, threads, reps):
    """(time of plain forwards, time of fibnlr_compute over the same batches): reps
    batches, or as many more as make each pass last >= reps * MIN_SAMPLE_S (batch 1)."""
    import fibnlr
    from fibnlr import recipes as R
    fibnlr.set_num_threads(threads)
    g = fibnlr.load_onnx(proto)
    g.compile(dims=[list(x.shape)])
    count = reps * inner_count(lambda: g.forward(x))
    batches = [x * (1.0 + 0.01 * i) for i in range(count)]
    params = fibnlr.fibnlr_Parameters(convergence_threshold=0.0, max_iteration=count,
                                      node_types=["ReLU", "ReLU6", "LeakyReLU", "GELU"])
    R.fibnlr_prepare(g, params)
    forward_t, compute_t = float("inf"), float("inf")
    for _ in range(3):  # alternate, keep the best of each: same machine state for both
        t0 = time.perf_counter()
        for b in batches:
            g.forward(b)
        forward_t = min(forward_t, time.perf_counter() - t0)
        R.fibnlr_prepare(g, params)  # reset the measurements
        t0 = time.perf_counter()
        R.fibnlr_compute(g, batches, params)
        compute_t = min(compute_t, time.perf_counter() - t0)
    return forward_t, compute_t


def run_ort(proto, x, threads, reps):
    return best(ort_forward(proto, x, threads), reps)


def run_torch(name, x, threads, reps):
    return best(torch_forward(name, x, threads), reps)


def run_naive(proto, shape):
    import fibnlr
    fibnlr.set_num_threads(1)
    fibnlr.set_kernels("ref")
    try:
        x = np.random.default_rng(1).standard_normal((1,) + tuple(shape[1:]), dtype=np.float32)
        g = fibnlr.load_onnx(proto)
        g.compile(dims=[list(x.shape)])
        t0 = time.perf_counter()
        g.forward(x)
        return time.perf_counter() - t0
    finally:
        fibnlr.set_kernels("cpu")


def status_mb(field):
    """A /proc/self/status memory field in MB (VmRSS: now; VmHWM: peak of this
    process image; getrusage's maxrss would include the parent's peak)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def rss_mb():
    return status_mb("VmRSS")


def memory_child(runtime, path):
    """Child process: load the model, one ResNet18 batch-64 forward (2 threads);
    prints 'peak_mb base_mb' (peak RSS of the process, RSS after imports)."""
    shape = SETTINGS[0][2]
    x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    if runtime == "fibnlr":
        import fibnlr  # noqa: F401
        base = rss_mb()
        run_fibnlr(path, x, 2, 1)
    elif runtime == "onnxruntime":
        import onnx
        import onnxruntime  # noqa: F401
        base = rss_mb()
        run_ort(onnx.load(path), x, 2, 1)
    else:
        import torch  # noqa: F401
        base = rss_mb()
        run_torch("resnet18_cifar", x, 2, 1)
    print(f"{status_mb('VmHWM'):.1f} {base:.1f}")


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    import onnxruntime
    import torch
    import fibnlr
    return (f"{model}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}; "
            f"load average {os.getloadavg()[0]:.1f}; fibnlr SIMD path {fibnlr.simd_path()}; "
            f"onnxruntime {onnxruntime.__version__}, torch {torch.__version__}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--pause", type=float, default=0.5, help="seconds of rest after each sample")
    ap.add_argument("--no-naive", action="store_true")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--models", default=",".join(dict.fromkeys(s[1] for s in SETTINGS)),
                    help="comma-separated builder names (default: all)")
    ap.add_argument("--settings", default="",
                    help="comma-separated substrings; keep the rows whose label contains one (default: all)")
    ap.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.memory_child:
        memory_child(*args.memory_child)
        return
    threads = [int(t) for t in args.threads.split(",")]
    wanted = [w for w in args.settings.split(",") if w]
    settings = [(label, name, shape) for label, name, shape in SETTINGS
                if name in args.models.split(",") and (not wanted or any(w in label for w in wanted))]
    if not settings:
        raise SystemExit(f"no benchmark row matches --models {args.models!r} --settings {args.settings!r}; "
                         f"rows: {', '.join(s[0] for s in SETTINGS)}")
    print("machine:", machine())
    print(f"best of {args.reps} samples (each >= {MIN_SAMPLE_S * 1000:.0f} ms of forwards) after a warm-up; "
          f"img/s; ratios = fibnlr / other; load = 1-minute load average after the row\n")
    header = (f"{'model':26s} {'thr':>3s} {'fibnlr':>8s} {'onnxrt':>8s} {'torch':>8s} "
              f"{'fib/ort':>8s} {'fib/torch':>9s} {'measure':>8s} {'load':>5s}")
    print(header)
    print("-" * len(header))
    naive, naive_done = {}, set()
    for label, name, shape in settings:
        proto = onnx_model(name, shape)
        x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
        n = shape[0]
        for t in threads:
            samplers = [Sampler(fibnlr_forward(proto, x, t)), Sampler(ort_forward(proto, x, t)),
                        Sampler(torch_forward(name, x, t))]
            for _ in range(args.reps):
                for s in samplers:
                    s.sample()
                    time.sleep(args.pause)
            fib, ort_t, tor = (s.best for s in samplers)
            del samplers  # the sessions and compiled plans, before the measuring run
            fwd, comp = run_measuring(proto, x, t, args.reps)
            time.sleep(args.pause)
            print(f"{label:26s} {t:3d} {n / fib:8.1f} {n / ort_t:8.1f} {n / tor:8.1f} "
                  f"{ort_t / fib:8.2f} {tor / fib:9.2f} {comp / fwd:8.3f} {os.getloadavg()[0]:5.1f}", flush=True)
        # Batch 1 of a model is the same whatever the row's batch: once per model.
        if not args.no_naive and name not in naive_done:
            naive_done.add(name)
            naive[label] = (run_naive(proto, shape), run_fibnlr(proto, x[:1].copy(), 1, args.reps))
    print("\nmeasure = time of fibnlr_compute (all non-linearities prepared) / time of plain forwards, same batches")
    if naive:
        print("\nnaive baseline (reference kernels), batch 1, 1 thread:")
        for label, (ref_t, fast_t) in naive.items():
            print(f"  {label:26s} ref {1 / ref_t:8.3f} img/s   fast {1 / fast_t:8.1f} img/s   speed-up {ref_t / fast_t:8.0f}x")
    if not args.no_memory:
        print("\npeak resident memory, ResNet18 32x32 batch-64 forward, 2 threads (separate processes):")
        import onnx
        import tempfile
        res = {}
        path = os.path.join(tempfile.mkdtemp(), "resnet18_cifar.onnx")
        onnx.save(onnx_model("resnet18_cifar", SETTINGS[0][2]), path)
        for rt in ("fibnlr", "onnxruntime", "torch"):
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--memory-child", rt, path],
                                 capture_output=True, text=True, check=True).stdout.split()
            res[rt] = (float(out[0]), float(out[1]))
            time.sleep(args.pause)
        for rt, (peak, base) in res.items():
            print(f"  {rt:12s} peak {peak:8.1f} MB   growth over imports {peak - base:8.1f} MB")
        print(f"  fibnlr / onnxruntime: peak {res['fibnlr'][0] / res['onnxruntime'][0]:.2f}, "
              f"growth {(res['fibnlr'][0] - res['fibnlr'][1]) / (res['onnxruntime'][0] - res['onnxruntime'][1]):.2f}")


if __name__ == "__main__":
    main()
