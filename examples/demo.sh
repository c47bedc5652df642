#!/usr/bin/env bash
# The README demo: the most complete thing tdopt does today.
set -euo pipefail
cd "$(dirname "$0")/cct_block"
python make_inputs.py
echo "== tdopt: parse and verify the CCT encoder block (train dialect)"
tdopt encoder_block.mlir | head -12
echo "   ..."
echo "== tdrun --reference: run it on the numpy reference interpreter"
tdrun encoder_block.mlir --inputs inputs.npz --reference -o result.npz
