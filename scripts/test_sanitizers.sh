#!/usr/bin/env bash
# The C++ suite under AddressSanitizer and UndefinedBehaviorSanitizer (.ci/run
# calls it after scripts/test.sh, which installs what it needs). Optimised
# with debug info (-O1 keeps the sanitizer reports exact enough and the suite
# fast enough for CI); any report fails the run (-fno-sanitize-recover=all).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${FIBNLR_TEST_BUILD:-$PWD/build/test}/asan
JOBS=${FIBNLR_JOBS:-2}

cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g" \
      -DFIBNLR_BUILD_TESTS=ON -DFIBNLR_SANITIZE=ON >/dev/null
cmake --build "$BUILD" -j "$JOBS"
# detect_leaks: nothing the suite allocates may outlive it.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$BUILD" --output-on-failure -j "$JOBS"
