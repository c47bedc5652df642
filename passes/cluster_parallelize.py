"""`cluster-parallelize` (scf level, after `lower-affine`): in each kernel
`cluster-mark-parallel` marked (`cluster.parallel = array<i64: d, n>`), the
loop of depth `d` of its (single) top-level loop nest (bounds 0..n, step 1)
runs [core * n / N, (core + 1) * n / N) on core `core` of `N` active cores
(`cluster.core_id` and `cluster.num_cores`, read at run time; lowered to
`mhartid` and the `NUM_CORES` register by `convert-cluster-to-riscv`), so
the slices differ by at most one iteration and cover 0..n exactly.
Anything else than the expected loop nest is an error (a marked kernel is
forked onto every core by the entry; running it whole on each core would
race).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import arith, func, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr, ModuleOp
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint
from xdsl.utils.exceptions import PassFailedException
from xdsl.transforms.canonicalization_patterns.utils import const_evaluate_operand

from tdopt.dialects.cluster import KERNEL, CoreIdOp, NumCoresOp, parallel_of


def _kernels(module: ModuleOp) -> list[func.FuncOp]:
    return [f for f in module.ops if isinstance(f, func.FuncOp) and KERNEL in f.attributes]


def _loop_at_depth(f: func.FuncOp, depth: int) -> scf.ForOp | None:
    loops = [o for o in f.body.block.ops if isinstance(o, scf.ForOp)]
    if len(loops) != 1 or any(
        isinstance(o, (scf.ForOp, scf.ParallelOp)) for o in f.body.block.ops if o is not loops[0]
    ):
        return None
    loop = loops[0]
    for _ in range(depth):
        inner = [o for o in loop.body.block.ops if isinstance(o, scf.ForOp)]
        if len(inner) != 1:
            return None
        loop = inner[0]
    return loop


def split_loop(f: func.FuncOp, depth: int, trips: int) -> None:
    loop = _loop_at_depth(f, depth)
    if loop is None:
        raise PassFailedException(
            f"cluster-parallelize: kernel @{f.sym_name.data} has no single loop nest "
            f"with a loop at depth {depth}"
        )
    lb, ub, step = loop.lb, loop.ub, loop.step
    # register blocking (interleave-contractions) may have unrolled this loop
    # by a factor: its outer part still writes disjoint elements per iteration
    outer_trips = const_evaluate_operand(ub)
    if (
        const_evaluate_operand(lb) != 0
        or const_evaluate_operand(step) != 1
        or outer_trips is None
        or outer_trips < 1
        or trips % outer_trips
    ):
        raise PassFailedException(
            f"cluster-parallelize: in kernel @{f.sym_name.data} the loop at depth {depth} "
            f"is not 0..{trips} step 1 (or an unrolled 0..{trips}/k)"
        )
    trips = outer_trips
    # the slice bounds, computed once before the nest
    outer = f.body.block
    top = loop
    while top.parent is not outer:
        top = top.parent_op()
    b = Builder(InsertPoint.before(top))
    core = b.insert(CoreIdOp()).result
    ncores = b.insert(NumCoresOp()).result
    n = b.insert(arith.ConstantOp(IntegerAttr(trips, IndexType()))).result
    one = b.insert(arith.ConstantOp(IntegerAttr(1, IndexType()))).result
    next_core = b.insert(arith.AddiOp(core, one)).result
    lo = b.insert(arith.DivUIOp(b.insert(arith.MuliOp(core, n)).result, ncores)).result
    hi = b.insert(arith.DivUIOp(b.insert(arith.MuliOp(next_core, n)).result, ncores)).result
    loop.operands[0] = lo
    loop.operands[1] = hi


@dataclass(frozen=True)
class ClusterParallelizePass(ModulePass):
    """Each core runs its slice of the marked loop of every marked kernel."""

    name = "cluster-parallelize"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in _kernels(op):
            found = parallel_of(f)
            if found is None:
                continue
            split_loop(f, *found)
