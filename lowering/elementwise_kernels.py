"""Kernels of the activations, elementwise math, max / min and reduce_max
(train ops) and of their gradients (grad ops), like `train_kernels.py` and
`grad_kernels.py`: `lower(kb, op)` with the outputs, then the inputs, as
kernel arguments. `ELEMENTWISE_KERNELS` joins the tables of
`convert-train-to-linalg`.

Two tables of scalar bodies keyed by op class: `FORWARD[op](op)(s, x) -> y`
and `DERIVATIVE[grad op](op)(s, v) -> f'`, v being the forward input (or
output, for sigmoid and tanh); a gradient kernel computes dy * f'(v). The
numpy semantics are `interpreter/elementwise.py`.
"""

from __future__ import annotations

import math as pymath
from collections.abc import Callable
from typing import Any

from xdsl.ir import Operation, SSAValue

from tdopt.dialects import grad, train
from tdopt.lowering.grad_kernels import _accumulate
from tdopt.lowering.kernel_builder import F32_LOWEST, KernelBuilder, Scalar
from tdopt.lowering.train_kernels import Lower, _keep_shape, shape

Body = Callable[[Scalar, SSAValue], SSAValue]


def sigmoid(s: Scalar, x: SSAValue) -> SSAValue:
    # exp(-x) is +inf below x = -88.7: 1 / inf = 0, the right limit
    one = s.const(1.0)
    return s.div(one, s.add(one, s.exp(s.neg(x))))


def hardsigmoid(alpha: float, beta: float) -> Body:
    def body(s: Scalar, x: SSAValue) -> SSAValue:
        t = s.add(s.mul(x, s.const(alpha)), s.const(beta))
        return s.max(s.min(t, s.const(1.0)), s.const(0.0))

    return body


def clip(lo: float | None, hi: float | None) -> Body:
    def body(s: Scalar, x: SSAValue) -> SSAValue:
        y = x if lo is None else s.max(x, s.const(lo))
        return y if hi is None else s.min(y, s.const(hi))

    return body


def softplus(s: Scalar, x: SSAValue) -> SSAValue:
    # max(x, 0) + log(1 + exp(-|x|)): exp never overflows
    e = s.exp(s.min(x, s.neg(x)))
    return s.add(s.max(x, s.const(0.0)), s.log(s.add(e, s.const(1.0))))


def swish(alpha: float) -> Body:
    return lambda s, x: s.mul(x, sigmoid(s, s.mul(x, s.const(alpha))))


def leaky_relu(alpha: float) -> Body:
    return lambda s, x: s.select(s.cmp("ogt", x, s.const(0.0)), x, s.mul(x, s.const(alpha)))


FORWARD: dict[type[Operation], Callable[[Any], Body]] = {
    train.SigmoidOp: lambda op: sigmoid,
    train.TanhOp: lambda op: lambda s, x: s.tanh(x),
    train.HardSigmoidOp: lambda op: hardsigmoid(op.param("alpha"), op.param("beta")),
    train.HardSwishOp: lambda op: lambda s, x: s.mul(x, hardsigmoid(1.0 / 6.0, 0.5)(s, x)),
    train.LeakyReluOp: lambda op: leaky_relu(op.param("alpha")),
    train.ClipOp: lambda op: clip(op.param("min"), op.param("max")),
    train.ExpOp: lambda op: lambda s, x: s.exp(x),
    train.LogOp: lambda op: lambda s, x: s.log(x),
    train.NegOp: lambda op: lambda s, x: s.neg(x),
    train.ErfOp: lambda op: lambda s, x: s.erf(x),
    train.CeilOp: lambda op: lambda s, x: s.ceil(x),
    train.FloorOp: lambda op: lambda s, x: s.floor(x),
    train.SwishOp: lambda op: swish(op.param("alpha")),
    train.SoftplusOp: lambda op: softplus,
}


def _between(s: Scalar, lo: tuple[str, SSAValue] | None, hi: tuple[str, SSAValue] | None,
             x: SSAValue, yes: SSAValue) -> SSAValue:
    """`yes` where x passes both bound tests (predicate, bound), else 0."""
    zero = s.const(0.0)
    out = yes
    for test in (hi, lo):
        if test is not None:
            out = s.select(s.cmp(test[0], x, test[1]), out, zero)
    return out


def hardsigmoid_slope(alpha: float, beta: float) -> Body:
    def body(s: Scalar, x: SSAValue) -> SSAValue:
        t = s.add(s.mul(x, s.const(alpha)), s.const(beta))
        return _between(s, ("ogt", s.const(0.0)), ("olt", s.const(1.0)), t, s.const(alpha))

    return body


