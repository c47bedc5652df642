"""`convert-tier-dma-to-riscv`: `tier.dma_start`, `tier.dma_wait` and
`tier.dma_wait_all` become accesses to the cluster's DMA registers, the
sequence `tdrt_dma_start_1d/2d` and `tdrt_dma_wait(_all)` of
runtime/include/tdrt.h perform:

    start:    sw src, DMA_SRC; sw dst, DMA_DST; sw row_len, DMA_LEN;
              sw rows, DMA_ROWS; (2-D: sw strides, DMA_SRC/DST_STRIDE);
              id = lw DMA_START
    wait:     sw id, DMA_WAIT_ID; lw DMA_WAIT      (the load blocks)
    wait all: lw DMA_WAIT_ALL

The register offsets come from runtime/include/tdrt_regs.h. Memref operands
become pointers through unrealized casts, as `convert-memref-to-riscv` does
(a memref value is the address of its first element, subview offsets
included), and the i32 id a register; `reconcile-unrealized-casts` removes
the casts. The configuration registers are per core, so the ops work in
any kernel, also on several cores at once (each core queues its own
transfers). Runs in the TO_RISCV pipeline next to the other convert-*-to-riscv
passes, on functions before or after `convert-func-to-riscv-func`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import riscv, rv32
from xdsl.dialects.builtin import ModuleOp, UnrealizedConversionCastOp
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.utils.exceptions import DiagnosticException, VerifyException

from tdopt.dialects.tier import DmaStartOp, DmaWaitAllOp, DmaWaitOp, MmioLwOp
from tdopt.target import CLUSTER

PERIPH_BASE = CLUSTER.periph_base
DMA_SRC = CLUSTER.regs["DMA_SRC"]
DMA_DST = CLUSTER.regs["DMA_DST"]
DMA_LEN = CLUSTER.regs["DMA_LEN"]
DMA_SRC_STRIDE = CLUSTER.regs["DMA_SRC_STRIDE"]
DMA_DST_STRIDE = CLUSTER.regs["DMA_DST_STRIDE"]
DMA_ROWS = CLUSTER.regs["DMA_ROWS"]
DMA_START = CLUSTER.regs["DMA_START"]
DMA_WAIT_ID = CLUSTER.regs["DMA_WAIT_ID"]
DMA_WAIT = CLUSTER.regs["DMA_WAIT"]
DMA_WAIT_ALL = CLUSTER.regs["DMA_WAIT_ALL"]


def _to_reg(v: SSAValue, ops: list[Operation]) -> SSAValue:
    """`v` (a memref or an i32) as an integer register."""
    if isinstance(v.type, riscv.IntRegisterType):
        return v
    cast = UnrealizedConversionCastOp.get((v,), (riscv.Registers.UNALLOCATED_INT,))
    ops.append(cast)
    return cast.results[0]


def _periph_base(ops: list[Operation]) -> SSAValue:
    # one `li` per op; cse merges them and the register allocator
    # rematerializes the constant where registers are short
    li = rv32.LiOp(PERIPH_BASE)
    li.rd.name_hint = "dma_regs"
    ops.append(li)
    return li.rd


def _store(base: SSAValue, value: SSAValue | int, offset: int, ops: list[Operation]) -> None:
    if isinstance(value, int):
        li = rv32.LiOp(value)
        ops.append(li)
        value = li.rd
    ops.append(riscv.SwOp(base, value, offset))


class LowerDmaStart(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DmaStartOp, rewriter: PatternRewriter) -> None:
        try:
            t = op.transfer()
        except VerifyException as e:  # the IR was not verified: say where
            raise DiagnosticException(f"convert-tier-dma-to-riscv: {e}") from e
        ops: list[Operation] = []
        src = _to_reg(op.src, ops)
        dst = _to_reg(op.dst, ops)
        base = _periph_base(ops)
        _store(base, src, DMA_SRC, ops)
        _store(base, dst, DMA_DST, ops)
        _store(base, t.row_len, DMA_LEN, ops)
        _store(base, t.rows, DMA_ROWS, ops)
        if t.rows > 1:  # a 1-D transfer ignores the strides
            _store(base, t.src_stride, DMA_SRC_STRIDE, ops)
            _store(base, t.dst_stride, DMA_DST_STRIDE, ops)
        start = MmioLwOp(base, DMA_START, comment="queue the DMA transfer, its id")
        start.rd.name_hint = "dma_id"
        ops.append(start)
        ops.append(cast := UnrealizedConversionCastOp.get((start.rd,), (op.id.type,)))
        rewriter.replace(op, ops, cast.results)


class LowerDmaWait(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DmaWaitOp, rewriter: PatternRewriter) -> None:
        ops: list[Operation] = []
        id_reg = _to_reg(op.id, ops)
        base = _periph_base(ops)
        _store(base, id_reg, DMA_WAIT_ID, ops)
        ops.append(MmioLwOp(base, DMA_WAIT, comment="wait for the DMA transfer"))
        rewriter.replace(op, ops, [])


class LowerDmaWaitAll(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: DmaWaitAllOp, rewriter: PatternRewriter) -> None:
        ops: list[Operation] = []
        base = _periph_base(ops)
        ops.append(MmioLwOp(base, DMA_WAIT_ALL, comment="wait for every DMA transfer"))
        rewriter.replace(op, ops, [])


@dataclass(frozen=True)
class ConvertTierDmaToRiscvPass(ModulePass):
    """tier.dma_start / dma_wait / dma_wait_all -> stores and blocking loads
    of the DMA registers."""

    name = "convert-tier-dma-to-riscv"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier([LowerDmaStart(), LowerDmaWait(), LowerDmaWaitAll()]),
            apply_recursively=False,
        ).rewrite_module(op)
