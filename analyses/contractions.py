"""Contractions: a linalg op that accumulates products into its one output,
`x * y + out` (a `linalg.matmul`, and the generics of convolutions, batched
products and their gradients, as the kernel builder's `multiply_accumulate`
writes them, also with a fused producer computing `x` or `y` in the body;
the sum in either order). Asked here once: `kernel-reorder-reductions`
reorders the sums of such bodies, the profile counts their
multiply-accumulates as FLOPs and the static cycle estimate prices them.
"""

from __future__ import annotations

import math

from xdsl.dialects import arith
from xdsl.dialects.builtin import ShapedType
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import OpResult
from xdsl.ir.affine import AffineDimExpr


def accumulates_products(g: LinalgStructuredOperation) -> bool:
    """The body yields `out + p` into its one output, `out` that output's
    block argument and `p` an `arith.mulf` (of whatever the body computes
    from its inputs)."""
    block = g.body.block
    yielded = block.last_op
    if not isinstance(yielded, linalg_ops.YieldOp) or len(yielded.operands) != 1:
        return False
    add = yielded.operands[0]
    if not (isinstance(add, OpResult) and isinstance(add.op, arith.AddfOp)):
        return False
    out = block.args[-1]
    lhs, rhs = add.op.lhs, add.op.rhs
    if rhs is out:
        lhs, rhs = rhs, lhs
    return lhs is out and isinstance(rhs, OpResult) and isinstance(rhs.op, arith.MulfOp)


def is_sum_of_products(g: LinalgStructuredOperation) -> bool:
    """A contraction whose body is nothing but the product and the sum
    (`out + x * y` of two inputs): its terms may be summed in any order."""
    return accumulates_products(g) and len(list(g.body.block.ops)) == 3


def multiply_accumulates(g: LinalgStructuredOperation) -> int:
    """The iterations of a contraction (its loop ranges, read off its
    operands' shapes), one multiply-accumulate each; 0 for anything else.
    Usually with a reduction loop; a contraction over a unit dimension (a
    batch-1 weight gradient) has none left and still counts."""
    if not accumulates_products(g):
        return 0
    ranges: dict[int, int] = {}
    for operand, amap in zip(g.operands, g.get_indexing_maps().data):
        t = operand.type
        if not isinstance(t, ShapedType):
            continue
        for size, expr in zip(t.get_shape(), amap.data.results):
            if isinstance(expr, AffineDimExpr):
                ranges[expr.position] = size
    loops = len(g.get_iterator_types().data)
    if len(ranges) != loops:
        raise ValueError(f"cannot find the loop ranges of a {g.name} ({loops} loops)")
    return math.prod(ranges.values())


def is_sum(g: linalg_ops.GenericOp) -> bool:
    """The body adds one of its inputs to its one output (`out + x`: a sum
    over the reduction loops, in any order) or is a sum of products."""
    if is_sum_of_products(g):
        return True
    block = g.body.block
    ops = list(block.ops)
    if len(g.outputs) != 1 or len(ops) != 2 or not isinstance(ops[0], arith.AddfOp):
        return False
    acc = block.args[-1]
    add = ops[0]
    return (
        isinstance(ops[1], linalg_ops.YieldOp)
        and ops[1].operands[0] is add.result
        and acc in add.operands
        and all(v is acc or (v in block.args and v.index < len(g.inputs)) for v in add.operands)
    )
