"""Assembling and linking cluster programs with Debian's riscv64-unknown-elf-gcc."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

RUNTIME_DIR = Path(__file__).resolve().parent
INCLUDE_DIR = RUNTIME_DIR / "include"
CRT0 = RUNTIME_DIR / "crt0.S"
# runtime routines linked into every program (the tile driver of compiled steps)
RUNTIME_LIB = sorted((RUNTIME_DIR / "lib").glob("*.c"))
LINKER_SCRIPT = RUNTIME_DIR / "link.ld"
MARCH = "rv32imf_zicsr"
MABI = "ilp32f"
GCC = "riscv64-unknown-elf-gcc"


class ToolchainError(RuntimeError):
    """The compiler, assembler or linker rejected a program."""


def gcc_path() -> str:
    path = shutil.which(GCC)
    if path is None:
        raise ToolchainError(f"{GCC} not found (Debian package gcc-riscv64-unknown-elf)")
    return path


def assemble_and_link(
    sources: Sequence[str | Path],
    output: str | Path | None = None,
    *,
    opt: str = "-O2",
    extra_flags: Sequence[str] = (),
) -> Path:
    """Compile/assemble `sources` (.c, .S, .s) with crt0 and the cluster linker script.

    Returns the path of the ELF. Without `output`, the ELF is written to a fresh
    temporary directory that is left for the caller (or the OS) to clean up.
    """
    if output is None:
        digest = hashlib.sha256("".join(str(s) for s in sources).encode()).hexdigest()[:8]
        output = Path(tempfile.mkdtemp(prefix="tdrt-")) / f"prog-{digest}.elf"
    output = Path(output)
    cmd = [
        gcc_path(), f"-march={MARCH}", f"-mabi={MABI}", "-mcmodel=medany",
        "-nostdlib", "-nostartfiles", "-ffreestanding", "-static", opt, "-g",
        f"-I{INCLUDE_DIR}", f"-T{LINKER_SCRIPT}", "-Wl,--no-warn-rwx-segments",
        str(CRT0), *[str(s) for s in RUNTIME_LIB], *[str(s) for s in sources], *extra_flags, "-o", str(output), "-lgcc",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ToolchainError(f"building {output.name} failed:\n{proc.stderr.strip()}")
    return output
