"""Downstream fixes of xDSL 0.74 bugs that tdopt's pipelines hit.

xDSL's riscv canonicalization folds constants into 12-bit immediates without
checking their range (`add x, 2048` becomes `addi x, 2048`, `lw` offsets are
summed past 2047), and the IR then fails to verify. Large strides and
offsets are common in real tensors, so tdopt guards those patterns: a fold
whose immediate would not fit is skipped (the constant stays in a register).
`apply()` is idempotent and called by tdopt's drivers and pipelines.
"""

from __future__ import annotations

from xdsl.dialects import riscv
from xdsl.dialects.builtin import IntegerAttr
from xdsl.ir import OpResult, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.transforms.canonicalization_patterns import riscv as patterns
from xdsl.transforms.canonicalization_patterns.riscv import get_constant_value

_applied = False


def fits_si12(value: int) -> bool:
    return -2048 <= value < 2048


def _const(v: SSAValue) -> int | None:
    c = get_constant_value(v)
    return None if c is None else c.value.data


def _addi_offset(v: SSAValue) -> int | None:
    if isinstance(v, OpResult) and isinstance(v.op, riscv.AddiOp):
        imm = v.op.immediate
        if isinstance(imm, IntegerAttr):
            return imm.value.data
    return None


def _guard(cls: type, ok) -> None:
    original = cls.match_and_rewrite

    def match_and_rewrite(self, op, rewriter: PatternRewriter) -> None:
        if ok(op):
            original(self, op, rewriter)

    cls.match_and_rewrite = match_and_rewrite


def _add_ok(op: riscv.AddOp) -> bool:
    lhs, rhs = _const(op.rs1), _const(op.rs2)
    if lhs is not None and rhs is not None:
        return True  # folds to `li`, any 32-bit value
    imm = lhs if lhs is not None else rhs
    return imm is None or fits_si12(imm)


def _sub_ok(op: riscv.SubOp) -> bool:
    lhs, rhs = _const(op.rs1), _const(op.rs2)
    if lhs is not None and rhs is not None:
        return True
    return rhs is None or fits_si12(-rhs)


def _mem_ok(op) -> bool:
    base = _addi_offset(op.rs1)
    imm = op.immediate
    if base is None or not isinstance(imm, IntegerAttr):
        return True
    return fits_si12(base + imm.value.data)


def apply() -> None:
    global _applied
    if _applied:
        return
    _applied = True
    _guard(patterns.AddImmediates, _add_ok)
    _guard(patterns.SubImmediates, _sub_ok)
    for name in (
        "LoadWordWithKnownOffset",
        "StoreWordWithKnownOffset",
        "LoadFloatWordWithKnownOffset",
        "StoreFloatWordWithKnownOffset",
        "LoadDoubleWithKnownOffset",
        "StoreDoubleWithKnownOffset",
    ):
        _guard(getattr(patterns, name), _mem_ok)
