#!/usr/bin/env bash
# The project's one test command (README "Run the tests"; .ci/run calls it).
# Installs what the tests need, then runs the C++ suite (Catch2 via CTest),
# the C++ examples against the installed CMake package, the Python suite and
# the API reference (pdoc).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${FIBNLR_TEST_BUILD:-$ROOT/build/test}
JOBS=${FIBNLR_JOBS:-2}

# Debian's Catch2 v2, CMake and g++ for the C++ tests and the C++ example.
MISSING=""
for pkg in catch2 cmake g++; do
    dpkg -s "$pkg" >/dev/null 2>&1 || MISSING="$MISSING $pkg"
done
if [ -n "$MISSING" ]; then
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq $MISSING
fi

# The package with its test extras (torch is pinned to the CPU build); pdoc builds the API reference.
python -m pip install -q ".[test,report]" h5py Pillow && python -m pip install -q --no-deps cifar-10-model==7.4.0 foolbox==3.3.4

# C++: library + Catch2 suite, then install the CMake package and build the example against it.
cmake -S . -B "$BUILD/cpp" -DCMAKE_BUILD_TYPE=Release -DFIBNLR_BUILD_TESTS=ON >/dev/null
cmake --build "$BUILD/cpp" -j "$JOBS"
ctest --test-dir "$BUILD/cpp" --output-on-failure -j "$JOBS"
rm -rf "$BUILD/install" "$BUILD/example"
cmake --install "$BUILD/cpp" --prefix "$BUILD/install" >/dev/null
# The installed package must not need the Python environment it was built in:
# configure, build and run the example with an empty environment (no venv on
# PATH, no PYTHONPATH), then check that the BLAS library it loads is the copy
# in the install prefix.
CMAKE=$(command -v cmake)
CLEAN_ENV=(env -i PATH=/usr/bin:/bin HOME="${HOME:-/tmp}")
"${CLEAN_ENV[@]}" "$CMAKE" -S examples/cpp -B "$BUILD/example" -DCMAKE_PREFIX_PATH="$BUILD/install" -DCMAKE_BUILD_TYPE=Release >/dev/null
"${CLEAN_ENV[@]}" "$CMAKE" --build "$BUILD/example" -j "$JOBS"
"${CLEAN_ENV[@]}" "$BUILD/example/build_and_run"
"${CLEAN_ENV[@]}" "$BUILD/example/fibnlr_recipe"
BLAS_LOADED=$("${CLEAN_ENV[@]}" ldd "$BUILD/example/fibnlr_recipe" | awk '/scipy_openblas/ {print $3}')
case "$BLAS_LOADED" in
    "$BUILD/install/"*) ;;
    *) echo "examples/cpp loads BLAS from '$BLAS_LOADED', not from the install prefix $BUILD/install" >&2; exit 1 ;;
esac
# docs/extending.md's C++ recipe, an out-of-tree project of its own, built and run the same way.
rm -rf "$BUILD/cpp_recipe"
"${CLEAN_ENV[@]}" "$CMAKE" -S examples/cpp_recipe -B "$BUILD/cpp_recipe" -DCMAKE_PREFIX_PATH="$BUILD/install" -DCMAKE_BUILD_TYPE=Release >/dev/null
"${CLEAN_ENV[@]}" "$CMAKE" --build "$BUILD/cpp_recipe" -j "$JOBS"
"${CLEAN_ENV[@]}" "$BUILD/cpp_recipe/fold_conv_scale"

# Python: run from outside the source tree so the installed package is the one tested.
cd "$BUILD"
python -m pytest "$ROOT/unit_test/python" -q -p no:cacheprovider

# The API reference from the docstrings (pdoc) of the installed package; any pdoc warning fails the run.
bash "$ROOT/scripts/build_docs.sh" "$BUILD/api-docs"
