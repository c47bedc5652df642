"""Converters of activations, elementwise math, Max / Min and ReduceMax.

PyTorch's exports need nothing special: nn.SiLU is `x * Sigmoid(x)`,
nn.Hardsigmoid is HardSigmoid with alpha = 1/6, nn.Hardswish is HardSwish
(opset >= 14) or `x * HardSigmoid(x)`, nn.ReLU6 is Clip(0, 6)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from onnx import NodeProto
from xdsl.dialects.builtin import FloatAttr, f32, f64

from tdopt.dialects import train
from tdopt.frontend.onnx.context import Context, attributes, present
from tdopt.frontend.onnx.errors import Unsupported
from tdopt.frontend.onnx.ops import Converter, Result, _reduce, converts


def _float(value: float, dtype: np.dtype | None = None) -> FloatAttr:
    return FloatAttr(float(value), f64 if dtype == np.float64 else f32)


def _unary(cls: type[train.TrainOp], **defaults: float) -> Converter:
    """A one-input op whose float attributes (with ONNX's defaults) become
    properties of the same names."""

    def convert(cx: Context, node: NodeProto) -> Sequence[Result]:
        a = attributes(node)
        unknown = set(a) - set(defaults)
        if unknown:
            raise Unsupported(f"attribute {', '.join(sorted(unknown))} (accepted: {', '.join(defaults) or 'none'})")
        props = {k: _float(a[k]) for k in defaults if k in a}  # type: ignore[arg-type]
        return [cx.emit(cls.make([cx.value(node.input[0])], **props))]

    return convert


for _name, _cls in (
    ("Sigmoid", train.SigmoidOp),
    ("Tanh", train.TanhOp),
    ("HardSwish", train.HardSwishOp),
    ("Exp", train.ExpOp),
    ("Log", train.LogOp),
    ("Neg", train.NegOp),
    ("Erf", train.ErfOp),
    ("Ceil", train.CeilOp),
    ("Floor", train.FloorOp),
    ("Softplus", train.SoftplusOp),
):
    converts(_name)(_unary(_cls))

converts("HardSigmoid")(_unary(train.HardSigmoidOp, alpha=0.2, beta=0.5))
converts("LeakyRelu")(_unary(train.LeakyReluOp, alpha=0.01))
converts("Swish")(_unary(train.SwishOp, alpha=1.0))


def _bound(cx: Context, node: NodeProto, index: int, what: str) -> FloatAttr | None:
    """Clip's min (1) or max (2): an optional constant input from opset 11,
    an optional attribute before."""
    if cx.opset < 11:
        a = attributes(node)
        return _float(a[what]) if what in a else None  # type: ignore[arg-type]
    if not present(node, index):
        return None
    v = cx.const(node.input[index], f"Clip's {what}")
    if v.size != 1:
        raise Unsupported(f"Clip's {what} has shape {list(v.shape)} (only a scalar)")
    if not np.issubdtype(v.dtype, np.floating):
        raise Unsupported(f"Clip's {what} has dtype {v.dtype} (only float tensors are clipped)")
    return _float(v.reshape(-1)[0], v.dtype)


@converts("Clip")
def clip(cx: Context, node: NodeProto) -> Sequence[Result]:
    props = {"min": _bound(cx, node, 1, "min"), "max": _bound(cx, node, 2, "max")}
    return [cx.emit(train.ClipOp.make([cx.value(node.input[0])], **props))]


def _variadic(cls: type[train.BinaryOp]) -> Converter:
    """ONNX Max / Min take any number of inputs: folded left to right."""

    def convert(cx: Context, node: NodeProto) -> Sequence[Result]:
        xs = [cx.value(n) for n in node.input if n]
        if not xs:
            raise Unsupported("no inputs")
        y = xs[0]
        for x in xs[1:]:
            y = cx.emit(cls.make([y, x]))
        return [y]

    return convert


converts("Max")(_variadic(train.MaxOp))
converts("Min")(_variadic(train.MinOp))
converts("ReduceMax")(_reduce(train.ReduceMaxOp))
