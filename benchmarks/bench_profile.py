"""Per-step profile of one bench_inference.py row: where fibnlr's forward
spends its time next to onnxruntime's.

This prints:
  1. fibnlr's whole forward (best of --reps samples of >= 20 ms, as
     bench_inference.py times them), then its per-step profile
     (g.profile_steps() / g.step_times(): the mean wall time of every step of
     the compiled plan over the same number of timed forwards, after the
     timing above warmed it up): time per kernel, and every step (its fused
     nodes and kernel) with its time and share, in plan order;
  2. onnxruntime's own per-node profile (SessionOptions.enable_profiling),
     summed by op type (fused types such as FusedConv as onnxruntime names
     them), per forward, without the warm-up forward; and its whole forward;
  3. with --perf, where fibnlr's threads are sampled (Linux `perf record` on a
     child process that repeats forwards): the share of samples per shared
     library and the top symbols. fibnlr's own kernels are not exported from
     its stripped module, so they show as one library (_core...so) with
     addresses; OpenBLAS, libc (memset/memcpy), the kernel (thread wake-ups)
     and Python show by name.

    python benchmarks/bench_profile.py "MobileNetV2 224x224 b1" [--threads 2] [--reps 5] [--perf] [--top 12]

MODEL-LABEL is a row label of bench_inference.py, or a substring of exactly one.
"""
import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

import bench_inference as B  # the same directory: rows, models and timing of the benchmark


def find_setting(label):
    """The (label, builder, shape) row of bench_inference.SETTINGS named by ``label``
    (exactly, or as a substring of exactly one label)."""
    exact = [s for s in B.SETTINGS if s[0] == label]
    if exact:
        return exact[0]
    matches = [s for s in B.SETTINGS if label in s[0]]
    if len(matches) != 1:
        rows = ", ".join(repr(s[0]) for s in B.SETTINGS)
        raise SystemExit(f"MODEL-LABEL {label!r} matches {len(matches)} rows; expected one of: {rows}")
    return matches[0]


def fibnlr_plan(proto, x, threads, reps):
    """([(plan line, mean seconds per forward)], best forward time in s) of
    fibnlr on ``x``: the best time first, unprofiled, then the step times over
    as many forwards as that timing ran."""
    import fibnlr
    fibnlr.set_num_threads(threads)
    g = fibnlr.load_onnx(proto)
    g.compile(dims=[list(x.shape)])
    t = B.best(lambda: g.forward(x), reps)
    g.profile_steps()
    for _ in range(reps * B.inner_count(lambda: g.forward(x))):
        g.forward(x)
    return g.step_times(), t


def ort_profile(proto, x, threads, reps):
    """(best forward time in s, {op type: (nodes, ms per forward)}, {node name: ms
    per forward}, forwards profiled, mean profiled forward in ms) from
    onnxruntime's profiling JSON; the first
    (warm-up) forward is left out. Profiling slows small nodes down, so compare
    shares, not the sum, with the unprofiled forward."""
    import onnxruntime as ort
    t = B.run_ort(proto, x, threads, reps)  # timed without the profiler's overhead
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.enable_profiling = True
    opts.profile_file_prefix = os.path.join(tempfile.mkdtemp(), "ort_profile")
    sess = ort.InferenceSession(proto.SerializeToString(), opts, providers=["CPUExecutionProvider"])
    feed = {sess.get_inputs()[0].name: x}
    runs = 1 + max(reps, B.inner_count(lambda: sess.run(None, feed)))
    for _ in range(runs - 2):  # inner_count ran two already
        sess.run(None, feed)
    with open(sess.end_profiling()) as f:
        events = json.load(f)
    model_runs = sorted((e for e in events if e.get("name") == "model_run"), key=lambda e: e["ts"])
    skip_until = model_runs[0]["ts"] + model_runs[0]["dur"]
    kept = len(model_runs) - 1
    by_op = collections.defaultdict(lambda: [set(), 0.0])
    by_node = collections.defaultdict(float)
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time") and e["ts"] >= skip_until:
            entry = by_op[e["args"].get("op_name", "?")]
            entry[0].add(e["name"])
            entry[1] += e["dur"] / 1000.0  # microseconds -> ms
            by_node[ort_node_key(e["name"][: -len("_kernel_time")])] += e["dur"] / 1000.0
    run_ms = sum(e["dur"] for e in model_runs[1:]) / 1000.0 / kept
    return (t, {op: (len(names), ms / kept) for op, (names, ms) in by_op.items()},
            {name: ms / kept for name, ms in by_node.items()}, kept, run_ms)


def ort_node_key(name):
    """The ONNX node name behind an onnxruntime profiled node: its NCHWc
    rewrite names a fused node after its last output ("<node>_output_0_nchwc")."""
    for suffix in ("_nchwc", "_output_0"):
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def ort_ms_of_step(line, by_node):
    """onnxruntime's profiled ms of the nodes fused into one fibnlr step (a
    plan line "node+node+... : kernel"), or None when onnxruntime kept none of
    those names."""
    names = line.rsplit(" : ", 1)[0].split("+")
    times = [by_node[n] for n in names if n in by_node]
    return sum(times) if times else None


