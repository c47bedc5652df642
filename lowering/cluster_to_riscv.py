"""`convert-cluster-to-riscv`: the runtime hooks of the `cluster` dialect
become the instructions that read them on the cluster:

    cluster.core_id     csrrs rd, mhartid, zero           (read-only CSR read)
    cluster.num_cores   li base, PERIPH_BASE; lw rd, NUM_CORES(base)

The CSR number and the register offsets come from `CLUSTER`
(runtime/include/tdrt_regs.h). Each result goes back to `index` through an
unrealized cast, as xDSL's riscv conversions do; `reconcile-unrealized-casts`
removes the casts once the users are riscv too. The instructions take the
place of the op (for `cluster-parallelize`: before the sliced loop nest),
so the register allocator sees them where the loops level read the values.
The ops may sit in `func.func` or `riscv_func.func`; the pass runs in
TO_RISCV right after `convert-func-to-riscv-func` (the loops level holds no
registers).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import riscv, rv32
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, UnrealizedConversionCastOp, i32
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

from tdopt.dialects.cluster import CoreIdOp, NumCoresOp
from tdopt.target import CLUSTER

MHARTID = CLUSTER.csr_mhartid
PERIPH_BASE = CLUSTER.periph_base
NUM_CORES = CLUSTER.regs["NUM_CORES"]


class LowerCoreId(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: CoreIdOp, rewriter: PatternRewriter) -> None:
        zero = rv32.GetRegisterOp(riscv.Registers.ZERO)
        # csrrs with rs1 = zero sets no bit: a pure read of mhartid
        read = riscv.CsrrsOp(zero.res, IntegerAttr(MHARTID, i32), readonly=True)
        cast = UnrealizedConversionCastOp.get([read.rd], [op.result.type])
        rewriter.replace(op, [zero, read, cast], cast.results)


class LowerNumCores(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: NumCoresOp, rewriter: PatternRewriter) -> None:
        # a plain load: the count does not change during a run, so unlike
        # the DMA registers' blocking reads it needs no volatile `tier.mmio_lw`
        base = rv32.LiOp(PERIPH_BASE)
        load = riscv.LwOp(base.rd, NUM_CORES)
        cast = UnrealizedConversionCastOp.get([load.rd], [op.result.type])
        rewriter.replace(op, [base, load, cast], cast.results)


@dataclass(frozen=True)
class ConvertClusterToRiscvPass(ModulePass):
    """cluster.core_id / cluster.num_cores -> the mhartid CSR read and the
    load of the NUM_CORES register."""

    name = "convert-cluster-to-riscv"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier([LowerCoreId(), LowerNumCores()]),
            apply_recursively=False,
        ).rewrite_module(op)
