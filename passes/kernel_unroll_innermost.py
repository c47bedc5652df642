"""`kernel-unroll-innermost` (scf level, after `cluster-parallelize`): the
innermost loops of every kernel (`func.func` with `cluster.kernel`) with
constant bounds are unrolled by the largest of `factor`, factor/2, ..., 2
that divides their trip count: the body runs that many times per
iteration, at induction values iv, iv + step, ..., and the loop steps by
factor * step. The copies are chained in order through the loop's
iter_args, so every sum is formed in the same order as before (results
bit-identical).

Why: on these cores a loop step costs an `addi` per pointer it advances
(strength reduction makes the copies' addresses constant offsets from one
pointer, and the hardware loop has no counter to update), and the FPU has
no post-increment loads. In a 4 x 4 register-blocked matmul (8 loads, 16
`fmadd.s`, 2 `addi` per step) unrolling by 4 takes the step from 26 to 24.5
instructions; in an elementwise loop (load, op, store, 2-3 `addi`) from 6
to about 4.

A loop whose bounds are known only at run time (the slice
`cluster-parallelize` gives each core) is unrolled by `factor` up to its
last whole group of steps, a copy of the original loop doing the rest (at
most factor - 1 steps). Loops whose unrolled body would be larger than
`max_ops` operations are unrolled less or not at all (the code grows by
the factor); loops with a math op (exp, log, erf: expanded into long
sequences with their own constants) are not unrolled.

With `defer` (the standard pipeline), a loop with a constant trip count
larger than the factor is not unrolled here but marked: `cluster.unroll` with its factor, first in
its body, and `riscv-scf-unroll` unrolls it after strength reduction, where
its copies' addresses are immediates from the same pointers. The factor is
chosen here either way. Each copy would otherwise go through every
conversion and cleanup down to riscv: a MobileNetV1 step's register-blocked
contraction grows from about 240 to 540 ops, and a quarter of the step's
lowering time went to the copies.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, scf
from xdsl.dialects.builtin import IndexType, IntegerAttr, ModuleOp
from xdsl.ir import Block, Region, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException
from xdsl.transforms.canonicalization_patterns.utils import const_evaluate_operand

from tdopt.dialects.cluster import KERNEL, UnrollOp


def body_size(loop: scf.ForOp) -> int:
    """Operations of `loop`'s body that become instructions of the loop
    (loads, stores, float arithmetic; not the index arithmetic of the
    addresses, which strength reduction turns into immediates, nor the
    yield)."""
    n = 0
    for o in loop.body.block.ops:
        for inner in o.walk():
            if isinstance(inner, scf.YieldOp):
                continue
            if inner.dialect_name() == "arith" and all(isinstance(r.type, IndexType) for r in inner.results):
                continue
            n += 1
    return n


def unroll_factor(loop: scf.ForOp, factor: int, max_ops: int) -> tuple[int, int | None]:
    """The factor `loop` is unrolled by (1: not unrolled), and its trip
    count (None: bounds known only at run time, a remainder loop takes the
    steps left over)."""
    lb, ub, step = const_evaluate_operand(loop.lb), const_evaluate_operand(loop.ub), const_evaluate_operand(loop.step)
    if step is None or step <= 0:
        return 1, None
    if any(isinstance(o, (scf.ForOp, scf.ParallelOp, scf.WhileOp, scf.IfOp)) for o in loop.body.block.ops):
        return 1, None
    # a math op becomes a long sequence with its own constants and
    # temporaries (expand-math-rv32f): a step's pointer increments are
    # nothing beside it, and copies of it would compete for registers
    if any(o.dialect_name() == "math" for o in loop.body.block.ops):
        return 1, None
    # bounds known at run time: a remainder loop takes the steps left over
    if lb is not None and ub is not None and (ub <= lb or (ub - lb) % step):
        return 1, None
    trips = None if lb is None or ub is None else (ub - lb) // step
    ops = body_size(loop)
    u = factor
    while u > 1 and ((trips is not None and trips % u) or ops * u > max_ops):
        u //= 2
    return u, trips


def unroll(loop: scf.ForOp, u: int, remainder: bool = False) -> scf.ForOp:
    """Replace `loop` by one stepping u times as far, its body `u` copies
    at consecutive induction values; returns the new loop. With
    `remainder`, the unrolled loop stops at the last whole group of `u`
    steps, ub' = lb + ((ub - lb) / (u * step)) * u * step (signed
    division: an empty loop stays empty), and a copy of the original loop
    runs from ub' to ub on its results."""
    step = const_evaluate_operand(loop.step)
    assert step is not None
    index_type = loop.step.type
    new_step = arith.ConstantOp(IntegerAttr(step * u, index_type))
    Rewriter.insert_op(new_step, InsertPoint.before(loop))
    ub = loop.ub
    if remainder:
        span = arith.SubiOp(loop.ub, loop.lb)
        groups = arith.DivSIOp(span.result, new_step.result)
        whole = arith.MuliOp(groups.result, new_step.result)
        main_ub = arith.AddiOp(loop.lb, whole.result)
        Rewriter.insert_op([span, groups, whole, main_ub], InsertPoint.before(loop))
        ub = main_ub.result
    old = loop.body.block
    block = Block(arg_types=[a.type for a in old.args])
    for new_arg, old_arg in zip(block.args, old.args):
        new_arg.name_hint = old_arg.name_hint
    iv, carried = block.args[0], list(block.args[1:])
    for j in range(u):
        mapper: dict[SSAValue, SSAValue] = dict(zip(old.args[1:], carried))
        if j == 0:
            mapper[old.args[0]] = iv
        else:
            offset = arith.ConstantOp(IntegerAttr(step * j, index_type))
            at = arith.AddiOp(iv, offset.result)
            at.result.name_hint = old.args[0].name_hint
            block.add_ops([offset, at])
            mapper[old.args[0]] = at.result
        for body_op in old.ops:
            if isinstance(body_op, scf.YieldOp):
                carried = [mapper.get(a, a) for a in body_op.arguments]
                if j == u - 1:
                    block.add_op(scf.YieldOp(*carried))
            else:
                block.add_op(body_op.clone(value_mapper=mapper))
    new_loop = scf.ForOp(loop.lb, ub, new_step.result, loop.iter_args, Region(block))
    if not remainder:
        Rewriter.replace_op(loop, new_loop)
        return new_loop
    # the original body, from ub' to ub, carrying on from the unrolled loop
    Rewriter.insert_op(new_loop, InsertPoint.before(loop))
    rest = scf.ForOp(ub, loop.ub, loop.step, new_loop.results, loop.detach_region(loop.body))
    Rewriter.replace_op(loop, rest)
    return new_loop