def perf_child(label, threads, seconds):
    """Child process for --perf: compile, warm up, print 'ready', then forward for ``seconds``."""
    import fibnlr
    _, name, shape = find_setting(label)
    x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    fibnlr.set_num_threads(threads)
    g = fibnlr.load_onnx(B.onnx_model(name, shape))
    g.compile(dims=[list(x.shape)])
    g.forward(x)
    print("ready", flush=True)
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        g.forward(x)


def perf_profile(label, threads, top):
    """Lines of `perf report`: sample share per library, then the top symbols."""
    seconds = 4.0
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), label, "--perf-child",
                              str(threads), str(seconds + 2)], stdout=subprocess.PIPE, text=True)
    try:
        if child.stdout.readline().strip() != "ready":
            raise SystemExit("the --perf child did not start (see its error above)")
        data = os.path.join(tempfile.mkdtemp(), "perf.data")
        rec = subprocess.run(["perf", "record", "-q", "-F", "999", "-o", data, "-p", str(child.pid),
                              "--", "sleep", str(seconds)], capture_output=True, text=True)
        if rec.returncode != 0:
            return [f"perf record failed ({rec.returncode}): {rec.stderr.strip()[-300:]}"]
    finally:
        child.wait()
    lines = []
    for sort, n in (("dso", top), ("dso,sym", top)):
        rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children", "--sort", sort,
                              "--percent-limit", "0.5"], capture_output=True, text=True)
        rows = [r for r in rep.stdout.splitlines() if r.strip() and not r.startswith("#")]
        lines.append(f"-- perf samples by {sort} (top {n}) --")
        lines += [r.rstrip()[:150] for r in rows[:n]]
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("label", metavar="MODEL-LABEL", help="a row label of bench_inference.py (or a unique substring)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--pause", type=float, default=2.0)
    ap.add_argument("--perf", action="store_true", help="also sample fibnlr with Linux perf (needs perf)")
    ap.add_argument("--top", type=int, default=12)
    ap.add_argument("--perf-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.perf_child:
        perf_child(args.label, int(args.perf_child[0]), float(args.perf_child[1]))
        return
    label, name, shape = find_setting(args.label)
    proto = B.onnx_model(name, shape)
    x = np.random.default_rng(0).standard_normal(shape, dtype=np.float32)
    print(f"{label}, {args.threads} thread(s); load average {os.getloadavg()[0]:.1f}")

    plan, fib_t = fibnlr_plan(proto, x, args.threads, args.reps)
    time.sleep(args.pause)
    ort_t, by_op, by_node, kept, run_ms = ort_profile(proto, x, args.threads, args.reps)
    print(f"\nwhole forward: fibnlr {fib_t * 1e3:.3f} ms, onnxruntime {ort_t * 1e3:.3f} ms, "
          f"fibnlr / onnxruntime speed {ort_t / fib_t:.2f}x")

    step_ms = sum(sec for _, sec in plan) * 1e3
    print(f"\n-- fibnlr per-step profile: {len(plan)} steps, {step_ms:.3f} ms per profiled forward "
          f"(unprofiled best {fib_t * 1e3:.3f} ms) --")
    by_kernel = collections.defaultdict(lambda: [0, 0.0])
    for line, sec in plan:
        entry = by_kernel[line.rsplit(" : ", 1)[-1]]
        entry[0] += 1
        entry[1] += sec * 1e3
    for kernel, (count, ms) in sorted(by_kernel.items(), key=lambda kv: -kv[1][1]):
        print(f"  {kernel:32s} {count:4d} steps {ms:9.3f} ms {100 * ms / step_ms:6.1f} %")
    print("  step  fibnlr ms  share  onnxruntime ms (its profiled node time for the same nodes)  nodes : kernel")
    for i, (line, sec) in enumerate(plan):
        ort_ms = ort_ms_of_step(line, by_node)
        ort_col = f"{ort_ms:8.3f}" if ort_ms is not None else "       -"
        print(f"  {i:4d} {sec * 1e3:9.3f} {100 * sec * 1e3 / step_ms:5.1f} % {ort_col}  {line}")

    total = sum(ms for _, ms in by_op.values())
    print(f"\n-- onnxruntime per-node profile by op type, ms per forward (mean of {kept} forwards; "
          f"node time {total:.3f} ms; profiled forward {run_ms:.3f} ms, unprofiled {ort_t * 1e3:.3f} ms) --")
    for op, (nodes, ms) in sorted(by_op.items(), key=lambda kv: -kv[1][1]):
        print(f"  {op:24s} {nodes:4d} nodes {ms:9.3f} ms {100 * ms / total:6.1f} %")

    if args.perf:
        time.sleep(args.pause)
        print()
        print("\n".join(perf_profile(label, args.threads, args.top)))


if __name__ == "__main__":
    main()
