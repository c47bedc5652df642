"""`kernel-reorder-reductions`: the trailing reduction loops of a kernel
(`func.func` with `cluster.kernel`, one `linalg.generic`) are reordered by trip
count, the longest innermost (a convolution's input channels inside its 3x3
window), so the innermost loop amortises its overhead over many
multiply-adds. This changes the order of the sums (within float rounding),
never which terms are summed. Parallel loops keep their positions, so the
cluster split chosen by `cluster-mark-parallel` stays valid. Only bodies
that accumulate products (`out + x * y`: matmul, conv and their gradients)
are reordered; other reductions may depend on the order (a max keeping the
first of equal values).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    ModuleOp,
)
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.attrs import IteratorType
from xdsl.ir import OpResult
from xdsl.ir.affine import AffineExpr, AffineMap
from xdsl.passes import ModulePass

from tdopt.dialects.cluster import kernel_generics


def is_sum_of_products(g: linalg_ops.GenericOp) -> bool:
    """The body accumulates products into its one output (`out + x * y`):
    the terms may be summed in any order. Other reductions (a max that
    keeps the first of equal values, say) depend on the order."""
    block = g.body.block
    if len(g.outputs) != 1:
        return False
    ops = list(block.ops)
    if {type(o) for o in ops} != {arith.MulfOp, arith.AddfOp, linalg_ops.YieldOp}:
        return False
    yielded = ops[-1].operands[0] if isinstance(ops[-1], linalg_ops.YieldOp) else None
    acc = block.args[-1]
    return (
        isinstance(yielded, OpResult)
        and isinstance(yielded.op, arith.AddfOp)
        and acc in yielded.op.operands
        and len(ops) == 3
    )


def reorder_reductions(g: linalg_ops.GenericOp) -> bool:
    """Trailing reductions by trip count, longest innermost; True if moved."""
    kinds = [t.data for t in g.iterator_types]
    if IteratorType.REDUCTION not in kinds:
        return False
    first = kinds.index(IteratorType.REDUCTION)
    if any(k != IteratorType.REDUCTION for k in kinds[first:]):
        return False
    if not is_sum_of_products(g):
        return False
    ranges = g.get_static_loop_ranges()
    old = list(range(first, len(kinds)))
    new_order = sorted(old, key=lambda j: ranges[j])  # stable: ties keep their order
    if new_order == old:
        return False
    # loop new_order[k] moves to position first + k
    position = list(range(len(kinds)))
    for k, j in enumerate(new_order):
        position[j] = first + k
    dims = [AffineExpr.dimension(position[j]) for j in range(len(kinds))]
    maps = []
    for m in g.indexing_maps.data:
        amap: AffineMap = m.data
        results = tuple(e.replace_dims_and_symbols(dims, []) for e in amap.results)
        maps.append(AffineMapAttr(AffineMap(amap.num_dims, amap.num_symbols, results)))
    g.indexing_maps = ArrayAttr(maps)
    return True


@dataclass(frozen=True)
class KernelReorderReductionsPass(ModulePass):
    name = "kernel-reorder-reductions"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for g in kernel_generics(op):
            reorder_reductions(g)
