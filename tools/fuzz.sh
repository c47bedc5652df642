#!/usr/bin/env bash
# The property-based fuzzer of the train dialect (issue 14; test/fuzz/train_fuzz.py).
#   tools/fuzz.sh N [--compile-rate K] [--rtl-rate K] [--shrink]
# runs N generated modules (hypothesis max_examples=N, a fresh random seed each
# run): every one is verified or rejected, its forward and gradients compared
# with PyTorch; one in K (default 5) is compiled to assembly at a random
# --tile-l1/--cores, one in K (--rtl-rate, default none) runs on the RTL.
# Prints each failure with its case, then the counts; exit 1 if any failed.
# --shrink stops at the first failure and minimises it.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"
[ -x "$PYTHON" ] || PYTHON=python3
# the repository root is the package `tdopt`: import this checkout
if [ "$(basename "$ROOT")" = tdopt ]; then
    export PYTHONPATH="$(dirname "$ROOT")${PYTHONPATH:+:$PYTHONPATH}"
fi
if [ $# -lt 1 ]; then
    echo "usage: tools/fuzz.sh N [--compile-rate K] [--rtl-rate K] [--shrink]" >&2
    exit 2
fi
exec "$PYTHON" "$ROOT/test/fuzz/train_fuzz.py" "$@"
