#!/usr/bin/env bash
# The README demo: the most complete thing tdopt does today.
set -euo pipefail
cd "$(dirname "$0")/cct_block"
python make_inputs.py
echo "== tdopt: the CCT encoder block (train dialect), verified"
tdopt encoder_block.mlir --stats > /dev/null
echo "== tdrun --reference: the numpy reference interpreter"
tdrun encoder_block.mlir --inputs inputs.npz --reference
echo "== tdopt --finetune=2: one SGD step training the last two layers (train-finetune,"
echo "   train-autodiff, train-sgd), run on the reference interpreter"
tdopt encoder_block.mlir --finetune=2 -o /tmp/tdopt_demo_step.mlir
tdrun /tmp/tdopt_demo_step.mlir --inputs inputs.npz --reference
echo "== tdrun --rtl: the block compiled to RISC-V and run on the cluster RTL (1 core;"
echo "   the first run builds the Verilator model, 1-3 minutes)"
tdrun encoder_block.mlir --inputs inputs.npz --rtl
