"""`riscv-scf-unroll` (riscv level, after `riscv-scf-strength-reduce`, before
register allocation): every `riscv_scf.for` whose body starts with
`cluster.unroll N` (placed by `kernel-unroll-innermost{defer=true}`, which
chose N and checked that it divides the trip count) runs its body N times
per iteration and steps N times as far.

The copies are chained in order through the loop-carried values, so every
sum is formed in the same order as with the loop-level unrolling (results
bit-identical). What strength reduction made of the addresses is kept as
immediates rather than recomputed:
- a loop-carried pointer that the body only loads and stores through and
  advances by a constant (`addi p, c` yielded and used by nothing else)
  stays one pointer: copy j accesses it at its immediates plus j * c, and
  one `addi p, N * c` advances it per iteration, after the last copy;
- the induction variable, when it is such a pointer itself (the loop
  iterates over its first pointer), likewise: copy j accesses it at its
  immediates plus j * step; any other use of it gets `iv + j * step`;
- ops of the body that compute the same value in every copy (constants,
  values of outer loops) are not copied, and when the body stores nothing,
  neither is a load of an address an earlier copy (or the same copy)
  already loaded: the copies of a sliding window overlap (what cse did
  with the loop-level copies).
A copy whose immediate would leave the 12-bit range reads through a pointer
of its own, as strength reduction groups addresses within an immediate of a
group's first: the pointer plus that copy's offset, computed before the loop
and carried and advanced like the pointer (only the induction variable,
when it is the pointer, gets the offset added in the copy instead).

The loop-level unrolling made each copy go through every conversion and
cleanup down to riscv; here the copies are made once, from the lowered
body.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import riscv, riscv_func, riscv_scf, rv32
from xdsl.dialects.builtin import IntegerAttr, ModuleOp
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.traits import MemoryEffectKind, get_effects, is_side_effect_free
from xdsl.transforms.canonicalization_patterns.riscv import get_constant_value
from xdsl.utils.exceptions import PassFailedException

from tdopt.analyses.riscv_immediates import MEMORY, fits_si12, immediate
from tdopt.dialects.cluster import UnrollOp


def _address_uses_only(value: SSAValue, but: Operation | None = None) -> bool:
    """Every use of `value` (except by `but`) is the base of a load or store
    with an integer immediate."""
    for use in value.uses:
        user = use.operation
        if user is but:
            continue
        if not (isinstance(user, MEMORY) and use.index == 0 and immediate(user) is not None):
            return False
    return True


def _plus(
    value: SSAValue,
    c: int,
    before: Operation,
    comment: Attribute | None = None,
    amounts: dict[int, SSAValue] | None = None,
) -> SSAValue:
    """`value + c`, computed right before `before`: an `addi`, or an `li`
    and an `add` when `c` leaves the immediate's range. With `amounts`
    (`before` then ends a loop's body), the `li` of an amount is made once
    per loop, or an equal one before the loop serves, as cse shared them."""
    if fits_si12(c):
        ops: list[Operation] = [riscv.AddiOp(value, c, rd=riscv.Registers.UNALLOCATED_INT, comment=comment)]
    else:
        known = None
        if amounts is not None:
            known = amounts.get(c)
            loop = before.parent_op()
            if known is None and loop is not None:
                known = _li_before(loop, c)
        ops = []
        if known is None:
            ops.append(li := rv32.LiOp(c))
            known = li.rd
        if amounts is not None:
            amounts[c] = known
        ops.append(riscv.AddOp(value, known, rd=riscv.Registers.UNALLOCATED_INT, comment=comment))
    Rewriter.insert_op(ops, InsertPoint.before(before))
    return ops[-1].results[0]


def _li_before(op: Operation, value: int) -> SSAValue | None:
    """The result of an `li value` that dominates `op` (before it in its
    block or before one of its ancestors in theirs), if any."""
    while op is not None and not isinstance(op, riscv_func.FuncOp):
        prev = op.prev_op
        while prev is not None:
            if isinstance(prev, rv32.LiOp) and isinstance(prev.immediate, IntegerAttr) and (
                prev.immediate.value.data == value
            ):
                return prev.rd
            prev = prev.prev_op
        op = op.parent_op()
    return None


def _step(loop: riscv_scf.ForOp) -> int | None:
    """The loop's constant step: its attribute, or the constant in its step
    register."""
    step = loop.step_attr if loop.step_attr is not None else get_constant_value(loop.step_val)
    return None if step is None else step.value.data


def _reads_at_most(op: Operation) -> bool:
    """`op` has no effect other than reading memory."""
    effects = get_effects(op)
    return effects is not None and all(e.kind == MemoryEffectKind.READ for e in effects)


def _pointers(loop: riscv_scf.ForOp) -> dict[int, tuple[int, riscv.AddiOp]]:
    """Loop-carried pointers (position among the carried values -> byte
    advance, and the `addi` that advances it)."""
    block = loop.body.block
    yield_op = block.last_op
    assert isinstance(yield_op, riscv_scf.YieldOp)
    found: dict[int, tuple[int, riscv.AddiOp]] = {}
    for k, (arg, yielded) in enumerate(zip(block.args[1:], yield_op.operands)):
        add = yielded.owner
        if not (isinstance(add, riscv.AddiOp) and add.rs1 is arg and add.parent is block):
            continue
        c = immediate(add)
        if c is None or add.rd.uses.get_length() != 1:
            continue
        if not _address_uses_only(arg, but=add):
            continue
        found[k] = (c, add)
    return found


def unroll(loop: riscv_scf.ForOp, factor: int) -> None:
    """Unroll `loop` (its `cluster.unroll` already removed) by `factor`."""
    block = loop.body.block
    yield_op = block.last_op
    assert isinstance(yield_op, riscv_scf.YieldOp)
    step = _step(loop)
    if step is None:
        raise PassFailedException("riscv-scf-unroll: a marked loop has a step known only at run time")
    iv, carried = block.args[0], list(block.args[1:])
    pointers = _pointers(loop)
    advances = {add for _, add in pointers.values()}
    iv_pointer = _address_uses_only(iv)
    body = [op for op in block.ops if op is not yield_op]

    # a load from the same address in every copy is made once when nothing
    # in the body stores (what cse did with the loop-level copies)
    stores = any(isinstance(op, (riscv.FSwOp, riscv.SwOp)) or not _reads_at_most(op) for op in body)
    # what differs from copy to copy, or addresses what does: the induction
    # variable, every carried value (a pointer is the same value in every
    # copy, but not what it addresses there), and what is computed from them
    moving: set[SSAValue] = {iv, *carried}
    shared: set[Operation] = set()
    for op in body:
        if op in advances:
            continue
        same = not op.regions and not any(o in moving for o in op.operands)
        if same and (is_side_effect_free(op) or (not stores and isinstance(op, (riscv.FLwOp, riscv.LwOp)))):
            shared.add(op)
        else:
            moving.update(op.results)

    # per folded pointer (by position), the pointers of its far copies:
    # [the offset from it of their first access, their block argument], as
    # strength reduction groups accesses within an immediate of a group's
    # first
    far: dict[int, list[tuple[int, SSAValue]]] = {k: [] for k in pointers}

    def far_pointer(k: int, total: int) -> tuple[SSAValue, int]:
        for first, arg in far[k]:
            if fits_si12(total - first):
                return arg, total - first
        arg = block.insert_arg(riscv.Registers.UNALLOCATED_INT, len(block.args))
        far[k].append((total, arg))
        return arg, 0

    # with no store in the body, a copy's load of an address an earlier
    # load read takes that value (what cse did with the loop-level copies:
    # a sliding window's copies overlap)
    loaded: dict[tuple[type, SSAValue, int], SSAValue] = {}

    def remember(op: Operation) -> None:
        if not stores and isinstance(op, (riscv.FLwOp, riscv.LwOp)) and (imm := immediate(op)) is not None:
            loaded.setdefault((type(op), op.operands[0], imm), op.results[0])

    for op in body:
        remember(op)

    previous = list(yield_op.operands)  # the values copy j - 1 yields
    for j in range(1, factor):
        mapper: dict[SSAValue, SSAValue] = {}
        for k, arg in enumerate(carried):
            if k not in pointers:
                mapper[arg] = previous[k]
        # bases advanced by an addi in this copy (an immediate out of range)
        moved: dict[SSAValue, SSAValue] = {}
        if not iv_pointer and iv.uses.get_length():
            # the copy's induction value first, as the loop-level copies had it
            mapper[iv] = _plus(iv, step * j, yield_op)
        for op in body:
            if op in shared or op in advances:
                continue
            new = op.clone(value_mapper=mapper)
            base = op.operands[0] if isinstance(op, MEMORY) else None
            delta = None
            k = None
            if base is iv and iv_pointer:
                delta = step * j
            elif base is not None:
                k = next((k for k, a in enumerate(carried) if a is base and k in pointers), None)
                if k is not None:
                    delta = pointers[k][0] * j
            if delta is not None:
                offset = immediate(op)
                assert offset is not None
                if fits_si12(offset + delta):
                    new.attributes["immediate"] = IntegerAttr(offset + delta, op.immediate.type)  # type: ignore[attr-defined]
                elif base is not iv:
                    new.operands[0], at = far_pointer(k, offset + delta)
                    new.attributes["immediate"] = IntegerAttr(at, op.immediate.type)  # type: ignore[attr-defined]
                else:
                    if base not in moved:
                        moved[base] = _plus(base, delta, yield_op)
                    new.operands[0] = moved[base]
            if not stores and isinstance(new, (riscv.FLwOp, riscv.LwOp)):
                same = loaded.get((type(new), new.operands[0], immediate(new)))  # type: ignore[arg-type]
                if same is not None:
                    mapper[op.results[0]] = same
                    new.erase()
                    continue
            Rewriter.insert_op(new, InsertPoint.before(yield_op))
            remember(new)
            for old_r, new_r in zip(op.results, new.results):
                mapper[old_r] = new_r
        previous = [mapper.get(v, v) for v in yield_op.operands]

    # the pointers advance once per iteration, by the whole group, after the
    # last copy, the far copies' pointers after the others; as strength
    # reduction advances them: an `li` and an `add` when the advance leaves
    # the immediate's range, one `li` per amount (cse shared them), or an
    # equal one before the loop
    amounts: dict[int, SSAValue] = {}

    def advance(pointer: SSAValue, amount: int, comment: Attribute | None) -> SSAValue:
        return _plus(pointer, amount, yield_op, comment, amounts)

    for add in [op for op in body if op in advances]:
        c = immediate(add)
        assert c is not None
        add.detach()
        add.rd.replace_all_uses_with(advance(add.rs1, c * factor, add.comment))
        add.erase()
    for k, v in enumerate(previous):
        if k not in pointers:
            yield_op.operands[k] = v
    inits: list[SSAValue] = []
    for k, groups in far.items():
        c, add = pointers[k]
        for first, arg in groups:
            yield_op.operands = (*yield_op.operands, advance(arg, c * factor, add.comment))
            inits.append(_plus(loop.iter_args[k], first, loop))

    if loop.step_attr is not None and fits_si12(step * factor):
        new_step: IntegerAttr | SSAValue = IntegerAttr(step * factor, loop.step_attr.type)
    elif (
        loop.step_attr is None
        and isinstance(li := loop.step_val.owner, rv32.LiOp)
        and loop.step_val.uses.get_length() == 1
    ):
        li.attributes["immediate"] = IntegerAttr(step * factor, li.immediate.type)
        new_step = loop.step_val
    else:
        # a register step, as strength reduction makes one that leaves the
        # immediate's range
        li = rv32.LiOp(step * factor)
        Rewriter.insert_op(li, InsertPoint.before(loop))
        new_step = li.rd
    if not inits and isinstance(new_step, IntegerAttr):
        loop.step_attr = new_step
        return
    if not inits and new_step is loop.step_val:
        return
    # more loop-carried values or a step of another kind: a new loop
    new_loop = riscv_scf.ForOp(
        loop.start, loop.stop, new_step, [*loop.iter_args, *inits], loop.detach_region(loop.body)
    )
    Rewriter.insert_op(new_loop, InsertPoint.before(loop))
    for old, new in zip(loop.results, new_loop.results):
        old.replace_all_uses_with(new)
    Rewriter.erase_op(loop)


@dataclass(frozen=True)
class RiscvScfUnrollPass(ModulePass):
    """Unroll the loops marked with `cluster.unroll` (see the module
    docstring)."""

    name = "riscv-scf-unroll"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for hint in [o for o in op.walk() if isinstance(o, UnrollOp)]:
            loop = hint.parent_op()
            factor = hint.factor.value.data
            if not isinstance(loop, riscv_scf.ForOp):
                raise PassFailedException(
                    "riscv-scf-unroll: cluster.unroll must be in a riscv_scf.for (run it after "
                    "convert-scf-to-riscv-scf)"
                )
            hint.detach()
            hint.erase()
            unroll(loop, factor)
