"""`kernel-squeeze-unit-dims`: an operand dimension of size 1 that every
iteration of a kernel's loop nest reads at index 0 (a batch of one, a single
group, a keepdims result) is dropped: the operand is seen through a view
without it (same bytes) and its map loses that result. Register blocking
(`interleave-contractions`) takes outputs whose map results are all loops
only; with batch and group dimensions squeezed, convolutions and batched
matmuls qualify. Loops do not change, so `cluster-mark-parallel`'s choice
stays valid. A `linalg.fill` of a squeezed output (`kernel-fuse-fill`) fills
the same view.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    MemRefType,
    ModuleOp,
)
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineMap
from xdsl.passes import ModulePass

from tdopt.analyses.views import VIEW_OPS, view_op
from tdopt.dialects.cluster import kernel_generics


def _view(v: SSAValue, shape: list[int], before: Operation) -> SSAValue:
    """`v` seen with another shape, as a view of its root buffer."""
    t = v.type
    assert isinstance(t, MemRefType)
    source = v.owner.operands[0] if isinstance(v.owner, VIEW_OPS) else v
    cast = view_op(source, MemRefType(t.element_type, shape))
    block = before.parent_block()
    assert block is not None
    block.insert_op_before(cast, before)
    return cast.results[0]


def squeeze(g: linalg_ops.GenericOp) -> bool:
    """Drop the unit dimensions every iteration reads at 0; True if any."""
    changed = False
    maps = list(g.indexing_maps.data)
    for i, (v, m) in enumerate(zip(g.operands, maps)):
        t = v.type
        if not isinstance(t, MemRefType):
            continue
        shape = list(t.get_shape())
        amap: AffineMap = m.data
        drop = [
            r
            for r, e in enumerate(amap.results)
            if isinstance(e, AffineConstantExpr) and e.value == 0 and shape[r] == 1
        ]
        if len(drop) == len(shape):
            drop = drop[:-1]  # keep one dimension: no rank-0 buffers
        if not drop:
            continue
        keep = [r for r in range(len(shape)) if r not in drop]
        # a fill of the output before the generic (kernel-fuse-fill) writes
        # the same view, so that memref-stream-fold-fill sees one buffer
        fills = [
            u.operation for u in v.uses
            if isinstance(u.operation, linalg_ops.FillOp)
            and u.operation.parent_block() is g.parent_block()
        ]
        view = _view(v, [shape[r] for r in keep], fills[0] if fills else g)
        for fill in fills:
            fill.operands[fill.operands.index(v)] = view
        g.operands[i] = view
        maps[i] = AffineMapAttr(
            AffineMap(amap.num_dims, amap.num_symbols, tuple(amap.results[r] for r in keep))
        )
        changed = True
    if changed:
        g.indexing_maps = ArrayAttr(maps)
    return changed


@dataclass(frozen=True)
class KernelSqueezeUnitDimsPass(ModulePass):
    name = "kernel-squeeze-unit-dims"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for g in kernel_generics(op):
            squeeze(g)
