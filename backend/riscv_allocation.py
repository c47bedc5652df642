"""tdopt's register allocation over the whole rv32 register file, as a
library: `riscv-allocate-registers-full` runs it on every kernel, and the
passes that choose a kernel's shape by trial (`interleave-contractions`'
register blocks, `riscv-scf-strength-reduce`'s levels) run it on their
candidates, so that a trial is the allocation the kernel will get.

xDSL 0.74 allocates only caller-saved registers (15 integer, 20 float) and
never spills, which deep loop nests (a convolution's eight loops with their
bounds and pointers) exceed. Here kernels may use the callee-saved
registers too (`riscv-save-callee-saved` then saves and restores what they
use):

* xDSL's allocator with s0-s11 and fs0-fs11 added to the allocatable set
  (`ALLOCATABLE`); before allocating, the loads of innermost loop bodies
  sink next to their first use (`schedule_loads`: a contraction blocked by
  16 then needs two registers for its loaded operands, not 16) and
  innermost loops become CORE-V hardware loops (`hardware_loops`, kept
  only if the function still allocates); the argument registers are free
  for the body once the arguments are copied out of them
  (`gather_argument_moves`).

When the registers still run out, constants are recomputed next to their
uses instead of living across loops: every integer `li`, then as few float
constants (`li` + `fmv.w.x`, an expanded math body's coefficients) as the
function needs to allocate, found by bisection
(`_allocated_with_float_constants_recomputed`). `OutOfRegisters` is raised
when nothing fits (the allocator never spills).
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.backend.riscv.register_allocation import RegisterAllocatorLivenessBlockNaive
from xdsl.backend.riscv.register_stack import RiscvRegisterStack
from xdsl.builder import Builder, InsertPoint
from xdsl.dialects import riscv, riscv_func, riscv_scf, rv32
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, i32
from xdsl.dialects.riscv import FloatRegisterType, IntRegisterType, Registers, RISCVRegisterType
from xdsl.backend.register_stack import OutOfRegisters
from xdsl.backend.register_allocator import live_ins_per_block
from xdsl.backend.register_allocatable import RegisterAllocatableOperation, RegisterAllocatedMemoryEffect
from xdsl.ir import Block, BlockArgument, Operation, OpResult, SSAValue

from tdopt.dialects.rvx import HardwareLoopSetupOp

# callee-saved last, so that leaf kernels which fit in the caller-saved set
# need no prologue
ALLOCATABLE = (
    *reversed((*Registers.S[1:],)),
    *reversed(IntRegisterType.allocatable_registers()),
    *reversed(Registers.FS),
    *reversed(FloatRegisterType.allocatable_registers()),
)


def _allocate(f: riscv_func.FuncOp) -> None:
    schedule_loads(f)
    allocate(f)


def allocate(f: riscv_func.FuncOp) -> None:
    """xDSL's allocator on `f` (raises OutOfRegisters), with the argument
    registers free for the body once read (`gather_argument_moves`)."""
    moves = gather_argument_moves(f)
    stack = RiscvRegisterStack.get(allocatable_registers=ALLOCATABLE)
    _ArgumentsFreeAllocator(stack, moves).allocate_func(f)


def gather_argument_moves(f: riscv_func.FuncOp) -> riscv.ParallelMovOp | None:
    """The function's copies of its integer arguments out of a0-a7
    (`convert-func-to-riscv-func` emits one `mv` per argument) as one
    `riscv.parallel_mov` at the entry, so that the argument registers are
    free for the body afterwards: xDSL's allocator otherwise keeps every
    register an op names out of the whole function, which left a kernel of
    six pointers 20 integer registers instead of 26. One parallel copy at
    the entry is needed because the body may then reuse a register that
    another argument still holds (riscv-lower-parallel-mov orders them).
    Arguments read elsewhere stay as they are; None if there is no copy."""
    block = f.body.block
    existing = block.first_op
    if (
        isinstance(existing, riscv.ParallelMovOp)
        and existing.inputs
        and all(isinstance(a, BlockArgument) and a.owner is block for a in existing.inputs)
    ):
        return existing  # gathered by an earlier trial on this function
    moves: list[riscv.MVOp] = []
    for arg in block.args:
        uses = list(arg.uses)
        if not (isinstance(arg.type, IntRegisterType) and arg.type.is_allocated and len(uses) == 1):
            continue
        user = uses[0].operation
        if isinstance(user, riscv.MVOp) and user.parent is block and not user.rd.type.is_allocated:
            moves.append(user)
    # only the leading run of copies: nothing before them may write a register
    leading = []
    for op in block.ops:
        if op not in moves:
            break
        leading.append(op)
    if not leading:
        return None
    pmov = riscv.ParallelMovOp(
        [m.rs for m in leading],
        [Registers.UNALLOCATED_INT for _ in leading],
        DenseArrayBase.from_list(i32, [32] * len(leading)),
    )
    block.insert_op_before(pmov, leading[0])
    for m, out in zip(leading, pmov.outputs, strict=True):
        m.rd.replace_all_uses_with(out)
        block.erase_op(m)
    return pmov


class _ArgumentsFreeAllocator(RegisterAllocatorLivenessBlockNaive):
    """xDSL's allocator, except that registers named only as inputs of the
    entry's argument copy (`gather_argument_moves`) stay allocatable."""

    def __init__(self, stack: RiscvRegisterStack, moves: riscv.ParallelMovOp | None) -> None:
        super().__init__(stack)
        self.moves = moves

    def allocate_func(self, func: riscv_func.FuncOp, *, add_regalloc_stats: bool = False) -> None:
        if self.moves is None or add_regalloc_stats:
            return super().allocate_func(func, add_regalloc_stats=add_regalloc_stats)
        # as the base class, which excludes every register an op names
        named = {
            reg
            for op in func.body.walk()
            if isinstance(op, RegisterAllocatableOperation) and op is not self.moves
            for reg in RegisterAllocatedMemoryEffect.iter_used_registers(op)
        }
        named |= RegisterAllocatableOperation.all_excluded_registers(func.body)
        for reg in named:
            self.available_registers.exclude_register(reg)
        block = func.body.block
        self.live_ins_per_block = live_ins_per_block(block)
        self.allocate_block(block)