@dataclass(frozen=True)
class KernelUnrollInnermostPass(ModulePass):
    """Unroll the innermost constant-bound loops of the kernels."""

    name = "kernel-unroll-innermost"

    factor: int = 4
    # instructions of the unrolled body at most (`body_size`; the pipeline
    # runs cse first, so a blocked body's copies load each value once: a
    # 6x4 block counts 10 loads and 48 float ops, 232 unrolled by 4)
    max_ops: int = 256
    # mark loops with a constant trip count for riscv-scf-unroll instead
    defer: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.factor < 1 or self.factor & (self.factor - 1):
            raise PassFailedException(
                f"kernel-unroll-innermost: factor must be a power of two >= 1, got {self.factor}"
            )
        for f in op.ops:
            if not isinstance(f, func.FuncOp) or KERNEL not in f.attributes:
                continue
            loops = [o for o in f.walk() if isinstance(o, scf.ForOp)]
            for loop in loops:
                u, trips = unroll_factor(loop, self.factor, self.max_ops)
                if u == 1:
                    continue
                # (a loop of one group of u steps goes now: canonicalize
                # inlines its single iteration)
                if self.defer and trips is not None and trips > u:
                    loop.body.block.insert_op_before(UnrollOp(u), loop.body.block.first_op)
                else:
                    unroll(loop, u, remainder=trips is None)
