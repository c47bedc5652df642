"""Which linalg reductions go through xDSL's memref_stream level
(`convert-reductions-to-memref-stream`), where their accumulators live in
registers and a fill of their output before them becomes the accumulators'
initial value (`memref-stream-fold-fill`); `kernel-fuse-fill` asks the same."""

from __future__ import annotations

from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.attrs import IteratorType

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


def streams_once_reordered(op: linalg_ops.GenericOp) -> bool:
    """Whether the reduction goes through memref_stream once
    `kernel-reorder-reductions` has run: it streams as it is, or it is a sum
    (`is_sum`: out + x, or of products) whose reductions that pass moves
    innermost and that streams but for their place."""
    from tdopt.analyses.contractions import is_sum

    if worth_streaming(op):
        return True
    kinds = [t.data for t in op.iterator_types]
    if IteratorType.REDUCTION not in kinds or not is_sum(op) or op.res:
        return False
    if any(isinstance(o, linalg_ops.IndexOp) for o in op.body.walk()) or len(kinds) > MAX_LOOPS:
        return False
    n_in = len(op.inputs)
    reduction_dims = {i for i, k in enumerate(kinds) if k == IteratorType.REDUCTION}
    return not any(
        pos in reduction_dims for m in op.indexing_maps.data[n_in:] for pos in dims_used(m.data.results)
    )
