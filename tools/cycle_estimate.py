"""A static estimate of the cycles a compiled training step takes on the
cluster, from its linalg level (kernels, their loop trip counts, the entry's
call sequence, the L1 tiling plan). It gives `tdrun --rtl` and `tdbench`
an ETA for their progress bar and the default cycle limit of a run.

The model, per kernel call of the entry function:

* a kernel's `linalg.generic` costs (iterations) x (cycles per iteration).
  A multiply-accumulate body (a contraction, register-blocked by the
  RISC-V lowering) costs `MAC_CYCLES`; any other body one cycle per
  operand load/store and per op, more for the ops the FPU iterates on
  (`fdiv.s`, `fsqrt.s`) or that expand to polynomials (exp, log, erf, tanh);
* a kernel that `cluster-mark-parallel` would split runs its share,
  ceil(trips / cores) of the trips of the split loop, on each core; any
  other runs on core 0 alone;
* a tiled call (`tier.tiled_call`) repeats its tile kernel over the grid and
  moves its tiles by DMA at 8 bytes per cycle, overlapped with the compute
  (double buffering): the slower of the two counts, plus a fixed cost per
  tile for the tile driver; every call pays a fork/join.

It is a budget, not a simulation: the per-op costs were measured on the RTL
(one op over 4096 elements on one core), MAC_CYCLES on the GEMM rows. On the
`tdbench` rows of the README it gives 0.65 (DS-CNN) to 1.06 (GEMM 64) of the
measured cycles, 0.92 on the CCT2 both-blocks step; `test/tools/test_progress.py`
keeps it within 2x on small programs. The cycle limit built on it has a wide
margin (`default_max_cycles`)."""

from __future__ import annotations

import math

from xdsl.dialects import func, math as math_dialect
from xdsl.dialects import arith
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.linalg.ops import GenericOp, YieldOp
from xdsl.ir import Operation

from tdopt.analyses.contractions import accumulates_products
from tdopt.dialects.cluster import ENTRY, KERNEL
from tdopt.target import CLUSTER

# cycles per multiply-accumulate iteration of a register-blocked contraction
# on one core (about 0.55 fmadd.s per cycle per core measured on GEMMs)
MAC_CYCLES = 1.8
# extra cycles per op that iterates in the FPU or expands to an rv32f
# sequence (expand-math-rv32f), measured on one core over 4096 elements
SLOW_OPS: dict[type[Operation], int] = {
    arith.DivfOp: 17,
    math_dialect.SqrtOp: 16,
    math_dialect.ExpOp: 75,
    math_dialect.LogOp: 125,
    math_dialect.ErfOp: 145,
    math_dialect.TanhOp: 93,
}
# the loop, address arithmetic and load-use stalls of an elementwise body
LOOP_CYCLES = 5
DMA_BYTES_PER_CYCLE = CLUSTER.dma_bytes_per_cycle
TILE_CYCLES = 300  # the tile driver's bookkeeping and DMA programming per tile
CALL_CYCLES = 150  # fork, join (barrier) and the call itself
# the default cycle limit: this many times the estimate, plus a constant
LIMIT_FACTOR = 4
LIMIT_MARGIN = 1_000_000


def default_max_cycles(estimate: int, floor: int) -> int:
    """The cycle limit of a run whose static estimate is `estimate`: a wide
    margin over it (LIMIT_FACTOR x + LIMIT_MARGIN), never below `floor`
    (the runtime's fixed default, enough for any small program)."""
    return max(floor, LIMIT_FACTOR * estimate + LIMIT_MARGIN)


def _iteration_cycles(g: GenericOp) -> float:
    if accumulates_products(g):
        return MAC_CYCLES
    ops = [o for o in g.body.block.ops if not isinstance(o, (YieldOp, arith.ConstantOp))]
    slow = sum(SLOW_OPS.get(type(o), 0) for o in ops)
    return len(g.operands) + len(ops) + slow + LOOP_CYCLES


def _generic_cycles(g: GenericOp, cores: int, split: tuple[int, int] | None) -> float:
    ranges = g.get_static_loop_ranges()
    if not all(isinstance(r, int) for r in ranges):
        return 0.0
    iterations = math.prod(ranges)
    if split is not None and cores > 1:
        _, trips = split
        iterations = iterations // trips * math.ceil(trips / cores)
    return iterations * _iteration_cycles(g)


def kernel_cycles(module: ModuleOp, cores: int) -> dict[str, float]:
    """Cycles of one invocation of every kernel function (by symbol name)."""
    from tdopt.passes.cluster_mark_parallel import call_overlaps, parallel_loop

    overlaps = call_overlaps(module)
    out: dict[str, float] = {}
    for f in module.ops:
        if not isinstance(f, func.FuncOp) or KERNEL not in f.attributes:
            continue
        generics = [o for o in f.walk() if isinstance(o, GenericOp)]
        # cluster-mark-parallel splits kernels of one loop nest only
        split = (
            parallel_loop(generics[0], overlaps=overlaps.get(f.sym_name.data, {}))
            if len(generics) == 1 else None
        )
        out[f.sym_name.data] = sum(_generic_cycles(g, cores, split) for g in generics)
    return out


def estimate_cycles(module: ModuleOp, cores: int) -> int:
    """The estimated cycles of the entry function(s) of `module`, a program
    at the linalg level (after plan-memory / tier-tile-l1), on `cores`
    cores."""
    from tdopt.dialects.tier import IN, OUT, TiledCallOp

    per_kernel = kernel_cycles(module, cores)
    total = 0.0
    for f in module.ops:
        if not isinstance(f, func.FuncOp) or ENTRY not in f.attributes:
            continue
        for op in f.body.block.ops:
            if isinstance(op, TiledCallOp):
                tiles = math.prod(op.grid_values())
                modes = op.operand_modes()
                moved = sum(op.tile_bytes(i) for i, m in enumerate(modes) if m & (IN | OUT))
                compute = tiles * (per_kernel.get(op.callee.string_value(), 0.0) + TILE_CYCLES)
                if op.epilogue_callee is not None:
                    # on the tiles at the last index of each epilogue dimension
                    grid = op.grid_values()
                    runs = tiles // math.prod(grid[d] for d in op.epilogue_dim_values())
                    compute += runs * (per_kernel.get(op.epilogue_callee.string_value(), 0.0) + CALL_CYCLES)
                total += max(compute, tiles * moved / DMA_BYTES_PER_CYCLE) + CALL_CYCLES
            elif isinstance(op, func.CallOp):
                total += per_kernel.get(op.callee.string_value(), 0.0) + CALL_CYCLES
    return int(total)

