"""Randomly corrupted copies of a real model's bytes load (and run) or raise
ValueError/TypeError, never crash or raise anything else. The loop runs in a child process so a crash fails the
test instead of killing the suite."""
import subprocess
import sys
import textwrap

from models.export import export_zoo_model

N_CASES = 2000

CHILD = textwrap.dedent("""
    import sys, random, numpy as np, fibnlr
    data = open(sys.argv[1], "rb").read()
    rng = random.Random(1234)
    outcomes = {"ok": 0, "error": 0}
    for i in range(int(sys.argv[2])):
        b = bytearray(data)
        kind = rng.randrange(4)
        if kind == 0:          # flip bytes
            for _ in range(rng.randint(1, 8)):
                b[rng.randrange(len(b))] = rng.randrange(256)
        elif kind == 1:        # truncate
            b = b[: rng.randrange(len(b))]
        elif kind == 2:        # duplicate a slice
            s = rng.randrange(len(b)); e = min(len(b), s + rng.randint(1, 64))
            b[s:s] = b[s:e]
        else:                  # zero a run
            s = rng.randrange(len(b)); b[s:s + rng.randint(1, 32)] = bytes(min(32, len(b) - s))
        try:
            g = fibnlr.load_onnx(bytes(b))
            g.compile(dims=[[1, 3, 16, 16]])
            g.forward(np.ones((1, 3, 16, 16), np.float32))
            outcomes["ok"] += 1
        except (ValueError, TypeError):  # the only errors bad input may raise
            outcomes["error"] += 1
    print(outcomes["ok"], outcomes["error"])
""")


def test_corrupted_models_never_crash(tmp_path):
    model, _ = export_zoo_model("tiny")
    path = tmp_path / "tiny.onnx"
    path.write_bytes(model.SerializeToString())
    proc = subprocess.run([sys.executable, "-c", CHILD, str(path), str(N_CASES)],
                          capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, f"child died (code {proc.returncode}):\n{proc.stderr[-3000:]}"
    ok, errors = map(int, proc.stdout.split())
    assert ok + errors == N_CASES
    assert errors > 0  # the corruption really produced bad files
