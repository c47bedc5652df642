"""`cluster-mark-parallel` (linalg level, before `convert-entry-to-riscv`):
which kernels every core runs a slice of. A kernel (`func.func` with
`cluster.kernel`, one `linalg.generic`) with a parallel iterator can be
split over the cores along one of them, `d`, when every
output's indexing map has a result that separates the values of `d` (`d`
itself, or a linear index in which `d`'s coefficient exceeds what the other
loops can add, like a flat index into a padded buffer): different values of
`d` write disjoint elements. No input the body reads may view an output's
buffer through another map. The kernel gets `cluster.parallel = array<i64:
d, trip count of d>`. The chosen loop is the first parallel one before
every reduction loop with at least `min-trips` (default 8) iterations, else
the first parallel one inside a reduction loop with that many (a sum over
the batch: each core sums its own columns), else the longest (at least 2
iterations). Kernels without such a loop (e.g. a full reduction to a
scalar) are not marked: the entry calls them on core 0 alone.

`cluster-parallelize` then splits the marked loop; `convert-entry-to-riscv`
runs marked kernels through the runtime's fork/join (`tdrt_parallel`),
which also provides the barrier between kernels.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.attrs import IteratorType
from xdsl.ir import BlockArgument, SSAValue
from xdsl.ir.affine import AffineExpr
from xdsl.passes import ModulePass

from tdopt.analyses.affine_access import linear_coefficients, view_root
from tdopt.analyses.views import VIEW_OPS
from tdopt.dialects.cluster import ENTRY, KERNEL, PARALLEL, arena_of, offset_of
from tdopt.dialects.tier import byte_size, int_array




def separates(expr: AffineExpr, d: int, ranges: list[int]) -> bool:
    """Iterations with different values of loop `d` give different values
    of `expr`, whatever the other loops: `expr` is linear and |c_d| exceeds
    the most the other loops can add, sum |c_k| * (range_k - 1). (A plain
    `d` is the common case; a row-major flat index of a padded buffer is
    the other.)"""
    coeffs = linear_coefficients(expr)
    if coeffs is None or coeffs.get(d, 0) == 0:
        return False
    rest = sum(abs(c) * (ranges[k] - 1) for k, c in coeffs.items() if k != d)
    return abs(coeffs[d]) > rest


SAME, PARTIAL = "same", "partial"


def parallel_loop(
    g: linalg_ops.GenericOp,
    min_trips: int = 8,
    overlaps: dict[frozenset[int], str] | None = None,
) -> tuple[int, int] | None:
    """(loop index, trip count) of the loop to split over the cores, or None.
    `overlaps`: pairs of kernel argument indices that some call passes
    overlapping buffers for, SAME (the same bytes) or PARTIAL."""
    overlaps = overlaps or {}

    def relation(a: SSAValue, b: SSAValue) -> str | None:
        if a is b:
            return SAME
        if isinstance(a, BlockArgument) and isinstance(b, BlockArgument):
            return overlaps.get(frozenset((a.index, b.index)))
        return None

    if g.res:
        return None
    kinds = [t.data for t in g.iterator_types]
    parallel = [d for d, k in enumerate(kinds) if k == IteratorType.PARALLEL]
    if not parallel:
        return None
    ranges = g.get_static_loop_ranges()
    n_in = len(g.inputs)
    maps = [m.data for m in g.indexing_maps.data]
    in_maps, out_maps = maps[:n_in], maps[n_in:]
    if not all(isinstance(r, int) and r >= 1 for r in ranges):
        return None
    # an output buffer read or written through another map couples the
    # iterations: not split (inputs the body never reads, like the window
    # shape operand of a pooling, do not count)
    out_roots = [view_root(v) for v in g.outputs]
    for i, a in enumerate(out_roots):
        if any(relation(a, b) is not None for b in out_roots[i + 1 :]):
            return None
    body_args = g.body.block.args
    for i, (v, m) in enumerate(zip(g.inputs, in_maps)):
        if not body_args[i].uses:
            continue
        r = view_root(v)
        for k, o in enumerate(out_roots):
            rel = relation(r, o)
            if rel == PARTIAL:
                return None
            # the same bytes: only an elementwise in-place update (same
            # element read and written by one iteration) splits
            if rel == SAME and (m != out_maps[k] or v.type != g.outputs[k].type):
                return None
    candidates: list[tuple[int, int]] = []
    for d in parallel:
        trips = ranges[d]
        if trips < 2:
            continue
        # iterations with different d write different elements of every
        # output: some index of it separates them
        if all(any(separates(e, d, ranges) for e in m.results) for m in out_maps):
            candidates.append((d, trips))
    if not candidates:
        return None
    # a loop before every reduction first (each core's slice then runs its
    # reductions whole); a parallel loop inside a reduction (the columns of a
    # sum over the batch) splits as well: each core runs every step of the
    # reduction over its own columns
    leading = [c for c in candidates if all(k == IteratorType.PARALLEL for k in kinds[: c[0]])]
    for group in (leading, candidates):
        for d, trips in group:
            if trips >= min_trips:
                return d, trips
    return max(leading or candidates, key=lambda c: c[1])


def call_overlaps(module: ModuleOp) -> dict[str, dict[frozenset[int], str]]:
    """Per kernel, the pairs of its arguments that a call of an entry
    function passes overlapping buffers for (an in-place update writes over
    its input; reshapes alias): SAME when every such call passes exactly the
    same bytes, else PARTIAL. Buffers are globals or planned arena slices;
    an unplanned alloc is only itself."""
    out: dict[str, dict[frozenset[int], str]] = {}
    for f in module.ops:
        if not isinstance(f, func.FuncOp) or ENTRY not in f.attributes:
            continue
        where: dict[SSAValue, tuple[object, int, int]] = {}
        for o in f.body.block.ops:
            if isinstance(o, memref.GetGlobalOp):
                where[o.memref] = (o.name_.string_value(), 0, byte_size(o.memref.type))
            elif isinstance(o, memref.AllocOp):
                off = offset_of(o)
                size = byte_size(o.memref.type)
                if off is not None:
                    where[o.memref] = (arena_of(o), off, size)
                else:
                    where[o.memref] = (o, 0, size)
            elif isinstance(o, (*VIEW_OPS, memref.MemorySpaceCastOp)) and o.operands[0] in where:
                where[o.results[0]] = where[o.operands[0]]
            elif isinstance(o, func.CallOp):
                pairs = out.setdefault(o.callee.string_value(), {})
                locs = [where.get(a, (a, 0, 1)) for a in o.arguments]
                for i in range(len(locs)):
                    for j in range(i + 1, len(locs)):
                        (si, oi, ni), (sj, oj, nj) = locs[i], locs[j]
                        if si != sj or oi + ni <= oj or oj + nj <= oi:
                            continue
                        rel = SAME if (oi, ni) == (oj, nj) else PARTIAL
                        key = frozenset((i, j))
                        if pairs.get(key) != PARTIAL:
                            pairs[key] = rel
    return out


def _kernels(module: ModuleOp) -> list[func.FuncOp]:
    return [o for o in module.ops if isinstance(o, func.FuncOp) and KERNEL in o.attributes]


@dataclass(frozen=True)
class ClusterMarkParallelPass(ModulePass):
    """Mark the kernels whose loop nest can be split over the cores."""

    name = "cluster-mark-parallel"

    min_trips: int = 8

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        overlaps = call_overlaps(op)
        for f in _kernels(op):
            generics = [o for o in f.walk() if isinstance(o, linalg_ops.GenericOp)]
            if len(generics) != 1:
                continue
            found = parallel_loop(
                generics[0], self.min_trips, overlaps.get(f.sym_name.data, {})
            )
            if found is not None:
                d, trips = found
                f.attributes[PARALLEL] = int_array([d, trips])
