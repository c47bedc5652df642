"""`riscv-fuse-fmadd`: contract single-precision multiply-adds into F fused ops.

xDSL 0.74 fuses only f64 (`FuseMultiplyAddD`, a canonicalization pattern of
`riscv.fadd.d` that needs the `contract` fastmath flag on both ops); f32 code
keeps `fmul.s` + `fadd.s`.  This pass does the f32 counterpart, with the same
structure, on unallocated `riscv` IR (after `convert-arith-to-riscv` and
`canonicalize`, before `riscv-allocate-registers`):

| pattern (`m = fmul.s a, b` with `m` used once) | becomes |
|---|---|
| `fadd.s m, c` / `fadd.s c, m` | `fmadd.s a, b, c`  (a*b + c) |
| `fsub.s m, c` | `fmsub.s a, b, c`  (a*b - c) |
| `fsub.s c, m` | `fnmsub.s a, b, c` (-(a*b) + c) |
| `fsgnjn.s f, f` with `f = fmadd.s a, b, c` used once | `fnmadd.s a, b, c` (-(a*b) - c) |

A fused op rounds once instead of twice, so results can differ from the
unfused code in the last bit; the paper's and PyTorch's tolerances (rtol
1e-4) allow this contraction, so by default the pass fuses regardless of
fastmath flags.  `require-contract=true` restricts it to ops that all carry
the `contract` flag, like xDSL's f64 pattern.  When both operands of an add
are single-use products, the right-hand one is fused (the left one usually
is the accumulator of a longer chain).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import riscv
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.utils import FastMathFlag
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)


def _contract_allowed(op: Operation, require_contract: bool) -> bool:
    if not require_contract:
        return True
    flags = getattr(op, "fastmath", None)
    return flags is not None and FastMathFlag.ALLOW_CONTRACT in flags.data


def _fusible_product(
    value: SSAValue, require_contract: bool
) -> riscv.FMulSOp | None:
    """The fmul.s producing `value` if it can be folded into its only user."""
    mul = value.owner
    if (
        isinstance(mul, riscv.FMulSOp)
        and mul.rd.has_one_use()
        and _contract_allowed(mul, require_contract)
    ):
        return mul
    return None


@dataclass(frozen=True)
class FuseFAddS(RewritePattern):
    require_contract: bool = False

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: riscv.FAddSOp, rewriter: PatternRewriter) -> None:
        if not _contract_allowed(op, self.require_contract):
            return
        if mul := _fusible_product(op.rs2, self.require_contract):
            addend = op.rs1
        elif mul := _fusible_product(op.rs1, self.require_contract):
            addend = op.rs2
        else:
            return
        rewriter.replace(
            op,
            riscv.FMAddSOp(mul.rs1, mul.rs2, addend, rd=op.rd.type, comment=op.comment),
        )
        rewriter.erase(mul)  # its only use is gone


@dataclass(frozen=True)
class FuseFSubS(RewritePattern):
    require_contract: bool = False

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: riscv.FSubSOp, rewriter: PatternRewriter) -> None:
        if not _contract_allowed(op, self.require_contract):
            return
        # c - a*b first: it keeps the accumulator form of fnmsub chains
        if mul := _fusible_product(op.rs2, self.require_contract):
            fused = riscv.FNMSubSOp(
                mul.rs1, mul.rs2, op.rs1, rd=op.rd.type, comment=op.comment
            )
        elif mul := _fusible_product(op.rs1, self.require_contract):
            fused = riscv.FMSubSOp(
                mul.rs1, mul.rs2, op.rs2, rd=op.rd.type, comment=op.comment
            )
        else:
            return
        rewriter.replace(op, fused)
        rewriter.erase(mul)  # its only use is gone


@dataclass(frozen=True)
class FuseNegatedFMAddS(RewritePattern):
    """-(a*b + c) as one fnmadd.s (xDSL lowers arith.negf to fsgnjn.s x, x)."""

    require_contract: bool = False

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: riscv.FSgnJNSOp, rewriter: PatternRewriter) -> None:
        fma = op.rs1.owner
        if (
            op.rs1 != op.rs2
            or not isinstance(fma, riscv.FMAddSOp)
            or any(use.operation is not op for use in fma.rd.uses)
            or self.require_contract  # fsgnjn.s carries no fastmath flags
        ):
            return
        rewriter.replace(
            op,
            riscv.FNMAddSOp(fma.rs1, fma.rs2, fma.rs3, rd=op.rd.type, comment=op.comment),
        )
        rewriter.erase(fma)


@dataclass(frozen=True)
class RiscvFuseFmaddPass(ModulePass):
    """Fuse single-use fmul.s into fadd.s/fsub.s as fmadd.s/fmsub.s/fnmsub.s/fnmadd.s."""

    name = "riscv-fuse-fmadd"

    require_contract: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        flag = self.require_contract
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [FuseFAddS(flag), FuseFSubS(flag), FuseNegatedFMAddS(flag)]
            ),
            apply_recursively=True,
        ).rewrite_module(op)