# ops a load may not move across: they write memory or have other effects
_LOADS = (riscv.FLwOp, riscv.LwOp)


def _pure(op: Operation) -> bool:
    """Whether `op` neither writes memory nor has other side effects that a
    load must stay ordered with (conservatively: arithmetic and loads)."""
    from xdsl.traits import is_side_effect_free

    return isinstance(op, _LOADS) or (not op.regions and is_side_effect_free(op))


def schedule_loads(f: riscv_func.FuncOp) -> None:
    """Sink the loads of every innermost loop body (of the function's body
    when it has no loop) towards their first use.

    The memref_stream loop lowering loads every operand of every interleaved
    copy first and computes after, so a body blocked by `n` keeps `n` loaded
    values live at once besides its `n` accumulators. Each load moves down to
    just before the op that precedes its first user (one instruction between
    them hides the load-use latency), never across an op that writes memory
    or has other effects, nor past a user: then only two or three loaded
    values are live at a time. Loads sharing a place go in the order of
    their first users (the one used first first)."""
    loops = [o for o in f.walk() if isinstance(o, riscv_scf.ForOp)]
    if not loops:
        # a kernel whose loops all had one trip (a small blocked matmul with
        # its short reduction unrolled): one straight-line block
        _schedule_block(f.body.block)
    for loop in loops:
        if not any(isinstance(o, riscv_scf.ForOp) for o in loop.body.walk()):
            _schedule_block(loop.body.block)


def _schedule_block(block: Block) -> None:
    ops = list(block.ops)
    rest = [o for o in ops if not isinstance(o, _LOADS)]  # in order
    index = {o: k for k, o in enumerate(rest)}
    # rest index -> (first user, load) of the loads placed before it
    slots: dict[int, list[tuple[int, Operation]]] = {}
    for load in (o for o in ops if isinstance(o, _LOADS)):
        # the first op after the load that is not a load: where it is now
        now = load.next_op
        while isinstance(now, _LOADS):
            now = now.next_op
        assert now is not None  # the terminator
        lo = index[now]
        anchors = [block.find_ancestor_op_in_block(use.operation) for use in load.results[0].uses]
        if any(a is None or a not in index for a in anchors):
            continue  # an address for another load: stays where it is
        users = [index[a] for a in anchors]
        first = min(users, default=len(rest) - 1)
        # never across an op with effects
        barrier = next((k for k in range(lo, first) if not _pure(rest[k])), first)
        slots.setdefault(max(lo, min(first - 1, barrier)), []).append((first, load))
    for k, loads in slots.items():
        # the loads used later go last: a load used by the op right after
        # the slot then still has an instruction before its user when the
        # slot holds another load (the first ops of a blocked body)
        for _, load in sorted(loads, key=lambda fl: fl[0]):
            load.detach()
            block.insert_op_before(load, rest[k])


