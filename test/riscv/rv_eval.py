"""Execute straight-line, unallocated rv32imf `riscv` IR over numpy arrays.

xDSL 0.74's riscv interpreter lacks most single-precision ops, so this runs a
`riscv_func.func` (one block, before register allocation) vectorised: integer
registers as int32 with wrap-around, float registers as float32.  Fused ops
are computed in float64 and rounded once to float32; a*b is exact in float64,
so only a double rounding of the sum can differ from a true fused op.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from xdsl.dialects import riscv, riscv_func, rv32
from xdsl.ir import SSAValue

from tdopt.lowering.arith_extra_to_riscv import FCVT_W_S_RTZ

F32 = np.float32
I32 = np.int32
Array = np.ndarray


def _fused(sign_product: int, sign_addend: int) -> Callable[[Array, Array, Array], Array]:
    def run(a: Array, b: Array, c: Array) -> Array:
        product = a.astype(np.float64) * b.astype(np.float64)
        return (sign_product * product + sign_addend * c.astype(np.float64)).astype(F32)

    return run


def _shift_amount(b: Array) -> Array:
    return (b & 31).astype(np.uint32)


_OPS: dict[type, Callable[..., Array]] = {
    # integer
    riscv.AddOp: np.add,
    riscv.SubOp: np.subtract,
    riscv.MulOp: np.multiply,
    riscv.AndOp: np.bitwise_and,
    riscv.OrOp: np.bitwise_or,
    riscv.XorOp: np.bitwise_xor,
    riscv.SllOp: lambda a, b: (a.view(np.uint32) << _shift_amount(b)).view(I32),
    riscv.SrlOp: lambda a, b: (a.view(np.uint32) >> _shift_amount(b)).view(I32),
    riscv.SraOp: lambda a, b: a >> _shift_amount(b).astype(I32),
    riscv.SltOp: lambda a, b: (a < b).astype(I32),
    riscv.SltuOp: lambda a, b: (a.view(np.uint32) < b.view(np.uint32)).astype(I32),
    riscv.MVOp: lambda a: a,
    # float
    riscv.FAddSOp: np.add,
    riscv.FSubSOp: np.subtract,
    riscv.FMulSOp: np.multiply,
    riscv.FDivSOp: np.divide,
    riscv.FSqrtSOp: np.sqrt,
    riscv.FMinSOp: np.fmin,  # IEEE minNum, like the F extension
    riscv.FMaxSOp: np.fmax,
    riscv.FSgnJSOp: np.copysign,
    riscv.FSgnJNSOp: lambda a, b: np.copysign(a, -b),
    riscv.FSgnJXSOp: lambda a, b: np.copysign(a, np.sign(np.copysign(1, a) * np.copysign(1, b))),
    riscv.FMVOp: lambda a: a,
    riscv.FMAddSOp: _fused(1, 1),
    riscv.FMSubSOp: _fused(1, -1),
    riscv.FNMSubSOp: _fused(-1, 1),
    riscv.FNMAddSOp: _fused(-1, -1),
    riscv.FeqSOp: lambda a, b: (a == b).astype(I32),
    riscv.FltSOp: lambda a, b: (a < b).astype(I32),
    riscv.FleSOp: lambda a, b: (a <= b).astype(I32),
    riscv.FMvXWOp: lambda a: a.view(I32),
    riscv.FMvWXOp: lambda a: a.view(F32),
    riscv.FCvtSWOp: lambda a: a.astype(F32),
}


# register-immediate forms: the same function with the immediate as rhs
_IMMEDIATE_OPS: dict[type, Callable[[Array, Array], Array]] = {
    riscv.AddiOp: np.add,
    riscv.AndiOp: np.bitwise_and,
    riscv.OriOp: np.bitwise_or,
    riscv.XoriOp: np.bitwise_xor,
    riscv.SltiOp: _OPS[riscv.SltOp],
    riscv.SltiuOp: _OPS[riscv.SltuOp],
    rv32.SlliOp: _OPS[riscv.SllOp],
    rv32.SrliOp: _OPS[riscv.SrlOp],
    rv32.SraiOp: _OPS[riscv.SraOp],
}


def _fcvt_w_s_rtz(x: Array) -> Array:
    """fcvt.w.s with rm = RTZ: truncate, saturate, NaN -> 2^31 - 1."""
    clipped = np.clip(np.trunc(x.astype(np.float64)), -(2.0**31), 2.0**31 - 1)
    return np.where(np.isnan(x), 2.0**31 - 1, clipped).astype(np.int64).astype(I32)


# riscv.custom_assembly_instruction by instruction text
_CUSTOM = {FCVT_W_S_RTZ: _fcvt_w_s_rtz}


def evaluate(function: riscv_func.FuncOp, *args: Array) -> list[Array]:
    """The results of `function` (float32 arguments) applied elementwise."""
    shape = np.broadcast(*args).shape
    env: dict[SSAValue, Array] = {
        a: np.broadcast_to(np.asarray(v, F32), shape)
        for a, v in zip(function.body.block.args, args)
    }
    with np.errstate(all="ignore"):
        for op in function.body.block.ops:
            match op:
                case riscv_func.ReturnOp():
                    return [env[v] for v in op.values]
                case rv32.LiOp():
                    outs = [np.full(shape, op.immediate.value.data, np.int64).astype(I32)]
                case rv32.GetRegisterOp():
                    assert op.res.type == riscv.Registers.ZERO, op
                    outs = [np.zeros(shape, I32)]
                case riscv.CustomAssemblyInstructionOp():
                    # the custom instruction's operands end with the zero register
                    outs = [_CUSTOM[op.instruction_name.data](env[op.inputs[0]])]
                case _ if type(op) in _IMMEDIATE_OPS:
                    rhs = np.full(shape, op.immediate.value.data, np.int64).astype(I32)
                    outs = [_IMMEDIATE_OPS[type(op)](env[op.rs1], rhs)]
                case riscv.ParallelMovOp():
                    outs = [env[v] for v in op.inputs]
                case _ if type(op) in _OPS:
                    outs = [_OPS[type(op)](*(env[v] for v in op.operands))]
                case _:
                    raise NotImplementedError(f"rv_eval: no semantics for {op.name}")
            for result, out in zip(op.results, outs, strict=True):
                kind = F32 if isinstance(result.type, riscv.FloatRegisterType) else I32
                assert out.dtype == kind, (op.name, out.dtype)
                env[result] = out
    raise ValueError("function without riscv_func.return")
