"""The cluster's memory map and peripheral register offsets for Python code,
read from runtime/include/tdrt_regs.h: that header stays the single source
of these numbers for the C runtime, the testbench and the compiler.

    from tdopt.runtime.regs import REGS
    REGS["TDRT_PERIPH_BASE"] + REGS["TDRT_REG_DMA_START"]
"""

from __future__ import annotations

import re
from pathlib import Path

HEADER = Path(__file__).parent / "include" / "tdrt_regs.h"

# `#define NAME 0x1F` or `#define NAME 16`, optionally followed by a comment
_DEFINE = re.compile(r"^\s*#define\s+(TDRT_\w+)\s+(0[xX][0-9a-fA-F]+|\d+)\b", re.MULTILINE)


def read_regs(header: Path = HEADER) -> dict[str, int]:
    """Every numeric `TDRT_*` #define of `header`, by name."""
    return {name: int(value, 0) for name, value in _DEFINE.findall(header.read_text())}


REGS: dict[str, int] = read_regs()
