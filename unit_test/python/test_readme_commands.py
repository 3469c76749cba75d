"""The benchmark commands the README shows run against the installed package.

Each runs in a child process from the repository's benchmarks/ folder with
tiny sizes: a script that put the source tree's python/ folder first on
sys.path would import a fibnlr without its compiled core and fail here.
"""

import subprocess
import sys
from pathlib import Path

import pytest

import fibnlr

ROOT = Path(__file__).resolve().parents[2]
# The child sees the same installed fibnlr as this process, nothing from python/.
INSTALLED = str(Path(fibnlr.__file__).resolve().parents[1])

COMMANDS = {
    "bench_counting": (["benchmarks/bench_counting.py", "--reps", "1", "--batch", "2"], "counting kernel / streaming read"),
    "bench_load_chain": (["benchmarks/bench_load_chain.py", "--sizes", "200"], "us/node"),
    "bench_merge": (["benchmarks/bench_merge.py", "--models", "mobilenet_v2_all_pruned", "--rounds", "1",
                     "--batch", "1"], "speed-up over the pruned model"),
    "bench_inference": (["benchmarks/bench_inference.py", "--threads", "1", "--reps", "1", "--pause", "0",
                         "--settings", "demo ResNet 28x28 b1", "--no-memory"], "fib/ort"),
    "bench_profile": (["benchmarks/bench_profile.py", "demo ResNet 28x28 b1", "--threads", "1", "--reps", "1",
                       "--pause", "0"], "per-node profile by op type"),
}


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_readme_benchmark_runs_against_the_installed_package(name, tmp_path):
    if INSTALLED.startswith(str(ROOT / "python")):
        pytest.skip("fibnlr is imported from the source tree: this checks the installed package")
    args, expected = COMMANDS[name]
    proc = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PYTHONPATH": INSTALLED})
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert expected in proc.stdout
