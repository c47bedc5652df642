"""`convert-reductions-to-memref-stream`: the linalg reductions that xDSL's
memref_stream level handles move there, so that `convert-memref-stream-to-
loops` keeps their accumulators in registers (loop-carried values) instead
of loading and storing the output every iteration.

Only generics whose reduction iterators come last and that use no
`linalg.index` are converted (memref_stream's loop lowering has no index support); the rest
stay for `convert-linalg-to-loops`.

A `linalg.fill` of a converted generic's output in the same block (a kernel
`kernel-fuse-fill` made: the fill, then the reduction) becomes
`memref_stream.fill`, which `memref-stream-fold-fill` folds into the
generic's initial values; a fill of anything else stays.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import memref_stream
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.transforms.convert_linalg_to_memref_stream import ConvertGenericOpPattern

from tdopt.analyses.streaming import worth_streaming


class ConvertReductionPattern(ConvertGenericOpPattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: linalg_ops.GenericOp, rewriter: PatternRewriter) -> None:
        if worth_streaming(op):
            super().match_and_rewrite(op, rewriter)


class ConvertStreamYieldPattern(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: linalg_ops.YieldOp, rewriter: PatternRewriter) -> None:
        if isinstance(op.parent_op(), memref_stream.GenericOp):
            rewriter.replace(op, memref_stream.YieldOp(*op.operands))


class ConvertFillPattern(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: linalg_ops.FillOp, rewriter: PatternRewriter) -> None:
        if len(op.inputs) != 1 or len(op.outputs) != 1 or op.res:
            return
        out = op.outputs[0]
        streamed = any(
            isinstance(use.operation, memref_stream.GenericOp)
            and use.operation.parent_block() is op.parent_block()
            for use in out.uses
        )
        if streamed:
            rewriter.replace(op, memref_stream.FillOp(out, op.inputs[0]), [])


@dataclass(frozen=True)
class ConvertReductionsToMemRefStreamPass(ModulePass):
    name = "convert-reductions-to-memref-stream"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(ConvertReductionPattern(), apply_recursively=False).rewrite_module(op)
        PatternRewriteWalker(ConvertStreamYieldPattern()).rewrite_module(op)
        PatternRewriteWalker(ConvertFillPattern(), apply_recursively=False).rewrite_module(op)
