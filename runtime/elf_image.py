"""Reading cluster ELF files: loadable segments, symbols and the entry point."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile


@dataclass(frozen=True)
class Symbol:
    name: str
    addr: int
    size: int


@dataclass(frozen=True)
class ElfImage:
    entry: int
    segments: list[tuple[int, bytes]]  # (address, file bytes) of every PT_LOAD segment
    symbols: dict[str, Symbol]

    def symbol(self, name: str) -> Symbol:
        try:
            return self.symbols[name]
        except KeyError:
            raise KeyError(f"symbol {name!r} is not defined in the program") from None


def read_elf(path: str | Path) -> ElfImage:
    """Load segments and symbols of a 32-bit RISC-V ELF."""
    with open(path, "rb") as f:
        try:
            elf = ELFFile(f)
        except ELFError as e:
            raise ValueError(f"{path}: not an ELF file ({e})") from None
        if elf["e_machine"] != "EM_RISCV" or elf.elfclass != 32:
            raise ValueError(f"{path}: not a 32-bit RISC-V ELF")
        segments = [
            (seg["p_paddr"], seg.data())
            for seg in elf.iter_segments()
            if seg["p_type"] == "PT_LOAD" and seg["p_filesz"] > 0
        ]
        symbols: dict[str, Symbol] = {}
        symtab = elf.get_section_by_name(".symtab")
        if symtab is not None:
            for sym in symtab.iter_symbols():
                if sym.name and sym["st_info"]["type"] in ("STT_OBJECT", "STT_FUNC", "STT_NOTYPE"):
                    # Prefer sized definitions (objects) over labels of the same name.
                    old = symbols.get(sym.name)
                    if old is None or (old.size == 0 and sym["st_size"] > 0):
                        symbols[sym.name] = Symbol(sym.name, sym["st_value"], sym["st_size"])
        return ElfImage(elf["e_entry"], segments, symbols)
