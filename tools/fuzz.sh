#!/usr/bin/env bash
# The property-based fuzzers of issue 14 (hypothesis; test/fuzz/).
#   tools/fuzz.sh N [--compile-rate K] [--rtl-rate K] [--shrink]           the train dialect
#   tools/fuzz.sh N --tools [--rtl-rate K] [--seed S] [--shrink]            the tools' inputs
# The train dialect (test/fuzz/train_fuzz.py):
# runs N generated modules (hypothesis max_examples=N, a fresh random seed each
# run): every one is verified or rejected, its forward and gradients compared
# with PyTorch; one in K (default 5) is compiled to assembly at a random
# --tile-l1/--cores, one in K (--rtl-rate, default none) runs on the RTL.
# Prints each failure with its case, then the counts; exit 1 if any failed.
# --shrink stops at the first failure and minimises it.
# --tools (test/fuzz/tool_fuzz.py): N mutated invocations of tdrun, tdopt,
# tdimport and tdbench (files truncated, flipped, npz arrays dropped,
# renamed, retyped, reshaped, bad labels, NaN/Inf, flags dropped,
# duplicated, given bad values, outputs onto inputs or into missing
# folders); one in K (default 50) runs on the RTL. Prints each failure with
# its case, then the counts by tool and by outcome; exit 1 if any failed.
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
    echo "       tools/fuzz.sh N --tools [--rtl-rate K] [--seed S] [--shrink]" >&2
    exit 2
fi
for a in "$@"; do
    if [ "$a" = --tools ]; then
        args=()
        for b in "$@"; do [ "$b" = --tools ] || args+=("$b"); done
        # warnings of numpy on NaN inputs are expected (the fuzzer makes them)
        exec "$PYTHON" -W ignore::RuntimeWarning "$ROOT/test/fuzz/tool_fuzz.py" "${args[@]}"
    fi
done
exec "$PYTHON" "$ROOT/test/fuzz/train_fuzz.py" "$@"
