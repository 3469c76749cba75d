"""Regenerate the type stubs of the compiled core (python/fibnlr/_core/*.pyi).

    python scripts/generate_stubs.py [--output DIR]

Runs pybind11-stubgen on ``fibnlr._core`` (the fibnlr importable now: install
the package first, ``pip install .``) and writes ``fibnlr/_core/__init__.pyi``
and one ``.pyi`` per submodule under DIR (default: the repository's python/
folder, next to the package sources). test_stubs.py regenerates into a
temporary folder and fails when the committed stubs differ.

Needs pybind11-stubgen (the ``test`` extra pins its version).
"""
from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile

# Enum defaults in pybind11 signatures print as ``<Method.STRICT: 0>``; the
# stub generator rewrites them to ``Method.STRICT`` when told where each enum lives.
_ENUM_LOCATIONS = [
    "DataType:fibnlr._core",
    "Method|NormalizationMethod|GroupMethod|AblationCriteria|AblationMethod:fibnlr._core.recipes",
]

_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def generate(output: str) -> list[str]:
    """Writes the stubs under ``output``/fibnlr/_core/; returns their paths relative to ``output``."""
    from pybind11_stubgen import main as stubgen_main

    with tempfile.TemporaryDirectory() as tmp:
        args = ["fibnlr._core", "--output-dir", tmp, "--exit-code"]
        for location in _ENUM_LOCATIONS:
            args += ["--enum-class-locations", location]
        stubgen_main(args)
        source = os.path.join(tmp, "fibnlr", "_core")
        target = os.path.join(output, "fibnlr", "_core")
        if os.path.isdir(target):
            shutil.rmtree(target)
        shutil.copytree(source, target)
    return sorted(os.path.relpath(os.path.join(d, f), output)
                  for d, _, files in os.walk(target) for f in files if f.endswith(".pyi"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default=os.path.join(_REPO, "python"),
                        help="folder that receives fibnlr/_core/*.pyi (default: the repository's python/)")
    args = parser.parse_args()
    try:
        import pybind11_stubgen  # noqa: F401
    except ImportError:
        print("generate_stubs.py: pybind11-stubgen is not installed; pip install '.[test]'", file=sys.stderr)
        return 2
    for path in generate(args.output):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
