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
from xdsl.ir.affine import AffineDimExpr
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.transforms.convert_linalg_to_memref_stream import ConvertGenericOpPattern
from xdsl.transforms.memref_stream_interleave import IndexAndFactor, PipelineGenericPattern


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
        pos in reduction_dims for m in out_maps for pos in _dims_used(m.results)
    )
    # deeper nests (a grouped, batched convolution: 8 loops) already use most
    # registers and would not allocate with loop-carried accumulators; a
    # 6-loop convolution (batch and group pinned to 0) still does
    shallow = len(kinds) <= MAX_LOOPS
    return (
        has_reduction and trailing and shallow and not scatters and not uses_index and not op.res
    )


def _dims_used(exprs) -> set[int]:
    used: set[int] = set()
    for e in exprs:
        for sub in e.dfs():
            if isinstance(sub, AffineDimExpr):
                used.add(sub.position)
    return used


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


MAX_INTERLEAVED_LOOPS = 4


def worth_interleaving(op: memref_stream.GenericOp) -> bool:
    """Register blocking is applied to plain contractions only: one output
    indexed by distinct loop dimensions (matmul, conv). xDSL's interleaving
    gave wrong results on outputs with pinned (keepdims) dimensions."""
    if len(op.outputs) != 1:
        return False
    # deeper nests (a convolution: 6 loops) keep too many addresses live for
    # the integer registers once interleaved (the allocator never spills)
    if len(op.iterator_types) > MAX_INTERLEAVED_LOOPS:
        return False
    n_in = len(op.inputs)
    out_map = op.indexing_maps.data[n_in].data
    dims = [e for e in out_map.results if isinstance(e, AffineDimExpr)]
    return len(dims) == len(out_map.results) and len({e.position for e in dims}) == len(dims)


# float registers tdopt's allocator may use (riscv_registers.ALLOCATABLE:
# ft0-ft11, fa0-fa7, fs0-fs11; it never spills), less a margin for values
# the estimate below does not see (loop-invariant operands of the body)
FLOAT_REGISTERS = 32 - 2


def registers_needed(op: memref_stream.GenericOp, index: int, factor: int) -> int:
    """Float registers the inner loop of `op` interleaved `factor` times
    along `index` keeps live at once: an accumulator per copy and output,
    a value per copy for every body op beyond the multiply-accumulate (the
    loop lowering runs each body op for all copies before the next), one
    value per input that does not depend on `index` (shared after cse) and
    two per input that does (riscv-allocate-registers-full sinks each load
    next to its first use, `riscv_registers.schedule_loads`)."""
    n_in = len(op.inputs)
    maps = [m.data for m in op.indexing_maps.data]
    varying = sum(index in _dims_used(m.results) for m in maps[:n_in])
    outputs = len(op.outputs)
    compute = sum(1 for o in op.body.block.ops if not isinstance(o, memref_stream.YieldOp))
    extra = max(0, compute - 2 * outputs)
    return factor * (outputs + extra) + min(factor, 2) * varying + (n_in - varying)


def interleave_choice(op: memref_stream.GenericOp, pipeline_depth: int) -> IndexAndFactor | None:
    """xDSL's choice (the innermost parallel dimension, its largest factor
    below twice the pipeline depth), among the factors whose copies fit the
    float register file."""
    options = PipelineGenericPattern.indices_and_factors(op)
    if not options:
        return None
    innermost = max(t.iterator_index for t in options)
    fitting = [
        t
        for t in options
        if t.iterator_index == innermost
        and t.factor < 2 * pipeline_depth
        and registers_needed(op, t.iterator_index, t.factor) <= FLOAT_REGISTERS
    ]
    return max(fitting, key=lambda t: t.factor, default=None)


@dataclass(frozen=True)
class InterleaveContractionPattern(RewritePattern):
    pipeline_depth: int

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: memref_stream.GenericOp, rewriter: PatternRewriter) -> None:
        if memref_stream.IteratorTypeAttr.interleaved() in op.iterator_types:
            return
        if not worth_interleaving(op):
            return
        choice = interleave_choice(op, self.pipeline_depth)
        if choice is None or choice.factor == 1:
            return
        PipelineGenericPattern(self.pipeline_depth, choice.iterator_index, choice.factor).match_and_rewrite(
            op, rewriter
        )


@dataclass(frozen=True)
class InterleaveContractionsPass(ModulePass):
    """xDSL's `memref-stream-interleave`, restricted to plain contractions,
    with factors that fit the register file (see `interleave_choice`)."""

    name = "interleave-contractions"

    pipeline_depth: int = 4

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        pattern = InterleaveContractionPattern(self.pipeline_depth)
        PatternRewriteWalker(pattern, apply_recursively=False).rewrite_module(op)
