"""Register allocation over the whole rv32 register file.

xDSL 0.74 allocates only caller-saved registers (15 integer, 20 float) and
never spills, which deep loop nests (a convolution's eight loops with their
bounds and pointers) exceed. These passes let kernels use the callee-saved
registers too and save/restore what they use:

* `riscv-allocate-registers-full`: xDSL's allocator with s0-s11 and fs0-fs11
  added to the allocatable set;
* `riscv-save-callee-saved`: the matching prologue/epilogue for rv32f (`sw` /
  `fsw`, 4-byte slots; xDSL's own pass stores floats with `fsd`, which needs
  the D extension).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.backend.riscv.register_allocation import RegisterAllocatorLivenessBlockNaive
from xdsl.backend.riscv.register_stack import RiscvRegisterStack
from xdsl.builder import Builder, InsertPoint
from xdsl.context import Context
from xdsl.dialects import riscv, riscv_func, rv32
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.riscv import FloatRegisterType, IntRegisterType, Registers
from xdsl.backend.register_stack import OutOfRegisters
from xdsl.ir import Block, Operation
from xdsl.passes import ModulePass

# callee-saved last, so that leaf kernels which fit in the caller-saved set
# need no prologue
ALLOCATABLE = (
    *reversed((*Registers.S[1:],)),
    *reversed(IntRegisterType.allocatable_registers()),
    *reversed(Registers.FS),
    *reversed(FloatRegisterType.allocatable_registers()),
)


def _is_entry(f: riscv_func.FuncOp) -> bool:
    return "tdopt.entry" in f.attributes


@dataclass(frozen=True)
class RiscvAllocateRegistersFullPass(ModulePass):
    """Allocate kernel registers from caller- and callee-saved registers
    (s0 stays free as a frame pointer)."""

    name = "riscv-allocate-registers-full"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in list(op.walk()):
            if isinstance(f, riscv_func.FuncOp) and f.body.blocks and not _is_entry(f):
                allocate_with_remat(f)


def _allocate(f: riscv_func.FuncOp) -> None:
    stack = RiscvRegisterStack.get(allocatable_registers=ALLOCATABLE)
    RegisterAllocatorLivenessBlockNaive(stack).allocate_func(f)


def allocate_with_remat(f: riscv_func.FuncOp) -> None:
    """Allocate; if the registers run out, recompute constants next to their
    uses (one `li` per use block instead of one long-lived register) and
    allocate again. The first attempt runs on a copy, so a failure leaves
    the function untouched."""
    try:
        _allocate(f.clone())
    except OutOfRegisters:
        rematerialize_constants(f)
    _allocate(f)


def rematerialize_constants(f: riscv_func.FuncOp) -> None:
    """Clone every `li` into each block that uses it, before the first user
    there, so constants do not occupy registers across whole loop nests."""
    for li in [o for o in f.walk() if isinstance(o, rv32.LiOp)]:
        by_block: dict[Block, list[Operation]] = {}
        for use in list(li.rd.uses):
            user = use.operation
            if user.parent is not None and user.parent is not li.parent:
                by_block.setdefault(user.parent, []).append(user)
        for block, users in by_block.items():
            first = min(users, key=block.get_operation_index)
            clone = li.clone()
            block.insert_op_before(clone, first)
            for user in users:
                for i, operand in enumerate(user.operands):
                    if operand is li.rd:
                        user.operands[i] = clone.rd


@dataclass(frozen=True)
class RiscvSaveCalleeSavedPass(ModulePass):
    """Save and restore the callee-saved registers a function writes."""

    name = "riscv-save-callee-saved"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in op.walk():
            if isinstance(f, riscv_func.FuncOp) and f.body.blocks and not _is_entry(f):
                _insert_saves(f)


def _insert_saves(f: riscv_func.FuncOp) -> None:
    used: list[IntRegisterType | FloatRegisterType] = []

    def note(t) -> None:
        if (t in Registers.S or t in Registers.FS) and t not in used:
            used.append(t)

    for inner in f.walk():
        # loop-carried values (block arguments of loop bodies) are written too
        for region in inner.regions:
            for block in region.blocks:
                if inner is not f:
                    for arg in block.args:
                        note(arg.type)
        if isinstance(inner, rv32.GetRegisterOp | riscv.GetFloatRegisterOp):
            continue
        for res in inner.results:
            note(res.type)
    if not used:
        return
    size = -(-4 * len(used) // 16) * 16  # the ABI keeps sp 16-byte aligned
    builder = Builder(InsertPoint.at_start(f.body.blocks[0]))
    sp = builder.insert(rv32.GetRegisterOp(Registers.SP))
    builder.insert(riscv.AddiOp(sp, -size, rd=Registers.SP))
    for i, reg in enumerate(used):
        if isinstance(reg, IntRegisterType):
            value = builder.insert(rv32.GetRegisterOp(reg))
            builder.insert(riscv.SwOp(sp, value, 4 * i))
        else:
            value = builder.insert(riscv.GetFloatRegisterOp(reg))
            builder.insert(riscv.FSwOp(sp, value, 4 * i))
    for block in f.body.blocks:
        ret = block.last_op
        if not isinstance(ret, riscv_func.ReturnOp):
            continue
        builder = Builder(InsertPoint.before(ret))
        for i, reg in enumerate(used):
            if isinstance(reg, IntRegisterType):
                builder.insert(riscv.LwOp(sp, 4 * i, rd=reg))
            else:
                builder.insert(riscv.FLwOp(sp, 4 * i, rd=reg))
        builder.insert(riscv.AddiOp(sp, size, rd=Registers.SP))
