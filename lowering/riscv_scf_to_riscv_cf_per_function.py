"""`convert-riscv-scf-to-riscv-cf-per-function`: xDSL's lowering of
`riscv_scf.for` to labelled branches, with labels that depend only on the
function they are in.

xDSL's `convert-riscv-scf-to-riscv-cf` numbers the loops of the whole module
with one counter (`scf_body_17_for`), so a function's labels depend on how many
loops the functions before it have. Compiling kernel functions apart (in
worker processes, `tdopt -j`) would then give colliding labels. This pass runs
the same rewrite on each function with a counter of its own and names the
labels after the function: `scf_body_3_for` in `k_gemm_0` becomes
`k_gemm_0_scf_body_3_for` (the hardware-loop labels are named the same way).

Contract: input, riscv_func functions whose loops are `riscv_scf.for` with
allocated registers; output, the same functions with labelled blocks and
branches, every label unique in the module when function names are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from xdsl.backend.riscv.lowering.convert_riscv_scf_to_riscv_cf import LowerRiscvScfForPattern
from xdsl.context import Context
from xdsl.dialects import riscv, riscv_func
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriteWalker

# the labels LowerRiscvScfForPattern makes: scf_body_<n>_for, scf_body_end_<n>_for
_LOOP_LABEL = re.compile(r"scf_body(_end)?_\d+_for")


@dataclass(frozen=True)
class ConvertRiscvScfToRiscvCfPerFunctionPass(ModulePass):
    """riscv_scf.for -> riscv_cf branches, labels numbered per function."""

    name = "convert-riscv-scf-to-riscv-cf-per-function"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in op.ops:
            if not isinstance(f, riscv_func.FuncOp) or not f.body.blocks:
                continue
            before = {id(label) for label in f.walk() if isinstance(label, riscv.LabelOp)}
            PatternRewriteWalker(LowerRiscvScfForPattern(), walk_regions_first=True).rewrite_region(f.body)
            for label in f.walk():
                if (isinstance(label, riscv.LabelOp) and id(label) not in before
                        and _LOOP_LABEL.fullmatch(label.label.data)):
                    label.attributes["label"] = riscv.LabelAttr(f"{f.sym_name.data}_{label.label.data}")
