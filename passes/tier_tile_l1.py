"""`tier-tile-l1`: run every kernel of the entry tile by tile through an L1
budget, with double-buffered DMA from the operands' home tier.

Runs after `plan-memory` (which, in tiled builds, leaves every tensor in L2
or L3). For each kernel call of an entry function, the kernel's loop nest
(one `linalg.generic`) is cut along its parallel loops and its outermost
reduction loop into a grid of equal tiles (tile sizes divide the loop ranges, so one tile kernel serves every
tile). The tile of an operand is the box its indexing map reaches from the
tile's loop ranges, starting at the map's constant (the tile kernel reads
the map minus that constant; the tiled call's `home_offsets` say where tile
(0, ...) starts in the home buffer); it must be one DMA shape of at most
three levels (row, rows, planes). Tile sizes start at the whole loop ranges and shrink, one
divisor step of one loop at a time (the step that saves the most bytes,
keeping a loop of at least `cores` iterations for the cluster split where
possible), until the tile buffers fit `budget` bytes: two copies of
every operand's tile that the grid moves (one computed on, the next copied
meanwhile), one of an operand it never moves (no cut loop in its map: a
matmul's rows kept while the grid walks the columns are copied in once).

The call becomes `tier.tiled_call` of a tile kernel: the same loop nest on
contiguous L1 buffers of tile shape. Inputs are copied in; outputs are copied
out, and in as well when the body reads them (accumulations) or may leave
parts of the box unwritten (a flat output reached through a linear map, like
the interior of a padded buffer; tiles must then write disjoint ranges).
Operands already in L1 that the grid does not cut, and inputs the body never
reads (shape-only operands), are used in place. A cut reduction loop is the
innermost grid dimension: its tiles accumulate into one output tile, which
the driver keeps in L1 between them (an operand whose tile does not change
from one grid step to the next is not copied again). A kernel with no plan
is an error naming it and the constraint its smallest tile breaks (the
budget, with its minimal working set; a DMA shape; overlapping writes).
A kernel the pass cannot
tile (linalg.index in the body, an output of rank > 1 reached through a
non-plain map, an input that aliases an output through another map) keeps
its plain call and works on its home tier directly; it is marked
`cluster.untiled` with the reason. Kernels whose operands are all in L1 keep
their plain call.

A product whose next call is an elementwise kernel reading its output
element for element (analyses/epilogues.py; `kernel-schedule-epilogues`
puts such calls next to their product) is tiled with that kernel's
operands too, when they fit the budget beside the product's and the tiles
cut no reduction loop: the call gets an epilogue kernel, the elementwise
loop nest on the output tile's dimensions, which the tile driver runs
after the kernel on each tile (`kernel-fold-epilogue` then moves it into
the kernel, where the sums are stored); the elementwise call is gone.

The module gets the tile area `__tdopt_tiles` (in L1, the largest double
buffered working set) and in its `cluster.memory_plan` the fields `tiles`,
`tiled_calls` and `dma_in` / `dma_out` (what the tile copies move per step,
home -> L1 and L1 -> home), and `dma_floor`, the DMA floor of the step
(analyses/dma_floor.py). A buffer's tier is the memory space of the
type of its global (or of its arena), as plan-memory placed it.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    MemRefType,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
    UnitAttr,
    i8,
)
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.attrs import IteratorType, IteratorTypeAttr
from xdsl.ir import Block, Region, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass
from xdsl.utils.exceptions import PassFailedException

from tdopt.dialects.cluster import (
    ENTRY,
    KERNEL,
    MEMORY_PLAN,
    ROLE,
    TILE,
    TILES_GLOBAL,
    UNTILED,
    MemoryPlanAttr,
    Role,
    arena_of,
    kernel_kind,
    memory_plan,
    role_attr,
)
from tdopt.dialects.tier import (
    GRID_DIMS, IN, MAX_OPERANDS, OUT, RESIDENT, TiledCallOp, buffer_bytes, in_tier, int_array, memref_tier,
)
from tdopt.analyses.affine_access import view_root
from tdopt.analyses.dma_floor import dma_floor
from tdopt.analyses.epilogues import Epilogue, find_epilogue, globals_alias
from tdopt.analyses.tile_access import OperandAccess, Untileable, analyze_kernel, operand_access
from tdopt.target import CLUSTER

ALIGN = CLUSTER.dma_align


@dataclass
class Plan:
    tile: list[int]
    ranges: list[int]
    grid_dims: list[int]  # loops cut into more than one tile, outermost first


def _divisors_below(n: int, t: int) -> int:
    """The largest divisor of n smaller than t (t > 1)."""
    for cand in range(t - 1, 0, -1):
        if n % cand == 0:
            return cand
    return 1


def _disjoint(a: OperandAccess, tile: Sequence[int], ranges: Sequence[int], cut: Sequence[int]) -> bool:
    """Tiles write disjoint ranges of a flat (rank-1) output reached through
    a linear map (like the interior of a padded buffer): their boxes, sorted
    by start, do not overlap. (The box also holds elements no iteration
    writes, so such an output is copied in as well as out.) Boxes start at
    the map's constant (the shifted box), so only the reach of the loops
    counts, not where the first box starts."""
    (co,) = a.coeffs
    extent = a.extents(tile, shifted=True)[0]
    starts = [0]
    for k in cut:
        step = co.get(k, 0) * tile[k]
        if step == 0:
            return False
        starts = [s + i * step for s in starts for i in range(ranges[k] // tile[k])]
    starts.sort()
    return all(b - s >= extent for s, b in zip(starts, starts[1:]))


def copied(
    accesses: Sequence[OperandAccess], tile: Sequence[int], ranges: Sequence[int],
    resident: Sequence[bool],
) -> list[bool]:
    """Which operands go through L1 tile buffers: all but those already in
    L1 that the grid does not cut (the kernel reads them in place)."""
    return [
        a.needs_memory() and (not r or a.extents(tile) != a.extents(ranges))
        for a, r in zip(accesses, resident)
    ]


def working_set(
    accesses: Sequence[OperandAccess], tile: Sequence[int], ranges: Sequence[int],
    resident: Sequence[bool],
) -> int:
    """Bytes of one copy of every copied operand's tile, each padded to ALIGN."""
    flags = copied(accesses, tile, ranges, resident)
    return sum(buffer_bytes(a.tile_bytes(tile)) for a, c in zip(accesses, flags) if c)


