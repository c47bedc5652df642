"""Execute scalar f32/i32 `arith`/`math` IR over numpy arrays, op by op.

xDSL's interpreter computes f32 arithmetic in Python (double) floats and has
no `arith.bitcast`/`sitofp`/`divf`; this evaluator runs each op of a
`func.func` vectorised in float32 / int32 with IEEE round-to-nearest, i.e.
what the generated code does on an rv32f core (before fusing multiply-adds).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from xdsl.dialects import arith, func, math
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, IntegerType
from xdsl.ir import SSAValue

F32 = np.float32
I32 = np.int32


def _shl(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a.astype(np.uint32) << b.astype(np.uint32)).astype(np.uint32).view(I32)


def _shru(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a.view(np.uint32) >> b.astype(np.uint32)).view(I32)


def _cmpf(predicate: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    unordered = np.isnan(a) | np.isnan(b)
    ordered_results = {
        1: a == b, 2: a > b, 3: a >= b, 4: a < b, 5: a <= b, 6: (a != b) & ~unordered,
    }
    if predicate == 0:
        return np.zeros(a.shape, bool)
    if predicate == 15:
        return np.ones(a.shape, bool)
    if predicate == 7:
        return ~unordered
    if predicate == 14:
        return unordered
    if predicate in ordered_results:
        return ordered_results[predicate] & ~unordered
    # 8..13: ueq, ugt, uge, ult, ule, une
    base = {8: a == b, 9: a > b, 10: a >= b, 11: a < b, 12: a <= b, 13: a != b}[predicate]
    return base | unordered


_BINARY: dict[type, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    arith.AddfOp: np.add,
    arith.SubfOp: np.subtract,
    arith.MulfOp: np.multiply,
    arith.DivfOp: np.divide,
    arith.MaximumfOp: np.maximum,
    arith.MinimumfOp: np.minimum,
    arith.AddiOp: np.add,
    arith.SubiOp: np.subtract,
    arith.MuliOp: np.multiply,
    arith.AndIOp: np.bitwise_and,
    arith.OrIOp: np.bitwise_or,
    arith.XOrIOp: np.bitwise_xor,
    arith.ShLIOp: _shl,
    arith.ShRSIOp: lambda a, b: a >> b,
    arith.ShRUIOp: _shru,
    math.CopySignOp: np.copysign,
}


def _constant(op: arith.ConstantOp, shape: tuple[int, ...]) -> np.ndarray:
    value = op.value
    if isinstance(value, FloatAttr):
        return np.full(shape, value.value.data, F32)
    assert isinstance(value, IntegerAttr)
    if isinstance(value.type, IntegerType) and value.type.width.data == 1:
        return np.full(shape, bool(value.value.data))
    return np.full(shape, value.value.data, np.int64).astype(I32)


def evaluate(function: func.FuncOp, *args: np.ndarray) -> list[np.ndarray]:
    """The results of `function` applied elementwise to float32 arrays."""
    shape = np.broadcast(*args).shape
    env: dict[SSAValue, np.ndarray] = {
        a: np.broadcast_to(np.asarray(v), shape) for a, v in zip(function.args, args)
    }
    with np.errstate(all="ignore"):
        for op in function.body.ops:
            if isinstance(op, func.ReturnOp):
                return [env[v] for v in op.arguments]
            ins = [env[v] for v in op.operands]
            match op:
                case arith.ConstantOp():
                    out = _constant(op, shape)
                case arith.CmpfOp():
                    out = _cmpf(op.predicate.value.data, *ins)
                case arith.SelectOp():
                    out = np.where(ins[0], ins[1], ins[2])
                case arith.BitcastOp():
                    out = ins[0].view(F32 if ins[0].dtype == I32 else I32)
                case arith.SIToFPOp():
                    out = ins[0].astype(F32)
                case arith.FPToSIOp():
                    out = np.trunc(ins[0]).astype(I32)
                case arith.NegfOp():
                    out = -ins[0]
                case math.AbsFOp():
                    out = np.abs(ins[0])
                case math.SqrtOp():
                    out = np.sqrt(ins[0])
                case _ if type(op) in _BINARY:
                    out = _BINARY[type(op)](*ins)
                case _:
                    raise NotImplementedError(f"f32_eval: no semantics for {op.name}")
            # keep every value in its 32-bit type (numpy may promote)
            if out.dtype.kind == "f":
                out = out.astype(F32)
            elif out.dtype.kind in "iu":
                out = out.astype(np.int64).astype(I32) if out.dtype != I32 else out
            env[op.results[0]] = out
    raise ValueError("function without func.return")
