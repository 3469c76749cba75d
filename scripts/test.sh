#!/usr/bin/env bash
# The project's one test command (README "Run the tests"; .ci/run calls it).
# Installs what the tests need, then runs the C++ suite (Catch2 via CTest),
# the C++ example against the installed CMake package, and the Python suite.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${FIBNLR_TEST_BUILD:-$ROOT/build/test}
JOBS=${FIBNLR_JOBS:-2}

# Debian's Catch2 v2 for the C++ tests.
if ! dpkg -s catch2 >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq catch2
fi

# The package with its test extras (torch is pinned to the CPU build).
python -m pip install -q ".[test]"

# C++: library + Catch2 suite, then install the CMake package and build the example against it.
PYBIND11_DIR=$(python -c "import pybind11; print(pybind11.get_cmake_dir())")
cmake -S . -B "$BUILD/cpp" -DCMAKE_BUILD_TYPE=Release -DFIBNLR_BUILD_TESTS=ON -Dpybind11_DIR="$PYBIND11_DIR" >/dev/null
cmake --build "$BUILD/cpp" -j "$JOBS"
ctest --test-dir "$BUILD/cpp" --output-on-failure -j "$JOBS"
cmake --install "$BUILD/cpp" --prefix "$BUILD/install" >/dev/null
cmake -S examples/cpp -B "$BUILD/example" -DCMAKE_PREFIX_PATH="$BUILD/install" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD/example" -j "$JOBS"
"$BUILD/example/build_and_run"

# Python: run from outside the source tree so the installed package is the one tested.
cd "$BUILD"
python -m pytest "$ROOT/unit_test/python" -q -p no:cacheprovider
