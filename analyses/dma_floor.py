"""The DMA floor of a training step: a lower bound of the bytes any
schedule of its kernel calls must move between L1 and the tensors' home
tiers (L2, L3), given the L1 left for tiles.

Input: the linalg-level module after `plan-memory` and before
`tier-tile-l1` (kernel calls still `func.call`), and `l1` = the bytes of
L1 tiles may use (tier-tile-l1's budget minus what plan-memory placed in
L1). The kernels run in the entry's order and each computes what it
computes; the schedule is free in everything else (tile shapes, what
stays in L1 between kernels, which bytes go out when).

Definitions. A tensor is a global or a planned buffer of the entry;
tensors placed in L1 never move and are left out. An *access* is one
kernel call that has the tensor among its operands, with
- `read`: the bytes of the tensor its loop nest reads (inputs the body
  uses, outputs it accumulates into): the distinct elements the operand's
  affine map reaches over the loop ranges (exact when the map's results
  use disjoint loops, as in projections, transposes and convolutions;
  else counted exactly up to 2^20 iterations, beyond that the largest
  single result's distinct values: a lower bound either way);
- `write`: the bytes its outputs reach, the same way;
- *tiled* if tier-tile-l1 can tile the kernel, else a *home* access
  (the kernel works on the home tier directly: no DMA; its bytes are
  reached the same way when its maps are linear, else 1 byte).
Several operands of one call on the same tensor are one access (the
largest read and write).

Without reuse across kernels (`no_reuse`), each tiled access a moves
- in: `a.read` bytes;
- out: `a.write` bytes when the tensor is a global (it outlives the step)
  and no later access writes it; else `min(a.write, n.read)` when the
  next access n reads the tensor (it must be at home, or kept in L1);
  else nothing (the next access overwrites it, or nothing reads it).
Home accesses move nothing. Reuse: between a tiled access a and the next
tiled access b of the tensor, with no home write in between and b
reading it, up to `min(b.read, l1)` bytes may stay in L1 over every call
between them; each kept byte saves one byte of b's read, and a second
one of a's write-out when that write-out is counted because b reads it
(up to `a.write`; not when a home read comes between, which needs it at
home). At every point between two calls, the bytes kept over it, over
all tensors, are at most `l1`.

    floor = no_reuse - (the largest total saving within these limits)

The largest saving is a linear program over intervals (each kept
interval a variable, each gap between calls a capacity row) whose
matrix has consecutive ones: it is a min-cost flow (a path of the calls
with capacity `l1`, one edge per interval costing its saving), solved
exactly by networkx's network simplex. Every simplification errs low, so
it stays a lower bound: fractional keeping; the kernels' own tiles
taking no L1; bytes kept for b need not have been touched by a; data
overwritten by the next access, or read by nothing later, never goes
out. tier-tile-l1 moves at least `no_reuse` (its tiles cover every byte
reached, it writes every output tile out and keeps nothing between
calls), so `floor <= no_reuse <= dma_in + dma_out` (its `cluster.memory_plan`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import MemRefType, ModuleOp
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.ir.affine import AffineMap

from tdopt.analyses.affine_access import linear_coefficients, view_root
from tdopt.analyses.memory_plan import buffer_name, entries, global_tiers, home_of
from tdopt.analyses.tile_access import OperandAccess, Untileable, analyze_kernel
from tdopt.dialects.tier import TiledCallOp

# iterations counted exactly when a map's results share loops
EXACT_LIMIT = 1 << 20


def reached_elements(a: OperandAccess, ranges: Sequence[int]) -> int:
    """Distinct elements of the operand the loop nest reaches (see the
    module docstring: exact, or a lower bound when results share loops
    over more than EXACT_LIMIT iterations)."""
    n = len(a.coeffs)
    # results that share a loop form one group; groups are independent
    group = list(range(n))

    def find(i: int) -> int:
        while group[i] != i:
            i = group[i]
        return i

    owner: dict[int, int] = {}
    for d, co in enumerate(a.coeffs):
        for k in co:
            if k in owner:
                group[find(d)] = find(owner[k])
            else:
                owner[k] = d
    groups: dict[int, list[int]] = {}
    for d in range(n):
        groups.setdefault(find(d), []).append(d)
    total = 1
    for dims in groups.values():
        loops = sorted({k for d in dims for k in a.coeffs[d]})
        if len(dims) == 1:
            total *= _distinct_values(a.coeffs[dims[0]], [ranges[k] for k in a.coeffs[dims[0]]])
            continue
        if math.prod(ranges[k] for k in loops) <= EXACT_LIMIT:
            idx = np.zeros(1, dtype=np.int64)
            for k in loops:  # the group's loops, as a flat index into the buffer's box
                step = sum(a.coeffs[d].get(k, 0) * math.prod(a.shape[e] for e in dims if e > d)
                           for d in dims)
                idx = (idx[:, None] + step * np.arange(ranges[k])[None, :]).ravel()
            total *= len(np.unique(idx))
        else:
            total *= max(_distinct_values(a.coeffs[d], [ranges[k] for k in a.coeffs[d]]) for d in dims)
    return total


def _distinct_values(co: dict[int, int], ranges: Sequence[int]) -> int:
    """Distinct values of sum_k c_k * i_k, 0 <= i_k < ranges[k]."""
    if len(co) <= 1:  # one loop (c != 0) or a constant
        return ranges[0] if co else 1
    values = np.zeros(1, dtype=np.int64)
    for c, r in zip(co.values(), ranges):
        values = np.unique(np.add.outer(values, c * np.arange(r)).ravel())
    return len(values)


@dataclass(frozen=True)
class Access:
    """One kernel call's use of a tensor (bytes it reads and writes)."""

    call: int
    tiled: bool
    read: int
    write: int


