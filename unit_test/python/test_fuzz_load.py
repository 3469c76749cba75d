"""Fuzzing load_onnx / compile / forward: every mutated model either works or
raises ValueError/TypeError, never another exception, a crash or a hang.

Mutations are structure-aware (fields, dims and attributes of the committed
corpus, see fuzz_onnx.py) and byte-level. Each mode runs in a child process
so a crash or hang fails the test instead of killing the suite.

Volume: FIBNLR_FUZZ_EXAMPLES cases per mode (default 400, a few seconds),
FIBNLR_FUZZ_SEED picks another set of cases (default 0). For a long run:
    FIBNLR_FUZZ_EXAMPLES=20000 FIBNLR_FUZZ_SEED=7 pytest unit_test/python/test_fuzz_load.py
"""
import json
import os
import subprocess
import sys

import pytest

import fuzz_onnx

EXAMPLES = int(os.environ.get("FIBNLR_FUZZ_EXAMPLES", "400"))
SEED = int(os.environ.get("FIBNLR_FUZZ_SEED", "0"))
PER_CASE_TIMEOUT = 30.0  # seconds; a case taking longer counts as a hang


def _run_child(mode, seed, count):
    cmd = [sys.executable, fuzz_onnx.__file__, mode, "--seed", str(seed), "--count", str(count),
           "--timeout", str(PER_CASE_TIMEOUT)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120 + count)
    last_case = [line for line in proc.stderr.splitlines() if line.startswith("case ")][-1:]
    assert proc.returncode == 0, (f"child died (code {proc.returncode}) in {last_case}; reproduce with\n"
                                  f"  python {fuzz_onnx.__file__} {mode} --seed {seed} --first <index> --count 1\n"
                                  f"{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.splitlines()[-1])


@pytest.mark.parametrize("mode", ["structure", "bytes"])
def test_mutated_models_load_or_raise_value_error(mode):
    result = _run_child(mode, SEED, EXAMPLES)
    failures = "\n\n".join(f"case {f['index']} ({f['file']}, dims {f['dims']}): {f['error']}\n{f['traceback']}"
                           for f in result["failures"][:5])
    assert not result["failures"], f"{len(result['failures'])} cases broke the property:\n{failures}"
    assert result["ok"] + result["error"] == EXAMPLES
    # Both outcomes occur: the mutations reach the shape rules without making every model unloadable.
    assert result["ok"] > 0 and result["error"] > 0


def test_corpus_models_load_compile_and_run():
    """The unmutated corpus is valid: every model loads, compiles and runs."""
    import numpy as np
    import fibnlr
    import onnx
    assert len(fuzz_onnx.CORPUS) >= 6
    for path in fuzz_onnx.CORPUS:
        model = onnx.load(path)
        dims = [[d.dim_value or 1 for d in vi.type.tensor_type.shape.dim] for vi in model.graph.input]
        g = fibnlr.load_onnx(path)
        g.compile(dims=dims)
        outputs = g.forward(*[np.ones(d, np.float32) for d in dims])
        assert all(np.isfinite(o).all() for o in outputs), path


def test_cases_are_reproducible_by_number():
    a = fuzz_onnx.structure_case(3, 17, fuzz_onnx.CORPUS)
    b = fuzz_onnx.structure_case(3, 17, fuzz_onnx.CORPUS)
    assert a == b
    assert fuzz_onnx.byte_case(3, 17, fuzz_onnx.CORPUS) == fuzz_onnx.byte_case(3, 17, fuzz_onnx.CORPUS)
