"""`affine-fold-constants`: an `affine.apply` whose operands include
`arith.constant` indices gets those constants substituted into its map; a
map that becomes constant is replaced by an `arith.constant`. Register
blocking (`interleave-contractions`) indexes each copy of a blocked body
with `copy floordiv s mod f` of a constant copy number; folded here, the
addresses of the copies differ by constant offsets, which the strength
reduction turns into immediates instead of divisions at run time."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import affine, arith
from xdsl.dialects.builtin import AffineMapAttr, IndexType, IntegerAttr, ModuleOp
from xdsl.ir.affine import AffineConstantExpr, AffineExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.transforms.canonicalization_patterns.utils import const_evaluate_operand


class FoldConstantOperands(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: affine.ApplyOp, rewriter: PatternRewriter) -> None:
        amap = op.map.data
        values = [const_evaluate_operand(v) for v in op.mapOperands]
        if all(c is None for c in values) or amap.num_symbols:
            return
        kept = [v for v, c in zip(op.mapOperands, values) if c is None]
        dims: list[AffineExpr] = []
        position = 0
        for c in values:
            if c is None:
                dims.append(AffineExpr.dimension(position))
                position += 1
            else:
                dims.append(AffineExpr.constant(c))
        folded = amap.replace_dims_and_symbols(dims, [], len(kept), 0)
        result = folded.results[0]
        if isinstance(result, AffineConstantExpr):
            rewriter.replace(op, arith.ConstantOp(IntegerAttr(result.value, IndexType())))
        else:
            rewriter.replace(op, affine.ApplyOp(kept, AffineMapAttr(AffineMap(len(kept), 0, (result,)))))


@dataclass(frozen=True)
class AffineFoldConstantsPass(ModulePass):
    name = "affine-fold-constants"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(FoldConstantOperands()).rewrite_module(op)
