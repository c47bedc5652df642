"""The linear layers of a training step in the train dialect: a
`train.matmul` whose right operand is a parameter W [.., in, out] (leading
dimensions of size 1), or a `train.gemm` whose B operand is a parameter
(W [in, out], or [out, in] with `trans_b`). `train-lora` puts adapters on
them and `train-lora-merge` folds the adapters back."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import func
from xdsl.dialects.builtin import TensorType
from xdsl.ir import Operation, SSAValue

from tdopt.dialects import train


def _shape(v: SSAValue) -> tuple[int, ...]:
    assert isinstance(v.type, TensorType)
    return tuple(v.type.get_shape())


@dataclass
class Linear:
    """An eligible linear layer: `op` multiplies its input by parameter `weight`."""

    op: train.GemmOp | train.MatMulOp
    weight: train.ParamOp
    fan_in: int
    fan_out: int


def linear(op: Operation) -> Linear | None:
    if isinstance(op, train.GemmOp):
        w = op.b.owner
        if isinstance(w, train.ParamOp):
            k, n = _shape(op.b)
            fan_in, fan_out = (n, k) if op.trans_b is not None else (k, n)
            return Linear(op, w, fan_in, fan_out)
    if isinstance(op, train.MatMulOp):
        w = op.rhs.owner
        shape = _shape(op.rhs)
        if isinstance(w, train.ParamOp) and len(shape) >= 2 and all(d == 1 for d in shape[:-2]):
            return Linear(op, w, shape[-2], shape[-1])
    return None


def linears(f: func.FuncOp) -> list[Linear]:
    return [lin for op in f.walk() if (lin := linear(op)) is not None]