@dataclass(frozen=True)
class TensorTraffic:
    name: str
    tier: str
    persistent: bool  # a global: its last value must be at home after the step
    accesses: tuple[Access, ...]


@dataclass(frozen=True)
class DmaFloor:
    """`floor`: the DMA floor (bytes per step); `no_reuse`: the same
    without anything kept in L1 between kernel calls; `l1`: the L1 bytes
    assumed; `tensors`: the accesses it was computed from."""

    floor: int
    no_reuse: int
    l1: int
    tensors: tuple[TensorTraffic, ...]


def tensor_accesses(module: ModuleOp) -> list[TensorTraffic]:
    """Per tensor outside L1, its accesses by the entries' kernel calls."""
    kernels = {f.sym_name.data: f for f in module.ops if isinstance(f, func.FuncOp)}
    tiers = global_tiers(module)
    out: list[TensorTraffic] = []
    offset = 0
    for entry in entries(module):
        if any(isinstance(op, TiledCallOp) for op in entry.body.block.ops):
            raise ValueError("the DMA floor reads the step before tier-tile-l1 (its calls are tiled)")
        calls = [c for c in entry.body.block.ops if isinstance(c, func.CallOp)]
        position = {op: i for i, op in enumerate(entry.body.block.ops)}
        found: dict[object, tuple[str, str, bool, dict[int, Access]]] = {}
        for i, call in enumerate(calls):
            uses = _operand_uses(kernels[call.callee.string_value()])
            tiled = uses is not None
            if uses is None:
                uses = _untiled_uses(kernels[call.callee.string_value()])
            for arg_index, read, write in uses:
                home = home_of(call.arguments[arg_index], tiers)
                if home is None or home.tier in (None, "L1") or (read == 0 and write == 0):
                    continue
                key = home.alloc if home.alloc is not None else home.name
                if key not in found:
                    name = buffer_name(home.alloc, position) if home.alloc is not None else home.name
                    found[key] = (name, home.tier, home.alloc is None, {})
                accs = found[key][3]
                prev = accs.get(offset + i)
                if prev is not None:
                    read, write = max(read, prev.read), max(write, prev.write)
                accs[offset + i] = Access(offset + i, tiled, read, write)
        for name, tier, persistent, accs in found.values():
            out.append(TensorTraffic(name, tier, persistent, tuple(accs[k] for k in sorted(accs))))
        offset += len(calls)
    return out


def _operand_uses(kernel: func.FuncOp) -> list[tuple[int, int, int]] | None:
    """(kernel argument, bytes read, bytes written) per operand of a
    kernel tier-tile-l1 tiles; None if it cannot tile it."""
    try:
        g, roots, accesses = analyze_kernel(kernel)
    except Untileable:
        return None
    ranges = list(g.get_static_loop_ranges())
    uses = []
    for root, a in zip(roots, accesses):
        if not a.needs_memory():
            continue
        n = reached_elements(a, ranges) * a.elem
        read = n if (a.read if not a.is_output else a.reads_output) else 0
        uses.append((root.index, read, n if a.is_output else 0))
    return uses


