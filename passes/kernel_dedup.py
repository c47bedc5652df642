"""`kernel-dedup`: kernel functions that are structurally identical (same
argument types, attributes and body: the same loop nest on the same shapes
and layouts) are kept once, and every call and tiled call of a copy calls
the first one instead.

A model repeats its layers (the two encoder blocks of a CCT, the stages of
a ResNet), and the gradient of a layer often has the shape of another's, so
the linalg level holds many copies of one kernel; each would otherwise go
through the whole RISC-V lowering and land in the program text again.
Runs at the linalg level, after `plan-memory` and `tier-tile-l1` (whose tile
kernels are deduplicated too) and before `cluster-mark-parallel`; the kept
kernel keeps its own location (a diagnostic about the shared code names
the first op it was lowered from).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr, SymbolRefAttr
from xdsl.passes import ModulePass
from xdsl.printer import Printer

from tdopt.dialects.tier import TiledCallOp
from tdopt.dialects.cluster import KERNEL


def structure_key(f: func.FuncOp) -> str:
    """The function as text with its name left out: equal keys, same code."""
    name = f.sym_name
    f.sym_name = StringAttr("k")
    try:
        stream = io.StringIO()
        Printer(stream=stream).print_op(f)
    finally:
        f.sym_name = name
    return stream.getvalue()


@dataclass(frozen=True)
class KernelDedupPass(ModulePass):
    """Structurally identical kernel functions -> one, shared by their calls."""

    name = "kernel-dedup"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        first: dict[str, str] = {}
        renamed: dict[str, str] = {}
        for f in [o for o in op.ops if isinstance(o, func.FuncOp) and KERNEL in o.attributes]:
            key = structure_key(f)
            kept = first.setdefault(key, f.sym_name.data)
            if kept != f.sym_name.data:
                renamed[f.sym_name.data] = kept
                f.detach()
                f.erase()
        if not renamed:
            return
        for call in op.walk():
            if isinstance(call, (func.CallOp, TiledCallOp)):
                callee = call.callee.string_value()
                if callee in renamed:
                    call.properties["callee"] = SymbolRefAttr(renamed[callee])
            if isinstance(call, TiledCallOp):
                for prop in ("first_callee", "epilogue_callee"):
                    ref = call.properties.get(prop)
                    if isinstance(ref, SymbolRefAttr) and ref.string_value() in renamed:
                        call.properties[prop] = SymbolRefAttr(renamed[ref.string_value()])
