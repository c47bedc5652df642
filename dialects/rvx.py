"""`rvx`: RISC-V instructions the project needs that xDSL 0.74's `riscv`
dialect lacks. They print as plain assembly through xDSL's riscv-asm target."""

from __future__ import annotations

from xdsl.dialects.builtin import I32, StringAttr
from xdsl.dialects.riscv.abstract_ops import LiOperation, RISCVAsmOperation
from xdsl.ir import Dialect
from xdsl.irdl import irdl_op_definition, prop_def


@irdl_op_definition
class LaOp(LiOperation[I32]):
    """`la rd, symbol`: the address of a symbol (xDSL lowers memref.get_global
    to `li rd, symbol`, which the GNU assembler rejects)."""

    name = "rvx.la"


@irdl_op_definition
class AsmOp(RISCVAsmOperation):
    """One line of assembly on fixed registers (e.g. a call sequence). It
    declares no memory effects, so it is never folded, moved or removed."""

    name = "rvx.asm"
    line = prop_def(StringAttr)
    assembly_format = "$line attr-dict"

    def __init__(self, line: str):
        super().__init__(properties={"line": StringAttr(line)})

    def assembly_line(self) -> str | None:
        return "    " + self.line.data


Rvx = Dialect("rvx", [LaOp, AsmOp], [])