def hardswish_slope(s: Scalar, x: SSAValue) -> SSAValue:
    # PyTorch: 0 for x <= -3, x / 3 + 1/2 below 3, 1 from 3 on
    inner = s.add(s.mul(x, s.const(1.0 / 3.0)), s.const(0.5))
    upper = s.select(s.cmp("olt", x, s.const(3.0)), inner, s.const(1.0))
    return s.select(s.cmp("ole", x, s.const(-3.0)), s.const(0.0), upper)


def clip_mask(lo: float | None, hi: float | None) -> Body:
    def body(s: Scalar, x: SSAValue) -> SSAValue:
        low = None if lo is None else ("oge", s.const(lo))
        high = None if hi is None else ("ole", s.const(hi))
        return _between(s, low, high, x, s.const(1.0))

    return body


def swish_slope(alpha: float) -> Body:
    def body(s: Scalar, x: SSAValue) -> SSAValue:
        ax = s.mul(x, s.const(alpha))
        sg = sigmoid(s, ax)
        return s.add(sg, s.mul(s.mul(ax, sg), s.sub(s.const(1.0), sg)))

    return body


def erf_slope(s: Scalar, x: SSAValue) -> SSAValue:
    return s.mul(s.exp(s.neg(s.mul(x, x))), s.const(2.0 / pymath.sqrt(pymath.pi)))


DERIVATIVE: dict[type[Operation], Callable[[Any], Body]] = {
    grad.SigmoidGradOp: lambda op: lambda s, y: s.mul(y, s.sub(s.const(1.0), y)),
    grad.TanhGradOp: lambda op: lambda s, y: s.sub(s.const(1.0), s.mul(y, y)),
    grad.HardSigmoidGradOp: lambda op: hardsigmoid_slope(op.param("alpha"), op.param("beta")),
    grad.HardSwishGradOp: lambda op: hardswish_slope,
    grad.LeakyReluGradOp: lambda op: lambda s, x: s.select(
        s.cmp("ogt", x, s.const(0.0)), s.const(1.0), s.const(op.param("alpha"))
    ),
    grad.ClipGradOp: lambda op: clip_mask(op.param("min"), op.param("max")),
    grad.ErfGradOp: lambda op: erf_slope,
    grad.SwishGradOp: lambda op: swish_slope(op.param("alpha")),
    grad.SoftplusGradOp: lambda op: sigmoid,
}


def _forward(kb: KernelBuilder, op: Operation | None) -> None:
    out, x = kb.args
    body = FORWARD[type(op)](op)
    kb.map_elementwise(out, [x], lambda s, a: [body(s, a[0])])


def _gradient(kb: KernelBuilder, op: Operation | None) -> None:
    out, v, dy = kb.args
    slope = DERIVATIVE[type(op)](op)
    kb.map_elementwise(out, [v, dy], lambda s, a: [s.mul(a[1], slope(s, a[0]))])


def _binary(pick: Callable[[Scalar, SSAValue, SSAValue], SSAValue]) -> Lower:
    def lower(kb: KernelBuilder, op: Operation | None) -> None:
        out, a, b = kb.args
        kb.map_elementwise(out, [a, b], lambda s, x: [pick(s, x[0], x[1])])

    return lower


def _selected_share(wins: str) -> Lower:
    """dy where lhs wins (`wins` = "ogt" for max, "olt" for min), dy / 2 on
    ties, else 0; lhs and rhs broadcast to dy's shape."""

    def lower(kb: KernelBuilder, op: Operation | None) -> None:
        out, a, b, dy = kb.args

        def body(s: Scalar, x: list[SSAValue]) -> list[SSAValue]:
            av, bv, g = x[0], x[1], x[2]
            tie = s.select(s.cmp("oeq", av, bv), s.mul(g, s.const(0.5)), s.const(0.0))
            return [s.select(s.cmp(wins, av, bv), g, tie)]

        kb.map_elementwise(out, [a, b, dy], body)

    return lower


def _axes(op: Operation) -> list[int]:
    rank = len(op.operands[0].type.get_shape())  # type: ignore[attr-defined]
    return list(train.ReduceMaxOp.reduced_axes(op.properties, rank))


def lower_reduce_max(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.ReduceMaxOp)
    out, x = kb.args
    kb.fill(out, F32_LOWEST)
    kb.reduce_into(out, x, _axes(op), lambda s, acc, v: s.max(acc, v))