# ops that must not be in a hardware loop body (CV32E40P: no branches or
# jumps, no CSR writes of the loop registers, no privileged instructions)
_NOT_IN_HWLOOP = {
    "riscv.beq", "riscv.bne", "riscv.blt", "riscv.bge", "riscv.bltu", "riscv.bgeu",
    "riscv.jal", "riscv.jalr", "riscv.j", "riscv.ret", "riscv.ecall", "riscv.ebreak",
    "riscv.wfi", "riscv.csrrw", "riscv.csrrs", "riscv.csrrc", "riscv.csrrwi",
    "riscv.csrrsi", "riscv.csrrci",
}  # fmt: skip
# ops that may emit no instruction (moves to the same register)
_MAYBE_EMPTY = (riscv.MVOp, riscv.FMVOp, riscv.ParallelMovOp, rv32.GetRegisterOp, riscv.GetFloatRegisterOp)
# CV32E40P: at least 3 instructions in the body; the immediate is 12 bits
_MIN_BODY, _MAX_BODY = 3, 1000


def _static_step(loop: riscv_scf.ForOp) -> int | None:
    from xdsl.transforms.canonicalization_patterns.riscv import get_constant_value

    step = loop.step_attr if loop.step_val is None else get_constant_value(loop.step_val)
    return None if step is None else step.value.data


