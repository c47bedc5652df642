"""`convert-arith-extra-to-riscv`: the scalar ops xDSL 0.74's
`convert-arith-to-riscv` leaves out, for rv32imf.

| op | rv32imf |
|---|---|
| `arith.bitcast` f32 <-> i32 | `fmv.x.w` / `fmv.w.x` |
| `arith.select` (i32/index/i1 or f32 operands) | branch-free mask: `andi`, `sub`, `xor`, `and`, `xor` (f32 through `fmv.x.w`/`fmv.w.x`); against a zero constant (a ReLU's gradient) `sub` (or `addi -1`), `and`, no `andi` after a compare |
| `arith.maxnumf` / `arith.minnumf` f32 | `fmax.s` / `fmin.s` (same NaN rule: the number wins) |
| `math.sqrt` f32 | `fsqrt.s` |
| `math.absf` f32 | `fsgnjx.s x, x` |
| `math.copysign` f32 | `fsgnj.s` |
| `math.fma` f32 | `fmadd.s` |
| `arith.fptosi` f32 -> i32 | `fcvt.w.s rd, rs, rtz` (as `.insn`, see below) |

Run it *before* `convert-arith-to-riscv`: that pass raises on `arith.select`
and lowers `arith.fptosi` to `fcvt.w.s` without a rounding mode, which the
assembler encodes as `dyn` (the `frm` CSR, round-to-nearest after reset), so
2.7 would become 3 instead of 2.  xDSL's riscv dialect has no rounding-mode
operand, so the truncating conversion is emitted as its `.insn r` encoding
(OP-FP 0x53, funct3 = rm = 1 RTZ, funct7 = 0x60, rs2 = 0 for signed word),
which the GNU assembler turns into exactly `fcvt.w.s rd, rs, rtz`.
`arith.divf` needs nothing here (xDSL lowers it to `fdiv.s`).  Select is
branch-free because xDSL's register allocator needs single-block functions;
the condition's low bit (an i1 in an integer register) is negated into an
all-zeros/all-ones mask.
"""

from __future__ import annotations

import math as math_lib
from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, math, riscv, rv32
from xdsl.dialects.builtin import (
    Float32Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    ModuleOp,
    UnrealizedConversionCastOp,
)
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

_INT = riscv.Registers.UNALLOCATED_INT
_FLOAT = riscv.Registers.UNALLOCATED_FLOAT


def _is_f32(attr: Attribute) -> bool:
    return isinstance(attr, Float32Type)


def _is_int32_like(attr: Attribute) -> bool:
    return isinstance(attr, IndexType) or (
        isinstance(attr, IntegerType) and attr.width.data <= 32
    )


def _to_reg(value: SSAValue, reg: Attribute) -> UnrealizedConversionCastOp:
    return UnrealizedConversionCastOp.get((value,), (reg,))


def _replace(
    rewriter: PatternRewriter, op: Operation, new_ops: Sequence[Operation], reg: SSAValue
) -> None:
    """Replace `op` by `new_ops`, the last of which yields `reg`, cast back to the old type."""
    back = _to_reg(reg, op.results[0].type)
    rewriter.replace(op, [*new_ops, back], [back.results[0]])


class LowerBitcast(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: arith.BitcastOp, rewriter: PatternRewriter) -> None:
        src, dst = op.input.type, op.result.type
        if _is_f32(src) and isinstance(dst, IntegerType) and dst.width.data == 32:
            cast = _to_reg(op.input, _FLOAT)
            move = riscv.FMvXWOp(cast.results[0], rd=_INT)
        elif isinstance(src, IntegerType) and src.width.data == 32 and _is_f32(dst):
            cast = _to_reg(op.input, _INT)
            move = riscv.FMvWXOp(cast.results[0], rd=_FLOAT)
        else:
            return
        _replace(rewriter, op, [cast, move], move.rd)


def _mask(cond: SSAValue, when_true: bool, from_compare: bool) -> list[Operation]:
    """All ones when cond is `when_true`, else 0 (the last op's result):
    -bit, or bit - 1 for all ones when cond is false. The bit is `cond & 1`
    because a true i1 is 1 from `cmpf`/`cmpi` but -1 from xDSL's lowering
    of `arith.constant true`; a compare's i1 is already 0 or 1."""
    ops: list[Operation] = []
    bit = cond
    if not from_compare:
        ops.append(riscv.AndiOp(cond, 1, rd=_INT))
        bit = ops[-1].results[0]
    if when_true:
        zero = rv32.GetRegisterOp(riscv.Registers.ZERO)
        return [*ops, zero, riscv.SubOp(zero, bit, rd=_INT)]
    return [*ops, riscv.AddiOp(bit, -1, rd=_INT)]


def _select_bits(cond: SSAValue, a: SSAValue, b: SSAValue) -> list[Operation]:
    """b ^ ((a ^ b) & mask): a when cond is true, b when false."""
    mask = _mask(cond, True, from_compare=False)
    diff = riscv.XorOp(a, b, rd=_INT)
    keep = riscv.AndOp(diff, mask[-1].results[0], rd=_INT)
    return [*mask, diff, keep, riscv.XorOp(b, keep, rd=_INT)]


def _is_zero_bits(v: SSAValue) -> bool:
    """A constant whose bits are all zero (+0.0 or 0)."""
    c = v.owner
    if not isinstance(c, arith.ConstantOp):
        return False
    value = c.value
    if isinstance(value, FloatAttr):
        return value.value.data == 0.0 and math_lib.copysign(1.0, value.value.data) > 0
    return isinstance(value, IntegerAttr) and value.value.data == 0


