#!/usr/bin/env bash
# The README demo: the most complete thing tdopt does today.
set -euo pipefail
cd "$(dirname "$0")/cct_block"
STEP="${TMPDIR:-/tmp}/tdopt_demo_lora_step.mlir"
python make_inputs.py
echo "== tdopt --stats: the CCT encoder block (train dialect), verified"
tdopt encoder_block.mlir --stats > /dev/null
echo "== tdrun --reference: its forward pass and loss on the numpy reference interpreter"
tdrun encoder_block.mlir --inputs inputs.npz --reference
echo "== tdopt --lora=2: one LoRA fine-tuning step (train-lora, train-autodiff, train-sgd)"
tdopt encoder_block.mlir --lora=2 --stats -o "$STEP"
tdrun "$STEP" --inputs inputs.npz --reference -o reference.npz | head -4
echo "   ..."
echo "== tdrun --rtl --cores 8: the LoRA step compiled to RISC-V and run on the 8-core cluster RTL"
echo "   (the first run builds the Verilator model, 1-3 minutes)"
tdrun "$STEP" --inputs inputs.npz --rtl --cores 8 --expect reference.npz -o rtl.npz | grep -v "_updated"