def _trips(loop: riscv_scf.ForOp, step: int) -> int | None:
    """The trip count when the bounds are `lb` and `lb + constant`."""
    stop = loop.stop
    if isinstance(stop, OpResult) and isinstance(stop.op, riscv.AddiOp) and stop.op.rs1 is loop.start:
        imm = stop.op.immediate
        if isinstance(imm, IntegerAttr):
            return -(-imm.value.data // step)
    return None


def hardware_loops(f: riscv_func.FuncOp) -> None:
    """Run innermost loops as CORE-V hardware loops (CV32E40P with
    COREV_PULP): no compare-and-branch per iteration (a taken `blt` costs
    three cycles), only the induction variable's `addi` if the body uses it.

    A `riscv_scf.for %iv = lb to ub step s` (s a power of two, a straight-
    line body of at least three instructions) becomes a loop that runs its
    body once, `cv.setup` first:

        count = (ub - lb + s - 1) >> log2(s)      (li when ub = lb + constant)
        riscv_scf.for %once = 0 to count step count iter_args(%iv = lb, ...) {
          label start; cv.setup 0, count, end
          <body>; %iv' = addi %iv, s; label end
          yield %iv', ...
        }

    The outer loop's guard `bge 0, count` skips empty ranges (count <= 0).
    Loop-carried values keep their registers across the yield (xDSL's
    allocator gives a yield operand its iter_arg's register), which is what
    repeating the body in hardware needs. Bodies left with loads, stores and
    arithmetic only; static trip counts below 2 are left alone."""
    loops = [
        o
        for o in f.walk()
        if isinstance(o, riscv_scf.ForOp) and not any(isinstance(i, riscv_scf.ForOp) for i in o.body.walk())
    ]
    for n, loop in enumerate(loops):
        _to_hardware_loop(loop, f"{f.sym_name.data}_hwloop_{n}")


def _to_hardware_loop(loop: riscv_scf.ForOp, label: str) -> None:
    step = _static_step(loop)
    if step is None or step <= 0 or step & (step - 1) or step >= 2048:
        return
    body = loop.body.block
    ops = list(body.ops)[:-1]
    if len(ops) > _MAX_BODY:
        return
    for op in ops:
        if op.regions or op.name in _NOT_IN_HWLOOP:
            return
        if not isinstance(op, riscv.RISCVInstruction | riscv.ParallelMovOp | riscv.GetFloatRegisterOp):
            return
    iv = body.args[0]
    carried_iv = bool(iv.uses)
    if sum(not isinstance(op, _MAYBE_EMPTY) for op in ops) + carried_iv < _MIN_BODY:
        return
    trips = _trips(loop, step)
    if trips is not None and trips < 2:
        return

    before = Builder(InsertPoint.before(loop))
    if trips is not None:
        count = before.insert(rv32.LiOp(trips)).rd
    else:
        count = before.insert(riscv.SubOp(loop.stop, loop.start)).rd
        if step > 1:
            count = before.insert(riscv.AddiOp(count, step - 1)).rd
            count = before.insert(rv32.SraiOp(count, step.bit_length() - 1)).rd
    zero = before.insert(rv32.LiOp(0)).rd
    inits = list(loop.iter_args)
    if carried_iv:
        # the init of an iter_arg shares its register: a copy of lb
        mov = before.insert(
            riscv.ParallelMovOp([loop.start], [riscv.Registers.UNALLOCATED_INT], DenseArrayBase.from_list(i32, [32]))
        )
        inits.insert(0, mov.outputs[0])
        body.insert_arg(riscv.Registers.UNALLOCATED_INT, 0)

    yield_op = body.last_op
    assert isinstance(yield_op, riscv_scf.YieldOp)
    inside = Builder(InsertPoint.before(yield_op))
    yields = list(yield_op.operands)
    if carried_iv:
        yields.insert(0, inside.insert(riscv.AddiOp(iv, step, comment="advance induction variable")).rd)
    inside.insert(riscv.LabelOp(f"{label}_end"))
    yield_op.operands = yields
    first = body.first_op
    assert first is not None
    body.insert_ops_before([riscv.LabelOp(f"{label}_start"), HardwareLoopSetupOp(count, f"{label}_start", f"{label}_end")], first)

    region = loop.detach_region(loop.body)
    new_loop = riscv_scf.ForOp(zero, count, count, inits, region)
    before.insert(new_loop)
    results = list(new_loop.results)[1:] if carried_iv else list(new_loop.results)
    for old, new in zip(loop.results, results, strict=True):
        old.replace_all_uses_with(new)
    assert loop.parent is not None
    stop = loop.stop
    loop.parent.erase_op(loop)
    # a constant trip count leaves the bound unused
    if isinstance(stop, OpResult) and not stop.uses and isinstance(stop.op, riscv.AddiOp):
        stop.op.detach()
        stop.op.erase()


def allocate_with_remat(f: riscv_func.FuncOp, hwloops: bool = False, remat: bool = True) -> None:
    """Allocate; if the registers run out, recompute constants next to their
    uses (one `li` per use block instead of one long-lived register) and
    allocate again (only if `remat`: else OutOfRegisters, and `f` is left
    untouched). The first attempt runs on a copy, so a failure leaves
    the function untouched. With `hwloops`, innermost loops first become
    CORE-V hardware loops (`hardware_loops`) if the result still allocates
    without rematerialisation."""
    if hwloops:
        trial = f.clone()
        schedule_loads(trial)
        hardware_loops(trial)
        try:
            _allocate(trial)
        except OutOfRegisters:
            pass
        else:
            _adopt(f, trial)
            return
    trial = f.clone()
    try:
        _allocate(trial)
    except OutOfRegisters:
        if not remat:
            raise
        rematerialize_constants(f)
        _adopt(f, _allocated_with_float_constants_recomputed(f, hwloops))
    else:
        _adopt(f, trial)


def _allocated_with_float_constants_recomputed(f: riscv_func.FuncOp, hwloops: bool) -> riscv_func.FuncOp:
    """An allocated copy of `f` in which as few float constants as needed
    (`float_constants`, those with the fewest uses first) are recomputed
    next to their uses: a math body's constants stay out of its loop as
    far as the float registers allow (raises OutOfRegisters if even
    recomputing all of them does not fit). With `hwloops`, innermost loops
    become hardware loops if the function still allocates with them."""

    def attempt(k: int, hw: bool) -> riscv_func.FuncOp | None:
        trial = f.clone()
        for fmv in float_constants(trial)[:k]:
            rematerialize_float_constant(fmv)
        if hw:
            schedule_loads(trial)
            hardware_loops(trial)
        try:
            _allocate(trial)
        except OutOfRegisters:
            trial.erase(safe_erase=False)
            return None
        return trial

    high = len(float_constants(f))
    for hw in ((True, False) if hwloops else (False,)):
        best = attempt(0, hw)
        if best is not None:
            return best
        best = attempt(high, hw) if high else None
        if best is not None:
            break
    else:
        raise OutOfRegisters()
    low = 0
    # the fewest that fit (more recomputed, fewer registers live)
    while high - low > 1:
        mid = (low + high) // 2
        got = attempt(mid, hw)
        if got is None:
            low = mid
        else:
            best.erase(safe_erase=False)
            best, high = got, mid
    return best


def float_constants(f: riscv_func.FuncOp) -> list[riscv.FMvWXOp]:
    """The float constants (`fmv.w.x` of an `li`) of `f` that are used,
    fewest uses first, then in program order."""
    found = [
        op for op in f.walk()
        if isinstance(op, riscv.FMvWXOp) and isinstance(op.rs.owner, rv32.LiOp) and op.rd.uses
    ]
    return sorted(found, key=lambda op: len(list(op.rd.uses)))  # stable: program order next


def rematerialize_float_constant(fmv: riscv.FMvWXOp) -> None:
    """Recompute the float constant `fmv` (`li` + `fmv.w.x`) in each block
    that uses it, before the first user there (in its own block too: a
    constant hoisted to the top of a body that was a loop, then inlined as
    one trip, lives only from its first use on)."""
    li = fmv.rs.owner
    assert isinstance(li, rv32.LiOp)

    def pair(block: Block, first: Operation) -> SSAValue:
        bits = li.clone()
        block.insert_op_before(bits, first)
        value = riscv.FMvWXOp(bits.rd, rd=Registers.UNALLOCATED_FLOAT)
        block.insert_op_before(value, first)
        return value.rd

    _recompute_per_block(fmv.rd, True, pair)
    # the original, if nothing in its own block used it
    if not fmv.rd.uses:
        fmv.detach()
        fmv.erase()
        if not li.rd.uses:
            li.detach()
            li.erase()


def _adopt(f: riscv_func.FuncOp, trial: riscv_func.FuncOp) -> None:
    """`f` takes the body of its copy `trial`, which succeeded: the same
    steps on `f` would give the same result (they are deterministic), at
    the cost of running them twice."""
    old = f.detach_region(f.body)
    f.add_region(trial.detach_region(trial.body))
    old.drop_all_references()
    trial.erase(safe_erase=False)


def _recompute_per_block(value: SSAValue, own_block: bool, recompute: Callable[[Block, Operation], SSAValue]) -> None:
    """For each block that uses `value` (its own block only if `own_block`),
    `recompute(block, first_user)` inserts a copy before the block's first
    user of it, and the block's users take the copy."""
    owner = value.owner
    home = owner.parent if isinstance(owner, Operation) else owner
    by_block: dict[Block, list[Operation]] = {}
    for use in list(value.uses):
        user = use.operation
        if user.parent is not None and (own_block or user.parent is not home):
            by_block.setdefault(user.parent, []).append(user)
    for block, users in by_block.items():
        copy = recompute(block, min(users, key=block.get_operation_index))
        for user in users:
            for i, operand in enumerate(user.operands):
                if operand is value:
                    user.operands[i] = copy


def rematerialize_constants(f: riscv_func.FuncOp) -> None:
    """Clone every `li` into each block that uses it, before the first user
    there, so constants do not occupy registers across whole loop nests."""
    for li in [o for o in f.walk() if isinstance(o, rv32.LiOp)]:

        def clone(block: Block, first: Operation, li: rv32.LiOp = li) -> SSAValue:
            copy = li.clone()
            block.insert_op_before(copy, first)
            return copy.rd

        _recompute_per_block(li.rd, False, clone)


def is_allocated(f: riscv_func.FuncOp) -> bool:
    """Whether every register `f` names is allocated (its arguments',
    results' and loop-carried values'): nothing is left to allocate."""
    for op in f.body.walk():
        for v in op.results:
            if isinstance(t := v.type, RISCVRegisterType) and not t.is_allocated:
                return False
        for region in op.regions:
            for block in region.blocks:
                for a in block.args:
                    if isinstance(t := a.type, RISCVRegisterType) and not t.is_allocated:
                        return False
    return True
