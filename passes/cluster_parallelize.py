"""`cluster-parallelize` (scf level, after `lower-affine`): in each kernel
`cluster-mark-parallel` marked (`cluster.parallel = array<i64: d, n>`), the
loop of depth `d` of each of its top-level loop nests (bounds 0..n, step 1;
a blocked generic and its remainder make two nests) runs [core * n / N, (core + 1) * n / N) on core `core` of `N` active cores
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
from xdsl.ir import Operation, SSAValue
from xdsl.rewriter import InsertPoint
from xdsl.utils.exceptions import PassFailedException
from xdsl.transforms.canonicalization_patterns.utils import const_evaluate_operand

from tdopt.dialects.cluster import KERNEL, CoreIdOp, NumCoresOp, parallel_of


def _kernels(module: ModuleOp) -> list[func.FuncOp]:
    return [f for f in module.ops if isinstance(f, func.FuncOp) and KERNEL in f.attributes]


def _loops_at_depth(f: func.FuncOp, depth: int) -> list[scf.ForOp] | None:
    """The loop of depth `depth` of each top-level loop nest of `f` (one
    nest, or several when register blocking split a generic into a blocked
    part and its remainder); None when a nest has no single loop there."""
    nests = [o for o in f.body.block.ops if isinstance(o, (scf.ForOp, scf.ParallelOp))]
    if not nests or any(not isinstance(o, scf.ForOp) for o in nests):
        return None
    found = []
    for loop in nests:
        for _ in range(depth):
            inner = [o for o in loop.body.block.ops if isinstance(o, scf.ForOp)]
            if len(inner) != 1:
                return None
            loop = inner[0]
        found.append(loop)
    return found


def split_loop(f: func.FuncOp, depth: int, trips: int) -> None:
    loops = _loops_at_depth(f, depth)
    if loops is None:
        raise PassFailedException(
            f"cluster-parallelize: kernel @{f.sym_name.data} has a loop nest without a single "
            f"loop at depth {depth}"
        )
    bounds: dict[int, tuple[SSAValue, SSAValue]] = {}
    core = ncores = None
    for loop in loops:
        lb, ub, step = loop.lb, loop.ub, loop.step
        # register blocking (interleave-contractions) may have unrolled this
        # loop by a factor: its outer part still writes disjoint elements per
        # iteration
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
        if outer_trips not in bounds:
            # the slice bounds, computed once before the first nest
            b = Builder(InsertPoint.before(_top(f, loops[0])))
            if core is None:
                core = b.insert(CoreIdOp()).result
                ncores = b.insert(NumCoresOp()).result
            assert ncores is not None
            n = b.insert(arith.ConstantOp(IntegerAttr(outer_trips, IndexType()))).result
            one = b.insert(arith.ConstantOp(IntegerAttr(1, IndexType()))).result
            next_core = b.insert(arith.AddiOp(core, one)).result
            lo = b.insert(arith.DivUIOp(b.insert(arith.MuliOp(core, n)).result, ncores)).result
            hi = b.insert(arith.DivUIOp(b.insert(arith.MuliOp(next_core, n)).result, ncores)).result
            bounds[outer_trips] = (lo, hi)
        loop.operands[0], loop.operands[1] = bounds[outer_trips]


def _top(f: func.FuncOp, loop: scf.ForOp) -> Operation:
    """The top-level op of `f` holding `loop`."""
    top: Operation = loop
    while top.parent is not f.body.block:
        parent = top.parent_op()
        assert parent is not None
        top = parent
    return top


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