def buffers(deps: Sequence[set[int]], cut: Sequence[int]) -> list[int]:
    """L1 buffers each copied operand needs, given the loops its map depends
    on (`_depends`): two (the tile being computed on and the next, copied
    meanwhile), or one when the grid never moves it (no cut loop in its map:
    the driver copies it in once, before the first tile, and out after the
    last)."""
    cut_loops = set(cut)
    return [2 if d & cut_loops else 1 for d in deps]


def l1_bytes(
    accesses: Sequence[OperandAccess], tile: Sequence[int], ranges: Sequence[int],
    resident: Sequence[bool], cut: Sequence[int],
) -> int:
    """The L1 the tile buffers of a call take: `buffers` of each copied
    operand's tile, padded to ALIGN."""
    flags = copied(accesses, tile, ranges, resident)
    return sum(
        n * buffer_bytes(a.tile_bytes(tile))
        for a, c, n in zip(accesses, flags, buffers(_depends(accesses), cut)) if c
    )


# a cut reduction loop keeps at least this many iterations per tile when it
# can (the inner loop of a blocked contraction amortises its setup over them)
MIN_REDUCTION_TILE = 64


def choose_tiles(
    g: linalg_ops.GenericOp,
    accesses: Sequence[OperandAccess],
    resident: Sequence[bool],
    budget: int,
    cores: int,
    weights: Sequence[int] | None = None,
) -> Plan | None:
    """Tile sizes whose tile buffers (`l1_bytes`) fit `budget`, or None.
    Parallel loops and the outermost reduction loop may be cut; the reduction
    loop first keeps MIN_REDUCTION_TILE iterations (or all it has), and goes
    below only if nothing else fits. `weights`: what a byte of each
    operand's copies costs (L3_COST_WEIGHT for one in L3; None: 1 each)."""
    kinds = [t.data for t in g.iterator_types]
    reductions = [k for k, kind in enumerate(kinds) if kind == IteratorType.REDUCTION]
    for floor in (MIN_REDUCTION_TILE, 1):
        plan = _cheapest(g, accesses, resident, budget, cores, reductions[:1], floor, weights)
        if plan is False:  # too many tilings to compare
            plan = _shrink(g, accesses, resident, budget, cores, reductions[:1], floor)
        if plan is not None:
            return plan
    return None


def _loops(
    g: linalg_ops.GenericOp, cores: int, cuttable_reductions: Sequence[int]
) -> tuple[list[int], list, list[int], list[int], bool, list[int]]:
    """The loop ranges and kinds of `g`, its parallel loops, the parallel
    loops before the first reduction (where the cluster split goes),
    whether one of those has at least `cores` iterations, and the loops a
    tiling may cut (the parallel ones, then `cuttable_reductions`)."""
    ranges = list(g.get_static_loop_ranges())
    kinds = [t.data for t in g.iterator_types]
    parallel = [k for k, kind in enumerate(kinds) if kind == IteratorType.PARALLEL]
    leading = []
    for k, kind in enumerate(kinds):
        if kind != IteratorType.PARALLEL:
            break
        leading.append(k)
    splittable = any(ranges[k] >= cores for k in leading)
    return ranges, kinds, parallel, leading, splittable, parallel + list(cuttable_reductions)


def _tiling_problem(
    g: linalg_ops.GenericOp, accesses: Sequence[OperandAccess], resident: Sequence[bool],
    weights: Sequence[int],
) -> tuple:
    """What `choose_tiles` reads of a kernel (for a given budget and cores):
    its loop ranges and kinds, its operands' accesses, which are in L1 and
    what their bytes cost."""
    return (
        tuple(g.get_static_loop_ranges()),
        tuple(t.data for t in g.iterator_types),
        tuple(a.key() for a in accesses),
        tuple(resident),
        tuple(weights),
    )


# tilings `_cheapest` compares at most (beyond, the greedy `_shrink`)
MAX_TILINGS = 1024
# the rows and columns of interleave-contractions' usual register block
BLOCK = 4
BLOCK_COLS = 6


