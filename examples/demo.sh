#!/usr/bin/env bash
# The README demo: the most complete thing tdopt does today. A LoRA fine-tuning
# step of a small Compact Convolutional Transformer, compiled to RISC-V with
# every kernel tiled through a 64 KiB L1 by DMA, run on the 8-core cluster RTL
# and checked against the numpy reference interpreter.
set -euo pipefail
cd "$(dirname "$0")/cct"
WORK="${TMPDIR:-/tmp}/tdopt_demo"
STEP="$WORK/cct_lora_step.mlir"
mkdir -p "$WORK"

echo "== make_cct.py: a CCT in the train dialect (conv tokenizer, 2 encoder blocks,"
echo "   sequence pooling, classifier, cross-entropy), deterministic weights"
python make_cct.py
echo "== tdopt --stats: the model, verified"
tdopt cct.mlir --stats > /dev/null
echo "== tdopt --lora: one LoRA fine-tuning step (train-lora rank 4, train-autodiff, train-sgd)"
tdopt cct.mlir --lora --stats -o "$STEP" 2>&1 | grep -E "trainable param|step FLOPs"
echo "   adapters on block 1: $(grep -o '@blocks_1_[a-z0-9_]*_lora_A' "$STEP" \
    | sed 's/@blocks_1_//; s/_w_lora_A//' | paste -sd ' ')"
echo "== tdrun --reference: the step on the numpy reference interpreter"
tdrun "$STEP" --inputs inputs.npz --reference -o "$WORK/reference.npz" | grep -v "_updated"
echo "== tdopt --tile-l1=64k: tensors in L2, every kernel tile by tile through L1 by DMA"
tdopt "$STEP" --tile-l1=64k --stats -o /dev/null --plot-memory "$WORK/memory.png" 2>&1 \
    | grep -E "placed in L2|tile buffers|DMA per step|DMA floor|tiled kernel calls"
echo "   the static memory plan (bytes per tier over the kernel calls): $WORK/memory.png"
echo "== tdrun --rtl --cores 8 --tile-l1 64k: the step on the 8-core cluster RTL"
echo "   (about 1.5 minutes; the first run also builds the Verilator model, 1-3 minutes)"
tdrun "$STEP" --inputs inputs.npz --rtl --cores 8 --tile-l1 64k \
    --expect "$WORK/reference.npz" -o "$WORK/rtl.npz" | grep -v "_updated"