def _select_zero(cond: SSAValue, keep_when_true: bool, bits: SSAValue, from_compare: bool) -> list[Operation]:
    """`bits` when cond is `keep_when_true`, else 0: `bits & mask`."""
    mask = _mask(cond, keep_when_true, from_compare)
    return [*mask, riscv.AndOp(bits, mask[-1].results[0], rd=_INT)]


class LowerSelect(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: arith.SelectOp, rewriter: PatternRewriter) -> None:
        if not isinstance(op.cond.type, IntegerType):
            return  # vector conditions are not scalar code
        cond = _to_reg(op.cond, _INT)
        result_type = op.result.type
        zero_rhs, zero_lhs = _is_zero_bits(op.rhs), _is_zero_bits(op.lhs)
        if (zero_rhs or zero_lhs) and (_is_int32_like(result_type) or _is_f32(result_type)):
            # a ReLU's gradient: select(x > 0, dy, 0) is dy's bits under a mask
            other = op.lhs if zero_rhs else op.rhs
            reg = _FLOAT if _is_f32(result_type) else _INT
            src = _to_reg(other, reg)
            ops: list[Operation] = [cond, src]
            bits = src.results[0]
            if reg is _FLOAT:
                ops.append(riscv.FMvXWOp(bits, rd=_INT))
                bits = ops[-1].results[0]
            from_compare = isinstance(op.cond.owner, (arith.CmpfOp, arith.CmpiOp))
            ops += _select_zero(cond.results[0], zero_rhs, bits, from_compare)
            if reg is _FLOAT:
                ops.append(riscv.FMvWXOp(ops[-1].results[0], rd=_FLOAT))
            _replace(rewriter, op, ops, ops[-1].results[0])
            return
        if _is_int32_like(result_type):
            lhs, rhs = _to_reg(op.lhs, _INT), _to_reg(op.rhs, _INT)
            ops = _select_bits(cond.results[0], lhs.results[0], rhs.results[0])
            _replace(rewriter, op, [cond, lhs, rhs, *ops], ops[-1].results[0])
        elif _is_f32(result_type):
            lhs, rhs = _to_reg(op.lhs, _FLOAT), _to_reg(op.rhs, _FLOAT)
            lhs_bits = riscv.FMvXWOp(lhs.results[0], rd=_INT)
            rhs_bits = riscv.FMvXWOp(rhs.results[0], rd=_INT)
            ops = _select_bits(cond.results[0], lhs_bits.rd, rhs_bits.rd)
            move = riscv.FMvWXOp(ops[-1].results[0], rd=_FLOAT)
            _replace(rewriter, op, [cond, lhs, rhs, lhs_bits, rhs_bits, *ops, move], move.rd)


@dataclass
class LowerFloatOp(RewritePattern):
    """An f32 op whose operands map one to one onto a single F instruction."""

    source: type[Operation]
    build: type[Operation]

    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if not isinstance(op, self.source) or not _is_f32(op.results[0].type):
            return
        casts = [_to_reg(v, _FLOAT) for v in op.operands]
        new = self.build(*(c.results[0] for c in casts), rd=_FLOAT)
        _replace(rewriter, op, [*casts, new], new.results[0])


class LowerAbsF(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: math.AbsFOp, rewriter: PatternRewriter) -> None:
        if not _is_f32(op.result.type):
            return
        cast = _to_reg(op.operand, _FLOAT)
        # |x|: x with the sign bit of x xor x (= 0)
        new = riscv.FSgnJXSOp(cast.results[0], cast.results[0], rd=_FLOAT)
        _replace(rewriter, op, [cast, new], new.rd)


# `.insn r opcode, funct3, funct7, rd, rs1, rs2` of fcvt.w.s with rm = RTZ
FCVT_W_S_RTZ = ".insn r 0x53, 1, 0x60,"


class LowerFPToSI(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: arith.FPToSIOp, rewriter: PatternRewriter) -> None:
        if not _is_f32(op.input.type) or not _is_int32_like(op.result.type):
            return
        cast = _to_reg(op.input, _FLOAT)
        zero = rv32.GetRegisterOp(riscv.Registers.ZERO)  # rs2 = 0: signed word
        convert = riscv.CustomAssemblyInstructionOp(
            FCVT_W_S_RTZ, (cast.results[0], zero.res), (_INT,), comment="fcvt.w.s rtz"
        )
        _replace(rewriter, op, [cast, zero, convert], convert.results[0])


@dataclass(frozen=True)
class ConvertArithExtraToRiscvPass(ModulePass):
    """Lower f32 bitcast/select/fptosi/maxnumf/minnumf/sqrt/absf/copysign/fma to rv32imf."""

    name = "convert-arith-extra-to-riscv"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        PatternRewriteWalker(
            GreedyRewritePatternApplier(
                [
                    LowerBitcast(),
                    LowerSelect(),
                    LowerAbsF(),
                    LowerFPToSI(),
                    LowerFloatOp(arith.MaxnumfOp, riscv.FMaxSOp),
                    LowerFloatOp(arith.MinnumfOp, riscv.FMinSOp),
                    LowerFloatOp(math.SqrtOp, riscv.FSqrtSOp),
                    LowerFloatOp(math.CopySignOp, riscv.FSgnJSOp),
                    LowerFloatOp(math.FmaOp, riscv.FMAddSOp),
                ]
            ),
            apply_recursively=False,
        ).rewrite_module(op)
