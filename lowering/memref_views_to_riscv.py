"""`convert-memref-views-to-riscv`: the views tdopt writes (`analyses/views.py`:
`memref.collapse_shape`, `memref.expand_shape`, `memref.reinterpret_cast` at
offset 0) become their source's address.

A view starts at its source's first element and only changes the shape the
loads and stores through it index with, which `convert-memref-to-riscv` reads
from the view's type. So the view's value is the source's register, seen as
the view's type: two unrealized casts (memref -> register -> memref), which
`reconcile-unrealized-casts` removes with the conversions' own. Runs in the
TO_RISCV pipeline before `convert-memref-to-riscv`. A reinterpret_cast with
an offset or dynamic operands is no view of tdopt's and an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import riscv
from xdsl.dialects.builtin import ModuleOp, UnrealizedConversionCastOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import PatternRewriter, PatternRewriteWalker, RewritePattern
from xdsl.utils.exceptions import DiagnosticException

from tdopt.analyses.views import VIEW_OPS, starts_at_source


class _LowerView(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter, /) -> None:
        if not isinstance(op, VIEW_OPS):
            return
        if not starts_at_source(op):
            e = DiagnosticException(
                "convert-memref-views-to-riscv: a memref.reinterpret_cast is lowered only as a "
                "view from its source's first element (static offset 0, sizes and strides)"
            )
            e.op = op  # type: ignore[attr-defined]  (tdopt locates the op)
            raise e
        source = op.operands[0]
        to_reg = UnrealizedConversionCastOp.get((source,), (riscv.Registers.UNALLOCATED_INT,))
        back = UnrealizedConversionCastOp.get(to_reg.results, (op.results[0].type,))
        rewriter.replace(op, [to_reg, back], back.results)


@dataclass(frozen=True)
class ConvertMemrefViewsToRiscvPass(ModulePass):
    """Views as their source's address (see the module docstring)."""

    name = "convert-memref-views-to-riscv"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(_LowerView(), apply_recursively=False).rewrite_module(op)
