"""numpy semantics of the activations, elementwise math, max / min and
reduce_max of the `train` dialect and of their `grad` ops.

Two tables keyed by op class: `FORWARD[op](op, x) -> y` and
`DERIVATIVE[grad op](op, v) -> f'`, where v is the forward input x, or the
forward output y for the `grad.*` ops built on `OutputGradOp` (sigmoid,
tanh); the gradient is dy * f'. Like `kernels.py`, everything computes in
the dtype of its inputs. `ElementwiseFunctions` serves both tables (and the
binary and reduction ops) to the reference interpreter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from xdsl.interpreter import InterpreterFunctions, impl, register_impls
from xdsl.ir import Operation

from tdopt.dialects import grad, train
from tdopt.interpreter.kernels import erf

Unary = Callable[[Any, np.ndarray], np.ndarray]


def _c(value: float | None, like: np.ndarray) -> np.ndarray:
    """A scalar constant in `like`'s dtype (parameters are rounded to it,
    as the generated code does)."""
    return np.asarray(value, dtype=like.dtype)


def sigmoid(x: np.ndarray) -> np.ndarray:
    # exp of -|x| only: no overflow for large |x|
    e = np.exp(-np.abs(x))
    one = _c(1.0, x)
    return np.where(x >= 0, one / (one + e), e / (one + e)).astype(x.dtype)


def hardsigmoid(x: np.ndarray, alpha: float, beta: float) -> np.ndarray:
    return np.clip(_c(alpha, x) * x + _c(beta, x), _c(0.0, x), _c(1.0, x))


def clip(x: np.ndarray, lo: float | None, hi: float | None) -> np.ndarray:
    y = x if lo is None else np.maximum(x, _c(lo, x))
    return y if hi is None else np.minimum(y, _c(hi, x))


def softplus(x: np.ndarray) -> np.ndarray:
    return (np.maximum(x, _c(0.0, x)) + np.log1p(np.exp(-np.abs(x)))).astype(x.dtype)


def swish(x: np.ndarray, alpha: float) -> np.ndarray:
    return x * sigmoid(_c(alpha, x) * x)


FORWARD: dict[type[Operation], Unary] = {
    train.SigmoidOp: lambda op, x: sigmoid(x),
    train.TanhOp: lambda op, x: np.tanh(x),
    train.HardSigmoidOp: lambda op, x: hardsigmoid(x, op.param("alpha"), op.param("beta")),
    train.HardSwishOp: lambda op, x: x * hardsigmoid(x, 1.0 / 6.0, 0.5),
    train.LeakyReluOp: lambda op, x: np.where(x > 0, x, _c(op.param("alpha"), x) * x),
    train.ClipOp: lambda op, x: clip(x, op.param("min"), op.param("max")),
    train.ExpOp: lambda op, x: np.exp(x),
    train.LogOp: lambda op, x: np.log(x),
    train.NegOp: lambda op, x: np.negative(x),
    train.ErfOp: lambda op, x: erf(x),
    train.CeilOp: lambda op, x: np.ceil(x),
    train.FloorOp: lambda op, x: np.floor(x),
    train.SwishOp: lambda op, x: swish(x, op.param("alpha")),
    train.SoftplusOp: lambda op, x: softplus(x),
}


def _hardsigmoid_slope(op: Any, x: np.ndarray) -> np.ndarray:
    t = _c(op.param("alpha"), x) * x + _c(op.param("beta"), x)
    return np.where((t > 0) & (t < 1), _c(op.param("alpha"), x), _c(0.0, x))


def _hardswish_slope(op: Any, x: np.ndarray) -> np.ndarray:
    inner = x / _c(3.0, x) + _c(0.5, x)
    return np.where(x <= -3, _c(0.0, x), np.where(x < 3, inner, _c(1.0, x)))


def _clip_mask(op: Any, x: np.ndarray) -> np.ndarray:
    lo, hi = op.param("min"), op.param("max")
    inside = np.ones(x.shape, dtype=bool)
    if lo is not None:
        inside &= x >= lo
    if hi is not None:
        inside &= x <= hi
    return inside.astype(x.dtype)


def _swish_slope(op: Any, x: np.ndarray) -> np.ndarray:
    ax = _c(op.param("alpha"), x) * x
    s = sigmoid(ax)
    return s + ax * s * (_c(1.0, x) - s)


DERIVATIVE: dict[type[Operation], Unary] = {
    grad.SigmoidGradOp: lambda op, y: y * (_c(1.0, y) - y),
    grad.TanhGradOp: lambda op, y: _c(1.0, y) - y * y,
    grad.HardSigmoidGradOp: _hardsigmoid_slope,
    grad.HardSwishGradOp: _hardswish_slope,
    grad.LeakyReluGradOp: lambda op, x: np.where(x > 0, _c(1.0, x), _c(op.param("alpha"), x)),
    grad.ClipGradOp: _clip_mask,
    grad.ErfGradOp: lambda op, x: _c(2.0 / math.sqrt(math.pi), x) * np.exp(-x * x),
    grad.SwishGradOp: _swish_slope,
    grad.SoftplusGradOp: lambda op, x: sigmoid(x),
}


def selected_share(a: np.ndarray, b: np.ndarray, dy: np.ndarray, kind: str) -> np.ndarray:
    """lhs's share of dy for max (kind "max") or min: dy where a wins, dy/2
    on ties, else 0 (torch.maximum / torch.minimum)."""
    wins = a > b if kind == "max" else a < b
    half = dy * _c(0.5, dy)
    return np.where(wins, dy, np.where(a == b, half, _c(0.0, dy))).astype(dy.dtype)


def reduce_max(x: np.ndarray, axes: Sequence[int], keepdims: bool) -> np.ndarray:
    return np.asarray(np.max(x, axis=tuple(axes), keepdims=keepdims), dtype=x.dtype)


def reduce_max_grad(
    x: np.ndarray, y: np.ndarray, dy: np.ndarray, axes: Sequence[int]
) -> np.ndarray:
    """dy split evenly among the maxima (torch.amax)."""
    kept = [1 if i in axes else n for i, n in enumerate(x.shape)]
    hit = (x == y.reshape(kept)).astype(x.dtype)
    count = hit.sum(axis=tuple(axes), keepdims=True)
    return (hit * (dy.reshape(kept) / count)).astype(x.dtype)


def _forward(fn: Unary):
    def run(self, interp, op, args):
        return (np.asarray(fn(op, args[0]), dtype=args[0].dtype),)

    return run


def _gradient(fn: Unary):
    def run(self, interp, op, args):
        v, dy = args
        return ((dy * fn(op, v)).astype(dy.dtype),)

    return run


class _Tables(InterpreterFunctions):
    @impl(train.MaxOp)
    def run_max(self, interp, op, args):
        return (np.maximum(*args),)

    @impl(train.MinOp)
    def run_min(self, interp, op, args):
        return (np.minimum(*args),)

    @impl(train.ReduceMaxOp)
    def run_reduce_max(self, interp, op: train.ReduceMaxOp, args):
        axes = train.ReduceMaxOp.reduced_axes(op.properties, args[0].ndim)
        return (reduce_max(args[0], axes, op.keepdims is not None),)

    @impl(grad.MaxLhsGradOp)
    def run_max_lhs(self, interp, op, args):
        return (selected_share(*args, "max"),)

    @impl(grad.MinLhsGradOp)
    def run_min_lhs(self, interp, op, args):
        return (selected_share(*args, "min"),)

    @impl(grad.ReduceMaxGradOp)
    def run_reduce_max_grad(self, interp, op: grad.ReduceMaxGradOp, args):
        axes = train.ReduceMaxOp.reduced_axes(op.properties, args[0].ndim)
        return (reduce_max_grad(*args, axes),)


# -- Pow with a tensor exponent (numpy's real semantics; torch.pow's backward)


def pow_tensor(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """np.power: NaN for a negative base with a non-integer exponent."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        return np.power(a, b)


