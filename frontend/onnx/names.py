"""Turning ONNX tensor names into valid SSA name hints."""

from __future__ import annotations

import re

_INVALID = re.compile(r"[^A-Za-z0-9_$.]")
_SUFFIX = re.compile(r"_(\d+)$")


def ssa_name(onnx_name: str) -> str:
    """A name hint for xDSL (`[A-Za-z_][A-Za-z0-9_$.]*`) close to `onnx_name`."""
    name = _INVALID.sub("_", onnx_name)
    if not name or not (name[0].isalpha() or name[0] == "_"):
        name = "v" + name
    # xDSL drops a `_<digits>` suffix of a name hint (its uniquifier)
    return _SUFFIX.sub(r".\1", name)


def unique_ssa_names(onnx_names: list[str]) -> list[str]:
    """Distinct name hints for function arguments (they are the inputs' keys)."""
    used: set[str] = set()
    out = []
    for n in onnx_names:
        base = cand = ssa_name(n)
        i = 1
        while cand in used:
            cand = f"{base}.{i}"
            i += 1
        used.add(cand)
        out.append(cand)
    return out