def _untiled_uses(kernel: func.FuncOp) -> list[tuple[int, int, int]]:
    """A kernel run in place on the home tier: (argument, bytes read,
    bytes written) per operand of its loop nests, reached as for tiled
    kernels when the maps are linear, else 1 byte standing for "some"
    (home accesses move nothing; their bytes only bound the write-outs
    they force)."""
    uses = []
    for g in kernel.walk():
        if not isinstance(g, linalg_ops.GenericOp):
            continue
        n_in = len(g.inputs)
        ranges = list(g.get_static_loop_ranges())
        for i, (v, m) in enumerate(zip(g.operands, g.indexing_maps.data)):
            root = view_root(v)
            if root.owner is not kernel.body.block:
                continue
            used = bool(g.body.block.args[i].uses)
            is_out = i >= n_in
            n = _linear_reach(v.type, m.data, ranges)
            uses.append((root.index, n if used else 0, n if is_out else 0))  # type: ignore[attr-defined]
    return uses


def _linear_reach(t: object, amap: AffineMap, ranges: Sequence[int]) -> int:
    """Bytes a map reaches in a buffer of type `t` (1 if not linear)."""
    coeffs = [linear_coefficients(e) for e in amap.results]
    if not isinstance(t, MemRefType) or any(c is None or any(v < 0 for v in c.values()) for c in coeffs):
        return 1
    elem = getattr(t.element_type, "bitwidth", 32) // 8
    a = OperandAccess(tuple(t.get_shape()), elem, tuple({k: v for k, v in c.items() if v} for c in coeffs),  # type: ignore[union-attr]
                      tuple(0 for _ in coeffs), False, False)
    return reached_elements(a, ranges) * elem


def dma_floor(module: ModuleOp, l1: int) -> DmaFloor:
    """The DMA floor of the module's step with `l1` bytes of L1 for tiles
    (the module docstring defines it)."""
    tensors = tensor_accesses(module)
    no_reuse = 0
    # kept intervals: (first call, last call, saving per byte) -> bytes
    intervals: dict[tuple[int, int, int], int] = {}
    for t in tensors:
        acc = t.accesses
        for i, a in enumerate(acc):
            if not a.tiled:
                continue
            later = acc[i + 1:]
            final = t.persistent and not any(b.write for b in later)
            next_reads = bool(later) and later[0].read > 0
            if a.read:
                no_reuse += a.read
            if a.write and final:
                no_reuse += a.write
            elif a.write and next_reads:  # what the next access may read of it
                no_reuse += min(a.write, later[0].read)
            # the next tiled access, if no home write comes first
            home_read = False
            for b in later:
                if b.tiled:
                    break
                if b.write:
                    b = None
                    break
                home_read = home_read or b.read > 0
            else:
                b = None
            if b is None or not b.read or l1 <= 0:
                continue
            keep = min(b.read, l1)
            both = min(a.write, keep) if a.write and not final and not home_read else 0
            for saving, cap in ((2, both), (1, keep - both)):
                if cap > 0:
                    key = (a.call, b.call, saving)
                    intervals[key] = intervals.get(key, 0) + cap
    saved = _largest_saving(intervals, l1)
    return DmaFloor(no_reuse - saved, no_reuse, l1, tuple(tensors))


def _largest_saving(intervals: dict[tuple[int, int, int], int], l1: int) -> int:
    """max sum(saving * x) with 0 <= x <= cap per interval and, over every
    gap between calls, the x of the intervals spanning it summing to at
    most l1: a min-cost flow of l1 units along the calls."""
    if not intervals:
        return 0
    import networkx as nx

    points = sorted({c for s, e, _ in intervals for c in (s, e)})
    g = nx.MultiDiGraph()
    g.add_node(points[0], demand=-l1)
    g.add_node(points[-1], demand=l1)
    for p, q in zip(points, points[1:]):
        g.add_edge(p, q, capacity=l1, weight=0)
    for (s, e, saving), cap in intervals.items():
        g.add_edge(s, e, capacity=min(cap, l1), weight=-saving)
    cost, _ = nx.network_simplex(g)
    return -cost
