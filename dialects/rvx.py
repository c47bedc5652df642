"""`rvx`: RISC-V instructions the project needs that xDSL 0.74's `riscv`
dialect lacks. They print as plain assembly through xDSL's riscv-asm target."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

import numpy as np
from xdsl.backend.assembly_printer import AssemblyPrintable, AssemblyPrinter
from xdsl.dialects.builtin import I32, ArrayAttr, BytesAttr, DenseArrayBase, IntAttr, StringAttr, i32
from xdsl.dialects.riscv import IntRegisterType, LabelOp, Registers
from xdsl.dialects.riscv.abstract_ops import LiOperation, RISCVAsmOperation, RISCVRegallocOperation
from xdsl.ir import Dialect, SSAValue
from xdsl.irdl import IRDLOperation, irdl_op_definition, operand_def, prop_def
from xdsl.utils.exceptions import VerifyException


def symbol_address(symbol: str, offset: int) -> str:
    """The assembler's expression for `offset` bytes past `symbol`."""
    return symbol + (f"+{offset}" if offset else "")


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


@irdl_op_definition
class HardwareLoopSetupOp(RISCVAsmOperation, RISCVRegallocOperation):
    """CORE-V `cv.setup` of hardware loop 0: the instructions from the next
    one up to the label `end` run `count` times. Emitted as a `.word` (the
    Debian binutils know no CORE-V mnemonics, and `.insn` takes no forward
    label) whose 12-bit immediate is `(end - start) / 4`, `start` being the
    label on this instruction; the assembler resolves it (the body has no
    relaxable instructions). So the op must directly follow `riscv.label`
    `start`, and `end` must be another label.

        riscv.label "body_start"
        rvx.hwloop_setup %count, "body_start" to "body_end" : !riscv.reg
    """

    name = "rvx.hwloop_setup"

    count = operand_def(IntRegisterType)
    start = prop_def(StringAttr)  # label names
    end = prop_def(StringAttr)

    assembly_format = "$count `,` $start `to` $end attr-dict `:` type($count)"

    def __init__(self, count: SSAValue, start: str, end: str):
        super().__init__(operands=[count], properties={"start": StringAttr(start), "end": StringAttr(end)})

    def verify_(self) -> None:
        start, end = self.start.data, self.end.data
        if start == end:
            raise VerifyException(f"'{self.name}': start and end label are both \"{start}\" (an empty body)")
        label = self.prev_op
        if not isinstance(label, LabelOp) or label.label.data != start:
            raise VerifyException(f"'{self.name}': must directly follow its start label `riscv.label \"{start}\"`")
        if self.count.type == Registers.ZERO:
            raise VerifyException(f"'{self.name}': the trip count cannot be the zero register")

    def assembly_line(self) -> str | None:
        reg = self.count.type
        assert isinstance(reg, IntRegisterType) and isinstance(reg.index, IntAttr), "allocate first"
        start, end = self.start.data, self.end.data
        # cv.setup L0, rs1, uimm: opcode 0x2b, funct3 4, rd field = 14 (loop 0)
        return (
            f"    .word 0x2b | (4 << 12) | (14 << 7) | ({reg.index.data} << 15)"
            f" | ((({end} - {start}) / 4) << 20)  # cv.setup 0, {reg.register_name.data}, {end}"
        )


@irdl_op_definition
class AssembledOp(IRDLOperation, AssemblyPrintable):
    """A function already printed to assembly (by a worker process of
    `tdopt -j`, which lowers kernel functions apart): the text it printed and
    the sections it switched to, in order, replayed by the riscv-asm target
    exactly as the function would print. `chunks` holds `[kind, value]`
    pairs, kind `section` (a section directive) or `text`."""

    name = "rvx.assembled"
    sym_name = prop_def(StringAttr)
    chunks = prop_def(ArrayAttr[ArrayAttr[StringAttr]])
    assembly_format = "$sym_name $chunks attr-dict"

    def __init__(self, sym_name: str, chunks: Sequence[tuple[str, str]]):
        super().__init__(properties={
            "sym_name": StringAttr(sym_name),
            "chunks": ArrayAttr(ArrayAttr((StringAttr(k), StringAttr(v))) for k, v in chunks),
        })

    def verify_(self) -> None:
        for chunk in self.chunks:
            kind = chunk.data[0].data if len(chunk.data) == 2 else None
            if kind not in ("section", "text"):
                raise VerifyException(
                    f"'{self.name}': each chunk is [\"section\" or \"text\", value], got {chunk}"
                )

    def print_assembly(self, printer: AssemblyPrinter) -> None:
        for chunk in self.chunks:
            kind, value = (a.data for a in chunk.data)
            if kind == "section":
                printer.emit_section(value)
            else:
                printer.print_string(value, indent=0)


@irdl_op_definition
class WordsOp(IRDLOperation, AssemblyPrintable):
    """Initial data as `.word` directives, `PER_LINE` words a line in hex:
    the 32-bit words of a tensor as one dense array. (A `riscv.directive`
    per line made ~18,000 ops for the weights of a CCT2 step, most of the
    time of the pass that emits them.)

        rvx.words [1065353216, 0]
    """

    name = "rvx.words"
    values = prop_def(DenseArrayBase[I32])
    assembly_format = "$values attr-dict"

    PER_LINE: ClassVar[int] = 16

    def __init__(self, words: np.ndarray):
        data = np.ascontiguousarray(words).astype("<u4", copy=False).tobytes()
        super().__init__(properties={"values": DenseArrayBase(i32, BytesAttr(data))})

    def verify_(self) -> None:
        if not self.values.data.data:
            raise VerifyException(f"'{self.name}': no words (an empty tensor has no data directive)")

    def print_assembly(self, printer: AssemblyPrinter) -> None:
        # Python ints format twice as fast as numpy scalars
        words = np.frombuffer(self.values.data.data, "<u4").tolist()
        n = self.PER_LINE
        for i in range(0, len(words), n):
            printer.print_string(".word " + ",".join(f"0x{w:08x}" for w in words[i : i + n]))
            printer.print_string("\n")


Rvx = Dialect("rvx", [LaOp, AsmOp, HardwareLoopSetupOp, AssembledOp, WordsOp], [])
