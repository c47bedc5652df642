"""`kernel-reorder-reductions`: the trailing reduction loops of a kernel
(`func.func` with `cluster.kernel`, one `linalg.generic`) are reordered by trip
count, the longest innermost (a convolution's input channels inside its 3x3
window), so the innermost loop amortises its overhead over many
multiply-adds. A sum whose reduction loops stand before parallel ones (the
column sums of a row-major matrix: a layer norm's weight gradient, a bias
gradient over tokens) gets them inside the parallel loops, so each core
keeps its sums in registers instead of loading and storing them at every
step; the kernel's `cluster.parallel` loop is renumbered with its move.
This changes the order of the sums (within float rounding), never which
terms are summed. Only bodies that add an input (`out + x`) or accumulate
products (`out + x * y`: matmul, conv and their gradients) are reordered;
other reductions may depend on the order (a max keeping the first of equal
values).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    ModuleOp,
)
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.attrs import IteratorType
from xdsl.ir.affine import AffineExpr, AffineMap
from xdsl.passes import ModulePass

from tdopt.analyses.contractions import is_sum, is_sum_of_products
from tdopt.dialects.cluster import PARALLEL, kernel_generics, parallel_of
from tdopt.dialects.tier import int_array


def reorder_reductions(g: linalg_ops.GenericOp) -> list[int] | None:
    """The reduction loops innermost, by trip count (the longest inside):
    the trailing ones of a sum of products; for any sum, also reductions
    standing before parallel loops (a sum over the rows of a row-major
    matrix), which then move inside them, the parallel loops keeping their
    order. The new position of each loop, None if nothing moved."""
    kinds = [t.data for t in g.iterator_types]
    if IteratorType.REDUCTION not in kinds:
        return None
    first = kinds.index(IteratorType.REDUCTION)
    trailing = all(k == IteratorType.REDUCTION for k in kinds[first:])
    if not (is_sum_of_products(g) if trailing else is_sum(g)):
        return None
    ranges = g.get_static_loop_ranges()
    parallel = [j for j, k in enumerate(kinds) if k != IteratorType.REDUCTION]
    reductions = sorted(
        (j for j, k in enumerate(kinds) if k == IteratorType.REDUCTION), key=lambda j: ranges[j]
    )  # stable: ties keep their order
    order = parallel + reductions
    if order == list(range(len(kinds))):
        return None
    # loop order[k] moves to position k
    position = [0] * len(kinds)
    for k, j in enumerate(order):
        position[j] = k
    dims = [AffineExpr.dimension(position[j]) for j in range(len(kinds))]
    maps = []
    for m in g.indexing_maps.data:
        amap: AffineMap = m.data
        results = tuple(e.replace_dims_and_symbols(dims, []) for e in amap.results)
        maps.append(AffineMapAttr(AffineMap(amap.num_dims, amap.num_symbols, results)))
    g.indexing_maps = ArrayAttr(maps)
    g.iterator_types = ArrayAttr([g.iterator_types.data[j] for j in order])
    return position


@dataclass(frozen=True)
class KernelReorderReductionsPass(ModulePass):
    name = "kernel-reorder-reductions"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for g in kernel_generics(op):
            position = reorder_reductions(g)
            kernel = g.parent_op()
            split = parallel_of(kernel) if kernel is not None else None
            if position is not None and split is not None:
                # the loop the cores split keeps its meaning at its new place
                assert kernel is not None
                kernel.attributes[PARALLEL] = int_array([position[split[0]], split[1]])
