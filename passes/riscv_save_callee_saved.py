"""`riscv-save-callee-saved`: the prologue and epilogue that save and
restore the callee-saved registers a kernel writes
(`riscv-allocate-registers-full` hands them out), for rv32f: `sw` / `fsw`
into 4-byte slots (xDSL's own pass stores floats with `fsd`, which needs the
D extension). The entry function is left alone (it saves what it uses).
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.builder import Builder, InsertPoint
from xdsl.context import Context
from xdsl.dialects import riscv, riscv_func, rv32
from xdsl.dialects.builtin import ModuleOp
from xdsl.dialects.riscv import FloatRegisterType, IntRegisterType, Registers
from xdsl.passes import ModulePass

from tdopt.dialects.cluster import is_entry


@dataclass(frozen=True)
class RiscvSaveCalleeSavedPass(ModulePass):
    """Save and restore the callee-saved registers a function writes."""

    name = "riscv-save-callee-saved"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in op.walk():
            if isinstance(f, riscv_func.FuncOp) and f.body.blocks and not is_entry(f):
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
