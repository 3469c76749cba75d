"""The command as a user starts it: `python -m fibnlr` (and the `fibnlr` script when installed) in a child process."""
import json
import subprocess
import sys
from pathlib import Path

import onnx

import fibnlr

# Children import the same fibnlr as this process (installed or development tree).
CHILD_ENV = {"PYTHONPATH": str(Path(fibnlr.__file__).resolve().parents[1]), "PATH": "/usr/bin:/bin"}


def _command():
    script = Path(sys.executable).parent / "fibnlr"
    installed = script.exists() and not CHILD_ENV["PYTHONPATH"].startswith(str(Path(__file__).resolve().parents[2]))
    return [str(script)] if installed else [sys.executable, "-m", "fibnlr"]


def test_version_through_python_m(tmp_path):
    out = subprocess.run([sys.executable, "-m", "fibnlr", "--version"], capture_output=True, text=True,
                         env=CHILD_ENV, cwd=tmp_path, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == f"fibnlr {fibnlr.__version__}"


def test_run_demo_quiet_json_in_a_child_writes_into_the_current_folder(tmp_path):
    out = subprocess.run([*_command(), "run", "--demo", "--quiet", "--finetune-epochs", "0", "--json"],
                         capture_output=True, text=True, env=CHILD_ENV, cwd=tmp_path, timeout=300)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)  # stdout holds the JSON document and nothing else
    assert doc["out"] == "demo_pruned.onnx" and (tmp_path / "demo_pruned.onnx").exists()
    onnx.checker.check_model(onnx.load(str(tmp_path / "demo_pruned.onnx")))
    assert doc["metrics"]["original"]["top1"] > 80 and 0 <= doc["change"]["top1_agreement"] <= 100
    assert out.stderr == ""  # --quiet and no terminal: no bar, no text


def test_bad_input_in_a_child_is_one_line_without_traceback(tmp_path):
    out = subprocess.run([sys.executable, "-m", "fibnlr", "prune", "--data", "calib.npy", "model.onnx",
                          "--out", "o.onnx"], capture_output=True, text=True, env=CHILD_ENV, cwd=tmp_path, timeout=60)
    assert out.returncode == 2
    assert out.stderr == "fibnlr: error: model file model.onnx does not exist\n"
