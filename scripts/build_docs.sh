#!/usr/bin/env bash
# Builds the HTML API reference from the docstrings with pdoc:
#   bash scripts/build_docs.sh OUTDIR
# Documents the installed fibnlr package (run it with the Python that has
# fibnlr installed, e.g. after `pip install .`). Fails when pdoc prints
# anything on stderr: pdoc reports every problem it meets (a module it cannot
# import or inspect, a broken docstring link) as a warning there and still
# exits 0, so a reference with holes would otherwise pass unnoticed.
set -euo pipefail
if [ $# -ne 1 ]; then
    echo "usage: bash scripts/build_docs.sh OUTDIR" >&2
    exit 2
fi
OUT=$(realpath -m "$1")  # absolute: pdoc runs from a scratch directory
PYTHON=${PYTHON:-python}
# The public modules; fibnlr.recipes comes with fibnlr (it is in its __all__: naming it again is a pdoc warning).
MODULES=(fibnlr fibnlr.depth_plan fibnlr.report fibnlr.torch fibnlr.demo_data)

SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
ERR=$SCRATCH/pdoc.stderr
# Run outside the source tree, so `fibnlr` is the installed package (a
# checkout's python/fibnlr has no compiled core).
(cd "$SCRATCH" && "$PYTHON" -m pdoc "${MODULES[@]}" -o "$OUT") 2>"$ERR"
if [ -s "$ERR" ]; then
    echo "pdoc printed warnings (the API reference must build cleanly):" >&2
    cat "$ERR" >&2
    exit 1
fi
echo "API reference written to $OUT/index.html"