def _cheapest(
    g: linalg_ops.GenericOp,
    accesses: Sequence[OperandAccess],
    resident: Sequence[bool],
    budget: int,
    cores: int,
    cuttable_reductions: Sequence[int],
    floor: int,
    weights: Sequence[int] | None = None,
) -> Plan | None | bool:
    """Of every tiling (a divisor of each cuttable loop's range) that fits,
    the one that costs least (`_cost`: TILE_COST_BYTES per tile, the first
    tile's copies, and the larger of the other copies (`moved_bytes`) and
    the compute they overlap, `_compute_bytes`), then fewer tiles, then more
    L1 used. Before
    the cost come preferences: tilings that keep a loop of at least
    `cores` iterations for the cluster split, then (kernels with a
    reduction, which are register-blocked) those that split the loop the
    untiled kernel splits (cutting it below `cores` moves the split to a
    loop the blocking may not divide evenly), give each core as many of its
    iterations as the untiled kernel does, up to BLOCK (a register block's
    rows), and have fewer cut parallel loops narrower than BLOCK. None when
    no tiling fits, False when there are more than MAX_TILINGS to compare.
    Shrinking one loop at a time, the step that copies least each time,
    ends elsewhere: halving the columns of a matmul tile moves nothing more
    while its rows stay, until a column wide tile."""
    ranges, kinds, parallel, leading, splittable, cuttable = _loops(g, cores, cuttable_reductions)
    # reductions are register-blocked (interleave-contractions); other
    # kernels have no blocks to keep wide
    blocked = IteratorType.REDUCTION in kinds
    # the share of the split loop each core gets untiled, up to a block's
    # rows: a tiling should not make it narrower
    whole = next((j for j in leading if ranges[j] >= cores), None)
    target = min(BLOCK, ranges[whole] // cores) if blocked and whole is not None else 0
    choices = []
    for k, n in enumerate(ranges):
        if k not in cuttable:
            choices.append([n])
            continue
        low = min(floor, n) if k in cuttable_reductions else 1
        choices.append([d for d in range(n, 0, -1) if n % d == 0 and d >= low])
    if math.prod(len(c) for c in choices) > MAX_TILINGS:
        return False
    deps, both = _depends(accesses), _copied_in_too(accesses)
    # an operand's tile (copied?, bytes) depends only on its loops' sizes
    seen: list[dict[tuple[int, ...], tuple[bool, int, int]]] = [{} for _ in accesses]

    def operand(i: int, tile: tuple[int, ...]) -> tuple[bool, int, int]:
        """(copied?, tile bytes, what copying the tile costs)"""
        key = tuple(tile[k] for k in sorted(deps[i]))
        hit = seen[i].get(key)
        if hit is None:
            a = accesses[i]
            c = copied([a], tile, ranges, [resident[i]])[0]
            size = a.tile_bytes(tile) if c else 0
            hit = seen[i][key] = (c, size, _copy_cost(a, tile, size, 1 if weights is None else weights[i]))
        return hit

    # the least key among valid tilings (what sorting them all would give
    # first); a tiling whose preferences and tile count alone cannot beat
    # the best so far is not costed
    best: tuple | None = None
    found: Plan | None = None
    for tile in itertools.product(*choices):
        cut = [k for k in cuttable if tile[k] < ranges[k]]
        if len(cut) > GRID_DIMS:
            continue
        split = not splittable or any(tile[j] >= cores for j in leading)
        # a core's share of the split loop, and the cut parallel loops,
        # wide enough for a register block (BLOCK x BLOCK accumulators)
        # (cluster-mark-parallel splits the first leading loop of >= cores)
        split_loop = next((j for j in leading if tile[j] >= cores), None)
        share = target if split_loop is None else min(BLOCK, tile[split_loop] // cores)
        narrow = sum(1 for k in cut if blocked and k in parallel and tile[k] < BLOCK <= ranges[k])
        moved = blocked and split_loop != whole
        grid = [ranges[k] // tile[k] for k in cut]
        tiles = math.prod(grid)
        prefix = (not split, moved, share < target, narrow)
        if best is not None and (prefix, tiles * TILE_COST_BYTES) > best[:2]:
            continue
        flags, sizes, costs = zip(*(operand(i, tile) for i in range(len(accesses))))
        ws = sum(n * buffer_bytes(b) for b, c, n in zip(sizes, flags, buffers(deps, cut)) if c)
        if ws > budget:
            continue
        cost = _cost(
            tiles, deps, both, costs, flags, cut, grid,
            _compute_bytes(blocked, tile, ranges, kinds, split_loop, cores),
        )
        key = (prefix, cost, tiles, -ws, tile)
        if best is not None and key >= best:
            continue
        if broken_constraint(accesses, tile, ranges, resident, budget, cut, parallel) is None:
            best, found = key, Plan(list(tile), ranges, cut)
    return found


@dataclass(frozen=True)
class Broken:
    """The constraint a tile breaks: `budget` (its two buffers per operand
    need `need` bytes), `dma` (operand #`operand`'s tile is no DMA transfer
    of <= 3 levels), `overlap` (tiles of flat output #`operand` overlap) or
    `grid` (more than GRID_DIMS loops cut)."""

    kind: str
    operand: int = -1
    need: int = 0


def broken_constraint(
    accesses: Sequence[OperandAccess],
    tile: Sequence[int],
    ranges: Sequence[int],
    resident: Sequence[bool],
    budget: int,
    cut: Sequence[int],
    parallel: Sequence[int],
) -> Broken | None:
    """The first constraint of a valid tiling that `tile` breaks (None: it
    is valid); the one definition both the search and its diagnostic use."""
    need = l1_bytes(accesses, tile, ranges, resident, cut)
    if need > budget:
        return Broken("budget", need=need)
    for i, a in enumerate(accesses):
        if a.dma_levels(a.extents(tile, shifted=True)) is None:
            return Broken("dma", i)
    cut_parallel = [k for k in cut if k in parallel]
    for i, a in enumerate(accesses):
        if a.is_output and not a.plain and not _disjoint(a, tile, ranges, cut_parallel):
            return Broken("overlap", i)
    if len(cut) > GRID_DIMS:
        return Broken("grid")
    return None


# The cost of a tiling is in bytes of L2 <-> L1 DMA, which moves
# CLUSTER.dma_bytes_per_cycle (8); compute converts at that rate, and a
# byte to or from L3 (2 bytes a cycle) counts as L3_COST_WEIGHT bytes.
COST_BYTES_PER_CYCLE = CLUSTER.dma_bytes_per_cycle
L3_COST_WEIGHT = CLUSTER.dma_bytes_per_cycle // CLUSTER.dma_l3_bytes_per_cycle
# what one more tile costs: the driver's ~300 cycles (tools/tilebench.py)
# and, on every core, the tile kernel's entry and exit, its blocks' set-up
# and the join's wait for the slowest core: ~500 cycles. (Until session 19
# the cost counted 4 bytes a cycle and 2 KiB a tile for L2 and L3 alike,
# and no transfers: 32x16 tiles of a 32x128x128 forward product, whose
# first tile copies least, instead of 32x32; with these costs Deep-AE at
# batch 32 4.759 -> 4.735 M cycles, MobileNetV1 -3.2 %, the batch-1
# Deep-AE +1.5 %: docs/tiling.md)
TILE_COST_BYTES = 500 * COST_BYTES_PER_CYCLE
# what the driver's start of one 2-D transfer costs on core 0 (the tile's
# planes each take one): ~20 cycles of register writes
TRANSFER_COST_BYTES = 20 * COST_BYTES_PER_CYCLE


def _copy_cost(a: OperandAccess, tile: Sequence[int], size: int, weight: int) -> int:
    """What copying one tile of `a` (`size` bytes) costs: its bytes times
    `weight`, and TRANSFER_COST_BYTES per 2-D transfer the driver starts
    (one per plane of the box)."""
    if not size:
        return 0
    levels = a.dma_levels(a.extents(tile, shifted=True))
    planes = levels[2][0] if levels is not None and len(levels) == 3 else 1
    return size * weight + planes * TRANSFER_COST_BYTES


def moved_bytes(
    accesses: Sequence[OperandAccess], tile: Sequence[int], ranges: Sequence[int],
    resident: Sequence[bool], grid_dims: Sequence[int],
) -> int:
    """Bytes the tile driver copies for one call with these tiles (what
    `TiledCallOp.dma_bytes` counts on the tiled call): the grid runs in order, last
    dimension fastest, and an operand's tile is copied again only when a
    grid dimension it depends on moves, so it is copied once per point of
    the grid dimensions up to the innermost one it depends on; an output
    the body reads (or leaves partly unwritten) is copied in as well."""
    grid = [ranges[k] // tile[k] for k in grid_dims]
    flags = copied(accesses, tile, ranges, resident)
    sizes = [a.tile_bytes(tile) if c else 0 for a, c in zip(accesses, flags)]
    return _copied_bytes(grid_dims, grid, _depends(accesses), _copied_in_too(accesses), sizes, flags)


def _depends(accesses: Sequence[OperandAccess]) -> list[set[int]]:
    """The loops each operand's map depends on."""
    return [{k for co in a.coeffs for k, c in co.items() if c} for a in accesses]


def _copied_in_too(accesses: Sequence[OperandAccess]) -> list[bool]:
    """Outputs the body reads (or leaves partly unwritten): copied in as well."""
    return [a.is_output and (a.reads_output or not a.plain) for a in accesses]


def _cost(
    tiles: int, deps: Sequence[set[int]], both: Sequence[bool], sizes: Sequence[int],
    flags: Sequence[bool], cut: Sequence[int], grid: Sequence[int], compute: int,
) -> int:
    """The cost of a tiling, in bytes: TILE_COST_BYTES per tile; the copies
    of the first tile in and the last one out, which overlap no compute
    (what one tile copies: a grid of one); the other copies overlap the
    compute of the tile before, so they and the compute cost the larger of
    the two."""
    exposed = _copied_bytes((), (), deps, both, sizes, flags)
    return tiles * TILE_COST_BYTES + exposed + max(_copied_bytes(cut, grid, deps, both, sizes, flags), compute)


def plan_cost(
    g: linalg_ops.GenericOp, accesses: Sequence[OperandAccess], resident: Sequence[bool],
    plan: Plan, cores: int, weights: Sequence[int] | None = None,
) -> int:
    """What `_cheapest` counts for `plan` (before its preferences)."""
    ranges, kinds, _, leading, _, _ = _loops(g, cores, ())
    tile = plan.tile
    flags = copied(accesses, tile, ranges, resident)
    costs = [_copy_cost(a, tile, a.tile_bytes(tile), 1 if weights is None else weights[i]) if c else 0
             for i, (a, c) in enumerate(zip(accesses, flags))]
    grid = [ranges[k] // tile[k] for k in plan.grid_dims]
    split_loop = next((j for j in leading if tile[j] >= cores), None)
    blocked = IteratorType.REDUCTION in kinds
    return _cost(
        math.prod(grid), _depends(accesses), _copied_in_too(accesses), costs, flags,
        plan.grid_dims, grid, _compute_bytes(blocked, tile, ranges, kinds, split_loop, cores),
    )


def _compute_bytes(
    blocked: bool, tile: Sequence[int], ranges: Sequence[int], kinds: Sequence[object],
    split_loop: int | None, cores: int,
) -> int:
    """The compute of a tiling, in the cost's bytes (what the DMA would move
    meanwhile), for the DMA to hide behind. A register-blocked contraction
    (one reduction loop, interleave-contractions' blocks of up to
    BLOCK x BLOCK_COLS accumulators: a core's rows of the split loop by the
    other parallel loops) issues per block and reduction step one load per
    row and column and one `fmadd.s` per accumulator, and per block and tile
    a load and a store per accumulator: a short reduction tile pays the
    latter more often, narrow columns leave narrow blocks. Other kernels:
    at least one instruction per iteration, the cores sharing them."""
    red = [k for k, kind in enumerate(kinds) if kind == IteratorType.REDUCTION]
    par = [k for k, kind in enumerate(kinds) if kind == IteratorType.PARALLEL]
    if not blocked or len(red) != 1 or split_loop is None:
        return math.prod(ranges) // cores * COST_BYTES_PER_CYCLE
    k_steps = tile[red[0]]
    rows = -(-tile[split_loop] // cores)  # the busiest core's, which the others wait for
    cols = math.prod(tile[k] for k in par if k != split_loop)
    row_blocks = [BLOCK] * (rows // BLOCK) + ([rows % BLOCK] if rows % BLOCK else [])
    col_blocks = [BLOCK_COLS] * (cols // BLOCK_COLS) + ([cols % BLOCK_COLS] if cols % BLOCK_COLS else [])
    per_tile = sum(
        k_steps * (r + c + r * c) + 2 * r * c for r in row_blocks for c in col_blocks
    )
    tiles = math.prod(n // t for n, t in zip(ranges, tile))
    return per_tile * tiles * COST_BYTES_PER_CYCLE


def _copied_bytes(
    grid_dims: Sequence[int], grid: Sequence[int], deps: Sequence[set[int]], both: Sequence[bool],
    sizes: Sequence[int], flags: Sequence[bool],
) -> int:
    """`moved_bytes` from its parts: each copied operand's tile bytes times
    the grid points up to the innermost grid dimension it depends on."""
    total = 0
    for d, two, size, c in zip(deps, both, sizes, flags):
        if c:
            last = max((i for i, k in enumerate(grid_dims) if k in d), default=-1)
            total += math.prod(grid[: last + 1]) * size * (2 if two else 1)
    return total


def _shrink(
    g: linalg_ops.GenericOp,
    accesses: Sequence[OperandAccess],
    resident: Sequence[bool],
    budget: int,
    cores: int,
    cuttable_reductions: Sequence[int],
    floor: int,
) -> Plan | None:
    """Shrink the tile one divisor step of one loop at a time, the step that
    saves the most bytes first, until it fits (for kernels with too many
    tilings to compare them all, `_cheapest`). A cut reduction loop runs its
    tiles one after the other into the same output tile (kept in L1 by the
    driver), in loop order, so every output element is still reduced in the
    order of the untiled loop."""
    ranges, _, parallel, leading, splittable, cuttable = _loops(g, cores, cuttable_reductions)
    tile = list(ranges)

    def cut_of(t: Sequence[int]) -> list[int]:
        return [k for k in cuttable if t[k] < ranges[k]]

    def valid(t: Sequence[int]) -> bool:
        return broken_constraint(accesses, t, ranges, resident, budget, cut_of(t), parallel) is None

    while not valid(tile):
        best: tuple[tuple[bool, int, int], list[int]] | None = None
        for k in cuttable:
            if tile[k] == 1:
                continue
            cand = list(tile)
            cand[k] = _divisors_below(ranges[k], tile[k])
            if k in cuttable_reductions and cand[k] < min(floor, ranges[k]):
                continue
            keeps_split = not splittable or any(cand[j] >= cores for j in leading)
            key = (keeps_split and len(cut_of(cand)) <= GRID_DIMS, -working_set(accesses, cand, ranges, resident), cand[k])
            if best is None or key > best[0]:
                best = (key, cand)
        if best is None:
            return None
        tile = best[1]
    return Plan(tile, ranges, cut_of(tile))


@dataclass(frozen=True)
class TierTileL1Pass(ModulePass):
    """Kernel calls -> tier.tiled_call of tile kernels within an L1 budget."""

    name = "tier-tile-l1"

    # bytes of L1 for tiles (both buffers of every operand)
    budget: int = 120 * 1024
    # cores the kernels are split over (tiles keep a loop this long if they can)
    cores: int = CLUSTER.cores
    # run the elementwise kernel called right after a product as the tiled
    # call's epilogue (analyses/epilogues.py), when its tiles fit too and
    # the tiles cut no reduction loop (each output tile is then complete
    # after the kernel: kernel-fold-epilogue computes the epilogue where
    # the kernel stores it)
    epilogues: bool = True

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = {
            f.sym_name.data: f
            for f in op.ops
            if isinstance(f, func.FuncOp) and KERNEL in f.attributes
        }
        tiers = {
            g.sym_name.data: memref_tier(g.type)
            for g in op.ops
            if isinstance(g, memref.GlobalOp) and isinstance(g.type, MemRefType)
        }
        plan_attr = memory_plan(op)
        budget = self.budget - (plan_attr.get("l1") if plan_attr is not None else 0)
        # the least DMA any schedule of these calls needs (before the calls change)
        floor = dma_floor(op, budget).floor
        tile_kernels: dict[tuple[str, tuple[int, ...]], str] = {}
        chosen: dict[tuple, Plan | None] = {}
        used: set[str] = set()
        peak = dma_in = dma_out = n_tiled = 0
        entries = [f for f in op.ops if isinstance(f, func.FuncOp) and ENTRY in f.attributes]
        alias = globals_alias(list(op.ops))
        epilogue_kernels: dict[tuple, str] = {}
        for entry in entries:
            for call in [c for c in entry.body.block.ops if isinstance(c, func.CallOp)]:
                if call.parent is None:  # an epilogue, fused into the call before
                    continue
                name = call.callee.string_value()
                kernel = kernels[name]
                try:
                    g, roots, accesses = analyze_kernel(kernel)
                except Untileable as e:
                    kernel.attributes[UNTILED] = StringAttr(str(e))
                    used.add(name)
                    for arg in call.arguments:
                        if _tier(arg, tiers) == "L3":
                            raise PassFailedException(
                                f"tier-tile-l1: kernel @{name} works on L3 data in place "
                                f"but only the DMA reaches L3 ({e})"
                            )
                    continue
                resident = [_in_l1(call.arguments[r.index], tiers) for r in roots]
                if all(resident):
                    used.add(name)  # everything already in L1: a plain call
                    continue
                args = [call.arguments[r.index] for r in roots]
                n_kernel = len(accesses)
                epilogue = find_epilogue(call, kernels, alias) if self.epilogues else None
                with_epilogue = _with_epilogue(g, args, accesses, epilogue, tiers) if epilogue else None
                plan = None
                if with_epilogue is not None:
                    e_args, e_accesses, e_resident, _ = with_epilogue
                    weights = _weights(e_args, tiers)
                    choice = _tiling_problem(g, e_accesses, resident + e_resident, weights)
                    if choice not in chosen:
                        chosen[choice] = choose_tiles(
                            g, e_accesses, resident + e_resident, budget, self.cores, weights
                        )
                    plan = chosen[choice]
                    cuts_reduction = plan is not None and any(
                        g.iterator_types.data[k].data == IteratorType.REDUCTION for k in plan.grid_dims
                    )
                    # the epilogue's tiles do not fit beside the product's, or
                    # the tiles cut the reduction: the epilogue would be a
                    # pass over each output tile of its own (fork, loads,
                    # stores), which costs what the separate call does
                    if plan is None or cuts_reduction:
                        with_epilogue = None
                        plan = None
                    else:
                        args, accesses, resident = e_args, e_accesses, resident + e_resident
                # calls of one kernel with the same operands in L1 tile alike,
                # and so do kernels of the same loops and accesses (a third of
                # MobileNetV1's: repeated layers), not yet deduplicated here
                if plan is None:
                    weights = _weights(args, tiers)
                    choice = _tiling_problem(g, accesses, resident, weights)
                    if choice not in chosen:
                        chosen[choice] = choose_tiles(g, accesses, resident, budget, self.cores, weights)
                    plan = chosen[choice]
                if plan is None:
                    ranges = list(g.get_static_loop_ranges())
                    first_reduction = next(
                        (k for k, t in enumerate(g.iterator_types) if t.data == IteratorType.REDUCTION),
                        None,
                    )
                    smallest = [1 if t.data == IteratorType.PARALLEL or k == first_reduction else r
                                for k, (t, r) in enumerate(zip(g.iterator_types, ranges))]
                    op_name = kernel_kind(kernel) or name
                    raise PassFailedException(
                        f"tier-tile-l1: the {op_name} kernel @{name} "
                        + _no_plan_reason(g, accesses, smallest, ranges, resident, budget, self.budget)
                    )
                flags = copied(accesses, plan.tile, plan.ranges, resident)
                key = (name, tuple(plan.tile), tuple(flags[:n_kernel]))
                if key not in tile_kernels:
                    tname = f"{name}_t" + "x".join(str(t) for t in plan.tile)
                    if any(k[:2] == key[:2] for k in tile_kernels):  # same tile, other residency
                        tname += f"_{len(tile_kernels)}"
                    op.body.block.add_op(
                        _tile_kernel(kernel, g, accesses[:n_kernel], plan, flags[:n_kernel], tname)
                    )
                    tile_kernels[key] = tname
                tiled, ws = _tiled_call(args, tile_kernels[key], accesses, resident, plan)
                if with_epilogue is not None:
                    assert epilogue is not None
                    ekey = (epilogue.call.callee.string_value(), tile_kernels[key], tuple(flags))
                    if ekey not in epilogue_kernels:
                        ename = f"{ekey[0]}_e{len(epilogue_kernels)}_t" + "x".join(
                            str(plan.tile[k]) for k in _t_loops(g)
                        )
                        op.body.block.add_op(
                            _epilogue_kernel(epilogue, with_epilogue[3], args, accesses, flags, plan, ename)
                        )
                        epilogue_kernels[ekey] = ename
                    # on every tile: the tiles cut no reduction (no epilogue_dims)
                    tiled.epilogue_callee = SymbolRefAttr(epilogue_kernels[ekey])
                    for moved in epilogue.moved:
                        moved.detach()
                        call.parent_block().insert_op_before(moved, call)  # type: ignore[union-attr]
                    epilogue.call.detach()
                    epilogue.call.erase()
                peak = max(peak, ws)
                moved_in, moved_out = tiled.dma_bytes()
                dma_in += moved_in
                dma_out += moved_out
                n_tiled += 1
                call.parent_block().insert_op_before(tiled, call)  # type: ignore[union-attr]
                call.detach()
                call.erase()
        for name, kernel in kernels.items():
            if name not in used:
                kernel.detach()
                kernel.erase()
        if peak:
            area = memref.GlobalOp.get(
                StringAttr(TILES_GLOBAL), in_tier(MemRefType(i8, [peak]), "L1"), UnitAttr(),
                StringAttr("public"), alignment=ALIGN,
            )
            area.attributes[ROLE] = role_attr(Role.TILES)
            first = op.body.block.first_op
            assert first is not None
            op.body.block.insert_op_before(area, first)
        # dma_in / dma_out: bytes the tile copies move per step, home tier
        # -> L1 and back
        stats = {"tiles": peak, "tiled_calls": n_tiled, "dma_in": dma_in, "dma_out": dma_out,
                 "dma_floor": floor}
        op.attributes[MEMORY_PLAN] = (
            plan_attr.updated(**stats) if plan_attr is not None else MemoryPlanAttr.of(**stats)
        )


def _no_plan_reason(
    g: linalg_ops.GenericOp,
    accesses: Sequence[OperandAccess],
    smallest: Sequence[int],
    ranges: Sequence[int],
    resident: Sequence[bool],
    left: int,
    budget: int,
) -> str:
    """Why no tiling fits: the constraint that the smallest tile breaks."""
    kinds = [t.data for t in g.iterator_types]
    parallel = [k for k, kind in enumerate(kinds) if kind == IteratorType.PARALLEL]
    cut = [k for k in range(len(ranges)) if smallest[k] < ranges[k]]
    broken = broken_constraint(accesses, smallest, ranges, resident, left, cut, parallel)
    if broken is not None and broken.kind == "budget":
        return (
            f"needs at least {broken.need} bytes of L1 (the buffers of its smallest tile: loop "
            f"ranges {list(smallest)}; only the outermost reduction loop is cut) but {left} "
            f"bytes are left for tiles (budget {budget}, {budget - left} taken by tensors placed "
            "in L1); raise --tile-l1"
        )
    if broken is not None and broken.kind == "dma":
        a = accesses[broken.operand]
        return (
            f"has no tiling: the tile of operand #{broken.operand} (buffer {list(a.shape)}) is "
            "never one DMA transfer of at most three levels (row, rows, planes), at any tile size"
        )
    if broken is not None and broken.kind == "overlap":
        a = accesses[broken.operand]
        return (
            f"has no tiling: tiles of its flat output #{broken.operand} (buffer {list(a.shape)}, "
            "reached through a linear map) overlap at every tile size that fits "
            f"{left} bytes, and overlapping writes would race"
        )
    return (
        f"has no tiling within {left} bytes of L1 that keeps at most {GRID_DIMS} cut loops "
        f"(loop ranges {list(ranges)})"
    )


def _tier(v: SSAValue, tiers: dict[str, str | None]) -> str | None:
    """The tier of the global or arena holding a buffer of the entry."""
    owner = view_root(v).owner
    if isinstance(owner, memref.GetGlobalOp):
        return tiers.get(owner.name_.string_value())
    if isinstance(owner, memref.AllocOp):
        return tiers.get(arena_of(owner))
    return None


def _weights(args: Sequence[SSAValue], tiers: dict[str, str | None]) -> tuple[int, ...]:
    """What a byte of each operand's copies costs: L3_COST_WEIGHT for one
    in L3 (the DMA moves a quarter as many bytes a cycle there), else 1."""
    return tuple(L3_COST_WEIGHT if _tier(a, tiers) == "L3" else 1 for a in args)


def _in_l1(v: SSAValue, tiers: dict[str, str | None]) -> bool:
    return _tier(v, tiers) == "L1"


def _in_tile(amap: AffineMap, access: OperandAccess, copied: bool) -> AffineMap:
    """`amap` on the operand's tile buffer: a copied operand's buffer holds
    its shifted box, so its map loses the constant."""
    if not (copied and any(access.consts)):
        return amap
    return AffineMap(
        amap.num_dims, amap.num_symbols, tuple(e - k for e, k in zip(amap.results, access.consts))
    )


def _tile_kernel(
    kernel: func.FuncOp,
    g: linalg_ops.GenericOp,
    accesses: Sequence[OperandAccess],
    plan: Plan,
    flags: Sequence[bool],
    name: str,
) -> func.FuncOp:
    """The loop nest on contiguous tile buffers (one per operand). A copied
    operand's buffer holds its shifted box: its map loses the constant."""
    types = [
        MemRefType(g.operands[i].type.element_type, a.extents(plan.tile, shifted=c))  # type: ignore[attr-defined]
        for i, (a, c) in enumerate(zip(accesses, flags))
    ]
    maps = [AffineMapAttr(_in_tile(m.data, a, c)) for m, a, c in zip(g.indexing_maps.data, accesses, flags)]
    block = Block(arg_types=types)
    n_in = len(g.inputs)
    new = linalg_ops.GenericOp(
        list(block.args[:n_in]),
        list(block.args[n_in:]),
        g.body.clone(),
        ArrayAttr(maps),
        g.iterator_types,
    )
    block.add_op(new)
    block.add_op(func.ReturnOp())
    f = func.FuncOp(name, (types, []), Region(block))
    f.attributes[KERNEL] = kernel.attributes[KERNEL]
    f.attributes[TILE] = int_array(plan.tile)
    return f


def _t_loops(g: linalg_ops.GenericOp) -> list[int]:
    """The loops of the product's output map, in result order."""
    return [e.position for e in g.indexing_maps.data[len(g.inputs)].data.results]  # type: ignore[attr-defined]


def _with_epilogue(
    g: linalg_ops.GenericOp,
    args: Sequence[SSAValue],
    accesses: Sequence[OperandAccess],
    epilogue: Epilogue,
    tiers: dict[str, str | None],
) -> tuple[list[SSAValue], list[OperandAccess], list[bool], list[int]] | None:
    """The tiled call's operands with the epilogue's: (buffers, accesses
    over the product's loops, whether each added one is in L1, the call
    operand of each operand of the epilogue's generic); None when they are
    more than a call takes or one is not tileable."""
    out = len(g.inputs)
    t = args[out]
    all_args, all_accesses = list(args), list(accesses)
    added: list[bool] = []
    index_of: list[int] = []
    eg = epilogue.generic
    n_in = len(eg.inputs)
    for i, (v, p_map) in enumerate(zip(epilogue.values, epilogue.p_maps)):
        if v is t:
            index_of.append(out)
            continue
        is_out = i >= n_in
        used = bool(eg.body.block.args[i].uses) or any(
            w is v and j < n_in for j, w in enumerate(epilogue.values)
        )
        try:
            access = operand_access(v.type, p_map, is_out, used)  # type: ignore[arg-type]
        except Untileable:
            return None
        k = next((k for k in range(len(args), len(all_args)) if all_args[k] is v), None)
        if k is None:
            all_args.append(v)
            all_accesses.append(access)
            added.append(_in_l1(v, tiers))
            k = len(all_args) - 1
        elif is_out:  # read and written in place: one operand, an output read
            all_accesses[k] = access
        index_of.append(k)
    if len(all_args) > MAX_OPERANDS:
        return None
    return all_args, all_accesses, added, index_of


def _epilogue_kernel(
    epilogue: Epilogue,
    index_of: Sequence[int],
    args: Sequence[SSAValue],
    accesses: Sequence[OperandAccess],
    flags: Sequence[bool],
    plan: Plan,
    name: str,
) -> func.FuncOp:
    """The epilogue's loop nest on the tiled call's L1 buffers (it takes
    them all, in operand order, like the product's tile kernel): over the
    output tile's dimensions, each operand through its map over them (a
    copied operand's map minus its constant, as `_tile_kernel` does)."""
    types = [
        MemRefType(v.type.element_type, a.extents(plan.tile, shifted=c))  # type: ignore[attr-defined]
        for v, a, c in zip(args, accesses, flags)
    ]
    maps = [AffineMapAttr(_in_tile(m, accesses[k], flags[k])) for k, m in zip(index_of, epilogue.t_maps)]
    block = Block(arg_types=types)
    eg = epilogue.generic
    n_in = len(eg.inputs)
    operands = [block.args[k] for k in index_of]
    rank = epilogue.t_maps[0].num_dims
    new = linalg_ops.GenericOp(
        operands[:n_in],
        operands[n_in:],
        eg.body.clone(),
        ArrayAttr(maps),
        ArrayAttr([IteratorTypeAttr(IteratorType.PARALLEL)] * rank),
    )
    block.add_op(new)
    block.add_op(func.ReturnOp())
    f = func.FuncOp(name, (types, []), Region(block))
    f.attributes[KERNEL] = epilogue.kernel.attributes[KERNEL]
    return f


def _tiled_call(
    args: Sequence[SSAValue],
    tile_kernel: str,
    accesses: Sequence[OperandAccess],
    resident: Sequence[bool],
    plan: Plan,
) -> tuple[TiledCallOp, int]:
    grid_dims = plan.grid_dims
    grid = [plan.ranges[k] // plan.tile[k] for k in grid_dims]
    grid += [1] * (GRID_DIMS - len(grid))
    modes, steps, boxes, offsets = [], [], [], []
    flags = copied(accesses, plan.tile, plan.ranges, resident)
    sizes = [buffer_bytes(a.tile_bytes(plan.tile)) if c else 0 for a, c in zip(accesses, flags)]
    counts = buffers(_depends(accesses), grid_dims)
    # the operands the grid moves: two sets of buffers, [0, ws) and [ws, 2 ws);
    # those it never moves: one buffer each after them (both offsets alike)
    ws = sum(size for size, n in zip(sizes, counts) if n == 2)
    off, fixed = 0, 2 * ws
    homes = []
    for a, size, c, n in zip(accesses, sizes, flags, counts):
        levels = a.dma_levels(a.extents(plan.tile, shifted=c))
        if levels is None:  # used in place, never copied: the whole buffer
            assert not c
            levels = [(math.prod(a.shape) * a.elem, 0)]
        homes.append(a.origin_bytes() if c else 0)
        row_len = levels[0][0]
        rows, row_stride = levels[1] if len(levels) > 1 else (1, row_len)
        planes, plane_stride = levels[2] if len(levels) > 2 else (1, row_len * rows)
        boxes.append([row_len, rows, row_stride, planes, plane_stride])
        if not c:  # in L1 already and not cut, or never read: used in place
            modes.append(RESIDENT)
            steps.append([0] * GRID_DIMS)
            offsets += [0, 0]
            continue
        mode = IN
        if a.is_output:
            mode = OUT | (IN if a.reads_output or not a.plain else 0)
        modes.append(mode)
        strides = a.strides()
        step = [
            sum(co.get(k, 0) * plan.tile[k] * s for co, s in zip(a.coeffs, strides))
            for k in grid_dims
        ]
        steps.append(step + [0] * (GRID_DIMS - len(step)))
        if n == 2:
            offsets += [off, off + ws]
            off += size
        else:
            assert not any(step)
            offsets += [fixed, fixed]
            fixed += size
    return TiledCallOp(tile_kernel, args, grid, modes, steps, boxes, offsets, homes), fixed
