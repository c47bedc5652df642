"""Immediates of RISC-V instructions, asked by the riscv-level passes and
tdopt's fixes of xDSL's riscv patterns: whether a value fits the signed
12-bit immediate of an I- or S-type instruction, which ops address memory
as `rs1 + immediate`, and an op's integer immediate."""

from __future__ import annotations

from xdsl.dialects import riscv
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import Operation

# loads and stores whose address is rs1 + immediate
MEMORY = (riscv.LwOp, riscv.FLwOp, riscv.SwOp, riscv.FSwOp)


def fits_si12(value: int) -> bool:
    """`value` fits a signed 12-bit immediate."""
    return -2048 <= value < 2048


def immediate(op: Operation) -> int | None:
    """The integer immediate of `op` (None: none, or a label)."""
    imm = op.attributes.get("immediate")
    return imm.value.data if isinstance(imm, IntegerAttr) else None