def pow_tensor_base_grad(a: np.ndarray, b: np.ndarray, dy: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        d = dy * b * pow_tensor(a, b - _c(1.0, b))
    return np.where(b == 0, _c(0.0, dy), d).astype(dy.dtype)


def pow_tensor_exponent_grad(a: np.ndarray, b: np.ndarray, dy: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        d = dy * pow_tensor(a, b) * np.log(a)
    return np.where((a == 0) & (b >= 0), _c(0.0, dy), d).astype(dy.dtype)


class _PowTensor(InterpreterFunctions):
    @impl(train.PowTensorOp)
    def run_pow_tensor(self, interp, op, args):
        return (pow_tensor(*args),)

    @impl(grad.PowTensorBaseGradOp)
    def run_pow_tensor_base(self, interp, op, args):
        return (pow_tensor_base_grad(*args),)

    @impl(grad.PowTensorExponentGradOp)
    def run_pow_tensor_exponent(self, interp, op, args):
        return (pow_tensor_exponent_grad(*args),)


# one `@impl` per table entry, generated
ElementwiseFunctions = register_impls(
    type(
        "ElementwiseFunctions",
        (_Tables, _PowTensor),
        {
            **{f"run_{c.__name__}": impl(c)(_forward(f)) for c, f in FORWARD.items()},
            **{f"run_{c.__name__}": impl(c)(_gradient(f)) for c, f in DERIVATIVE.items()},
        },
    )
)