def lower_reduce_max_grad(kb: KernelBuilder, op: Operation | None) -> None:
    """Count the maxima per reduced slice, then dx = dy / count at each
    maximum, 0 elsewhere (torch.amax's even split)."""
    assert isinstance(op, grad.ReduceMaxGradOp)
    dx, x, y, dy = kb.args
    xs = shape(x)
    axes = _axes(op)
    kept = _keep_shape(xs, axes)
    y, dy = kb.view(y, kept), kb.view(dy, kept)
    count = kb.scratch(kept)
    kb.fill(count, 0.0)
    _accumulate(
        kb, [count], [x, y], xs, axes,
        [lambda s, a: s.select(s.cmp("oeq", a[0], a[1]), s.const(1.0), s.const(0.0))],
    )

    def body(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        xv, yv, g, n = a[0], a[1], a[2], a[3]
        return [s.select(s.cmp("oeq", xv, yv), s.div(g, n), s.const(0.0))]

    kb.map_elementwise(dx, [x, y, dy, count], body)


ELEMENTWISE_KERNELS: dict[type[Operation], Lower] = {
    **{cls: _forward for cls in FORWARD},
    **{cls: _gradient for cls in DERIVATIVE},
    train.MaxOp: _binary(lambda s, a, b: s.max(a, b)),
    train.MinOp: _binary(lambda s, a, b: s.min(a, b)),
    grad.MaxLhsGradOp: _selected_share("ogt"),
    grad.MinLhsGradOp: _selected_share("olt"),
    train.ReduceMaxOp: lower_reduce_max,
    grad.ReduceMaxGradOp: lower_reduce_max_grad,
}


# -- Pow with a tensor exponent: numpy's real semantics (see train.PowTensorOp)


def pow_tensor(s: Scalar, a: SSAValue, b: SSAValue) -> SSAValue:
    """exp(b * log|a|) with the sign of a for odd integer b, NaN for a < 0
    and non-integer b, 1 for b == 0; 0 ** b follows from log(0) = -inf and
    exp's saturation (0 for b > 0, +inf for b < 0)."""
    mag = s.exp(s.mul(b, s.log(s.abs(a))))
    is_int = s.cmp("oeq", s.floor(b), b)
    half = s.mul(b, s.const(0.5))
    odd = s.cmp("one", s.floor(half), half)  # only meaningful where b is an integer
    y = s.select(odd, s.copysign(mag, a), mag)
    y = s.select(s.cmp("olt", a, s.const(0.0)), s.select(is_int, y, s.const(float("nan"))), y)
    return s.select(s.cmp("oeq", b, s.const(0.0)), s.const(1.0), y)


def pow_tensor_base_slope(s: Scalar, a: SSAValue, b: SSAValue, dy: SSAValue) -> SSAValue:
    # torch.pow's backward: 0 where b == 0 (also at a == 0)
    d = s.mul(s.mul(dy, b), pow_tensor(s, a, s.sub(b, s.const(1.0))))
    return s.select(s.cmp("oeq", b, s.const(0.0)), s.const(0.0), d)


def pow_tensor_exponent_slope(s: Scalar, a: SSAValue, b: SSAValue, dy: SSAValue) -> SSAValue:
    """dy * a ** b * log(a) from one log: NaN for a < 0 (log), so the sign of
    a ** b never matters; 0 where a == 0 and b >= 0 (torch.pow's backward).
    Few live values: xDSL's register allocator cannot spill."""
    log_a = s.log(s.abs(a))
    d = s.mul(s.mul(dy, s.exp(s.mul(b, log_a))), log_a)
    zero = s.const(0.0)
    d = s.select(s.cmp("olt", a, zero), s.const(float("nan")), d)
    return s.select(s.cmp("oeq", a, zero), s.select(s.cmp("oge", b, zero), zero, d), d)


def _ternary(body: Callable[[Scalar, SSAValue, SSAValue, SSAValue], SSAValue]) -> Lower:
    def lower(kb: KernelBuilder, op: Operation | None) -> None:
        out, a, b, dy = kb.args
        kb.map_elementwise(out, [a, b, dy], lambda s, x: [body(s, x[0], x[1], x[2])])

    return lower


ELEMENTWISE_KERNELS.update({
    train.PowTensorOp: _binary(pow_tensor),
    grad.PowTensorBaseGradOp: _ternary(pow_tensor_base_slope),
    grad.PowTensorExponentGradOp: _ternary(pow_tensor_exponent_slope),
})
