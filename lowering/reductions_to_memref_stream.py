"""`convert-reductions-to-memref-stream`: the linalg reductions that xDSL's
memref_stream level handles move there, so that `convert-memref-stream-to-
loops` keeps their accumulators in registers (loop-carried values) instead
of loading and storing the output every iteration.

Only generics whose reduction iterators come last and that use no
`linalg.index` are converted (memref_stream's loop lowering has no index support); the rest
stay for `convert-linalg-to-loops`.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import memref_stream
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.attrs import IteratorType
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.transforms.convert_linalg_to_memref_stream import ConvertGenericOpPattern

from tdopt.analyses.affine_access import dims_used


MAX_LOOPS = 6


def worth_streaming(op: linalg_ops.GenericOp) -> bool:
    kinds = [t.data for t in op.iterator_types]
    has_reduction = IteratorType.REDUCTION in kinds
    # memref_stream's loop lowering expects the reductions innermost
    first = kinds.index(IteratorType.REDUCTION) if has_reduction else len(kinds)
    trailing = all(k == IteratorType.REDUCTION for k in kinds[first:])
    uses_index = any(isinstance(o, linalg_ops.IndexOp) for o in op.body.walk())
    # outputs must be indexed by parallel loops only (an accumulator per
    # output element); scatters through reduction loops are not reductions
    n_in = len(op.inputs)
    out_maps = [m.data for m in op.indexing_maps.data[n_in:]]
    reduction_dims = {i for i, k in enumerate(kinds) if k == IteratorType.REDUCTION}
    scatters = any(
        pos in reduction_dims for m in out_maps for pos in dims_used(m.results)
    )
    # deeper nests (a grouped, batched convolution: 8 loops) already use most
    # registers and would not allocate with loop-carried accumulators; a
    # 6-loop convolution (batch and group pinned to 0) still does
    shallow = len(kinds) <= MAX_LOOPS
    return (
        has_reduction and trailing and shallow and not scatters and not uses_index and not op.res
    )


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


@dataclass(frozen=True)
class ConvertReductionsToMemRefStreamPass(ModulePass):
    name = "convert-reductions-to-memref-stream"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(ConvertReductionPattern(), apply_recursively=False).rewrite_module(op)
        PatternRewriteWalker(ConvertStreamYieldPattern()).rewrite_module(op)
