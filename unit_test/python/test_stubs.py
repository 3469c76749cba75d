"""The type stubs of the compiled core are shipped and up to date, and the
examples type-check with mypy --strict against the installed package."""
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

import fibnlr

REPO = pathlib.Path(__file__).resolve().parents[2]
PACKAGE = pathlib.Path(fibnlr.__file__).parent
COMMITTED = REPO / "python" / "fibnlr" / "_core"
# The examples using the clean API, and the ported upstream one.
EXAMPLES = [REPO / "examples" / "seed_example.py", REPO / "examples" / "recipes_example.py"]


def test_package_ships_py_typed_and_core_stubs():
    assert (PACKAGE / "py.typed").is_file()
    stubs = {p.name for p in (PACKAGE / "_core").glob("*.pyi")}
    assert {"__init__.pyi", "recipes.pyi"} <= stubs, stubs


def test_committed_stubs_are_up_to_date(tmp_path):
    if importlib.util.find_spec("pybind11_stubgen") is None:
        pytest.skip("pybind11-stubgen is not installed (pip install '.[test]')")
    if not COMMITTED.is_dir():
        pytest.skip(f"no source tree next to this test ({COMMITTED} is missing)")
    subprocess.run([sys.executable, str(REPO / "scripts" / "generate_stubs.py"), "--output", str(tmp_path)],
                   check=True, capture_output=True, text=True)
    fresh = {p.relative_to(tmp_path / "fibnlr" / "_core"): p.read_text()
             for p in (tmp_path / "fibnlr" / "_core").rglob("*.pyi")}
    committed = {p.relative_to(COMMITTED): p.read_text() for p in COMMITTED.rglob("*.pyi")}
    assert sorted(fresh) == sorted(committed), "stub files differ: run python scripts/generate_stubs.py"
    stale = [str(name) for name in fresh if fresh[name] != committed[name]]
    assert not stale, f"stale stubs {stale}: run python scripts/generate_stubs.py and commit the result"


def test_examples_pass_mypy_strict(tmp_path):
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (pip install '.[test]')")
    missing = [str(p) for p in EXAMPLES if not p.is_file()]
    if missing:
        pytest.skip(f"no source tree next to this test ({missing} missing)")
    # From an empty folder so mypy checks against the installed (or PYTHONPATH) fibnlr.
    env = dict(os.environ, MYPY_CACHE_DIR=str(tmp_path / "cache"))
    if os.environ.get("PYTHONPATH"):
        env["MYPYPATH"] = os.environ["PYTHONPATH"]
    # --follow-imports=silent: errors are reported for the examples only, not for the modules they import.
    command = [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-error-summary",
               *map(str, EXAMPLES)]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
