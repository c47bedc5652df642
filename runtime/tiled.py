"""The layout of a tiled call's descriptor for Python code, read from
runtime/include/tdrt_tiled.h: that header stays the single source of the
struct's field order and of its flag and mode values for the C driver
(runtime/lib/tdrt_tiled.c) and the compiler (`convert-cluster-to-riscv`
writes `cluster.tiled_descriptor` ops as the struct's words).

    from tdopt.runtime.tiled import TILED
    TILED.call_fields      # (("kernel", 1), ("first_kernel", 1), ..., ("operand", 8))
    TILED.defines["TDRT_TILED_PARALLEL"]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

HEADER = Path(__file__).parent / "include" / "tdrt_tiled.h"

_DEFINE = re.compile(r"^\s*#define\s+(TDRT_\w+)\s+(0[xX][0-9a-fA-F]+|\d+)u?\b", re.MULTILINE)
_STRUCT = re.compile(r"struct\s+(\w+)\s*\{(.*?)\};", re.DOTALL)
# `uint32_t name;`, `uint32_t name[3];` or `struct x name[N];` (N a define)
_FIELD = re.compile(r"^\s*(uint32_t|struct\s+\w+)\s+(\w+)\s*(?:\[(\w+)\])?\s*;", re.MULTILINE)


@dataclass(frozen=True)
class TiledLayout:
    """The descriptor structs' fields in order, as (name, element count), and
    the header's numeric `TDRT_*` defines."""

    call_fields: tuple[tuple[str, int], ...]
    operand_fields: tuple[tuple[str, int], ...]
    defines: dict[str, int]


def _fields(body: str, defines: dict[str, int], header: Path) -> tuple[tuple[str, int], ...]:
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.DOTALL)
    fields = []
    for _, name, count in _FIELD.findall(body):
        n = 1 if not count else int(count) if count.isdigit() else defines.get(count)
        if n is None:
            raise RuntimeError(f"{header}: field {name}[{count}]: {count} is not a number nor a define")
        fields.append((name, n))
    return tuple(fields)


def read_tiled(header: Path = HEADER) -> TiledLayout:
    """The layout `header` declares (struct tdrt_tiled_call and its operands)."""
    text = header.read_text()
    defines = {name: int(value, 0) for name, value in _DEFINE.findall(text)}
    structs = {name: body for name, body in _STRUCT.findall(text)}
    for wanted in ("tdrt_tiled_call", "tdrt_tiled_operand"):
        if wanted not in structs:
            raise RuntimeError(f"{header}: no struct {wanted}")
    return TiledLayout(
        _fields(structs["tdrt_tiled_call"], defines, header),
        _fields(structs["tdrt_tiled_operand"], defines, header),
        defines,
    )


TILED: TiledLayout = read_tiled()
