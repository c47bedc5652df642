"""Every vector-Jacobian rule of `train-autodiff` against torch.autograd
(float64, random inputs, broadcasting cases) and against central finite
differences of the reference interpreter."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    UnitAttr,
    f64,
    i64,
)
from xdsl.ir import Block, Operation, Region, SSAValue

from tdopt.dialects import train
from tdopt.interpreter.reference import run_function
from tdopt.passes.autodiff import TrainAutodiffPass

Body = Callable[[list[SSAValue]], SSAValue | Operation]
TorchBody = Callable[[list[torch.Tensor]], torch.Tensor]


def arr(*v: int) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(v))


def i(v: int) -> IntegerAttr:
    return IntegerAttr(v, i64)


def fl(v: float) -> FloatAttr:
    return FloatAttr(v, f64)


def build(values: Sequence[np.ndarray], body: Body, cotangent: np.ndarray | None) -> ModuleOp:
    """main() with parameters p0..pn (all trainable, values from the weights
    dict) and loss = sum(body(p) * cotangent), or body(p) itself when it is
    already a scalar loss (cotangent None)."""
    block = Block()
    ps = [train.ParamOp(f"p{k}", train.tensor(v.shape, f64), trainable=True) for k, v in enumerate(values)]
    block.add_ops(ps)
    before = len(block.ops)

    def add(op: Operation) -> SSAValue:
        block.add_op(op)
        return op.results[0]

    # body builds detached ops; insert them in dependency order
    out = SSAValue.get(body([p.result for p in ps]))
    pending: list[Operation] = []

    def visit(v: SSAValue) -> None:
        op = v.owner
        if isinstance(op, Operation) and op.parent is None and op not in pending:
            for o in op.operands:
                visit(o)
            pending.append(op)

    visit(out)
    for op in pending:
        block.add_op(op)
    assert len(block.ops) >= before
    if cotangent is not None:
        c = add(train.ConstantOp(train.dense_from_numpy(cotangent)))
        out = add(train.ReduceSumOp.make([add(train.MulOp.make([out, c]))], axes=arr()))
    block.add_op(func.ReturnOp(out))
    f = func.FuncOp("main", ([], [out.type]), Region(block))
    module = ModuleOp([f])
    module.verify()
    return module


def weights(values: Sequence[np.ndarray]) -> dict[str, np.ndarray]:
    return {f"p{k}": v for k, v in enumerate(values)}


def gradients(module: ModuleOp, values: Sequence[np.ndarray]) -> tuple[float, list[np.ndarray]]:
    step = module.clone()
    TrainAutodiffPass().apply(Context(), step)
    step.verify()
    out = run_function(step, {}, weights(values))
    return float(out["loss"]), [out[f"p{k}_grad"] for k in range(len(values))]


def loss_of(module: ModuleOp, values: Sequence[np.ndarray]) -> float:
    (v,) = run_function(module, {}, weights(values)).values()
    return float(v)


def check(
    values: Sequence[np.ndarray],
    body: Body,
    torch_body: TorchBody,
    scalar_loss: bool = False,
    seed: int = 0,
) -> None:
    rng = np.random.default_rng(seed)
    values = [np.asarray(v, np.float64) for v in values]
    probe = build(values, body, None)
    out_shape = tuple(probe.ops.first.function_type.outputs.data[0].get_shape())
    cot = None if scalar_loss else rng.standard_normal(out_shape)
    module = build(values, body, cot)
    loss, grads = gradients(module, values)

    ts = [torch.tensor(v, requires_grad=True) for v in values]
    y = torch_body(ts)
    t_loss = y if scalar_loss else (y * torch.tensor(cot)).sum()
    t_loss.backward()
    assert loss == pytest.approx(t_loss.item(), rel=1e-10, abs=1e-10)
    for k, (g, t) in enumerate(zip(grads, ts)):
        expected = t.grad.numpy() if t.grad is not None else np.zeros_like(values[k])
        assert g.shape == values[k].shape
        np.testing.assert_allclose(g, expected, rtol=1e-9, atol=1e-10, err_msg=f"p{k}")

    # directional central differences of the interpreter's own forward pass
    h = 1e-6
    for _ in range(2):
        d = [rng.standard_normal(v.shape) for v in values]
        plus = loss_of(module, [v + h * dv for v, dv in zip(values, d)])
        minus = loss_of(module, [v - h * dv for v, dv in zip(values, d)])
        numeric = (plus - minus) / (2 * h)
        analytic = sum(float((g * dv).sum()) for g, dv in zip(grads, d))
        assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-6)


def r(*shape: int, seed: int = 1, positive: bool = False) -> np.ndarray:
    v = np.random.default_rng(seed + 7 * len(shape) + sum(shape)).standard_normal(shape)
    return np.abs(v) + 0.5 if positive else v


# -- elementwise, with broadcasting ------------------------------------------

BINARY = [train.AddOp, train.SubOp, train.MulOp, train.DivOp]
TORCH_BINARY = [torch.add, torch.sub, torch.mul, torch.div]
BROADCAST_SHAPES = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 4), (3, 1)), ((1,), (2, 3)), ((), (2, 2))]


@pytest.mark.parametrize("k", range(4), ids=[c.name for c in BINARY])
@pytest.mark.parametrize("sa,sb", BROADCAST_SHAPES)
def test_binary(k: int, sa, sb) -> None:
    a, b = r(*sa, seed=2), r(*sb, seed=3, positive=k == 3)
    check([a, b], lambda p: BINARY[k].make(p), lambda t: TORCH_BINARY[k](*t))


def test_fan_out_accumulates() -> None:
    # x * x + x: three uses of one parameter
    def body(p):
        sq = train.MulOp.make([p[0], p[0]])
        return train.AddOp.make([sq, p[0]])

    check([r(3, 2)], body, lambda t: t[0] * t[0] + t[0])


def test_relu() -> None:
    check([r(4, 5)], lambda p: train.ReluOp.make(p), lambda t: torch.relu(t[0]))


@pytest.mark.parametrize("form", ["none", "tanh"])
def test_gelu(form: str) -> None:
    props = {} if form == "none" else {"approximate": StringAttr(form)}
    check([r(3, 7)], lambda p: train.GeluOp.make(p, **props), lambda t: F.gelu(t[0], approximate=form))


def test_sqrt() -> None:
    check([r(2, 5, positive=True)], lambda p: train.SqrtOp.make(p), lambda t: torch.sqrt(t[0]))


@pytest.mark.parametrize("e", [2.0, 3.0, 0.5, -1.0])
def test_pow(e: float) -> None:
    check(
        [r(3, 3, positive=True)],
        lambda p: train.PowOp.make(p, exponent=fl(e)),
        lambda t: torch.pow(t[0], e),
    )


# -- normalisation ------------------------------------------------------------


@pytest.mark.parametrize("shape,axis", [((3, 5), -1), ((3, 5), 0), ((2, 3, 4), 1)])
def test_softmax(shape, axis: int) -> None:
    check([r(*shape)], lambda p: train.SoftmaxOp.make(p, axis=i(axis)), lambda t: torch.softmax(t[0], axis))


@pytest.mark.parametrize("shape,axis,bias", [((4, 6), -1, True), ((2, 3, 4), 1, False), ((2, 3, 4), 2, True)])
def test_layernorm(shape, axis: int, bias: bool) -> None:
    norm = shape[axis:]
    values = [r(*shape), r(*norm, seed=5)] + ([r(*norm, seed=6)] if bias else [])

    def torch_body(t):
        return F.layer_norm(t[0], norm, t[1], t[2] if bias else None, eps=1e-5)

    check(values, lambda p: train.LayerNormOp.make(p, axis=i(axis), epsilon=fl(1e-5)), torch_body)


# -- linear algebra -----------------------------------------------------------


@pytest.mark.parametrize(
    "sa,sb",
    [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4,))],
)
def test_matmul(sa, sb) -> None:
    check([r(*sa), r(*sb, seed=4)], lambda p: train.MatMulOp.make(p), lambda t: torch.matmul(*t))


@pytest.mark.parametrize("ta", [False, True])
@pytest.mark.parametrize("tb", [False, True])
@pytest.mark.parametrize("c_shape", [None, (5,), (3, 1), (3, 5)])
def test_gemm(ta: bool, tb: bool, c_shape) -> None:
    a = r(4, 3) if ta else r(3, 4)
    b = r(5, 4, seed=4) if tb else r(4, 5, seed=4)
    values = [a, b] + ([r(*c_shape, seed=9)] if c_shape else [])
    props = {
        "trans_a": UnitAttr() if ta else None,
        "trans_b": UnitAttr() if tb else None,
        "alpha": fl(0.7),
        "beta": fl(1.3),
    }

    def torch_body(t):
        y = 0.7 * ((t[0].T if ta else t[0]) @ (t[1].T if tb else t[1]))
        return y + 1.3 * t[2] if c_shape else y

    check(values, lambda p: train.GemmOp.make(p, **props), torch_body)


@pytest.mark.parametrize(
    "x_shape,w_shape,strides,pads,dil,group,bias",
    [
        ((2, 3, 6, 6), (4, 3, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1, True),
        ((1, 2, 7, 6), (3, 2, 3, 2), (2, 2), (1, 0, 1, 1), (1, 1), 1, False),
        ((1, 4, 7, 7), (4, 2, 3, 3), (2, 1), (1, 1, 1, 1), (2, 1), 2, True),
        ((2, 3, 5, 5), (3, 1, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 3, False),
    ],
)
def test_conv2d(x_shape, w_shape, strides, pads, dil, group, bias) -> None:
    values = [r(*x_shape), r(*w_shape, seed=4)] + ([r(w_shape[0], seed=8)] if bias else [])
    props = {"strides": arr(*strides), "pads": arr(*pads), "dilations": arr(*dil), "group": i(group)}

    def torch_body(t):
        top, left, bottom, right = pads
        x = F.pad(t[0], (left, right, top, bottom))
        return F.conv2d(x, t[1], t[2] if bias else None, strides, 0, dil, group)

    check(values, lambda p: train.Conv2dOp.make(p, **props), torch_body)


@pytest.mark.parametrize(
    "shape,kernel,strides,pads",
    [((2, 3, 6, 6), (2, 2), (2, 2), (0, 0, 0, 0)), ((1, 2, 5, 6), (3, 3), (1, 2), (1, 1, 1, 1))],
)
def test_maxpool2d(shape, kernel, strides, pads) -> None:
    props = {"kernel": arr(*kernel), "strides": arr(*strides), "pads": arr(*pads)}

    def torch_body(t):
        top, left, bottom, right = pads
        x = F.pad(t[0], (left, right, top, bottom), value=-np.inf)
        return F.max_pool2d(x, kernel, strides)

    check([r(*shape)], lambda p: train.MaxPool2dOp.make(p, **props), torch_body)


# -- shapes -------------------------------------------------------------------


def test_transpose() -> None:
    check([r(2, 3, 4)], lambda p: train.TransposeOp.make(p, perm=arr(2, 0, 1)), lambda t: t[0].permute(2, 0, 1))


def test_reshape_squeeze_unsqueeze() -> None:
    def body(p):
        a = train.ReshapeOp.make_to(p[0], (3, 1, 4))
        b = train.SqueezeOp.make([a], axes=arr(1))
        return train.UnsqueezeOp.make([b], axes=arr(0, 3))

    check([r(2, 6)], body, lambda t: t[0].reshape(3, 1, 4).squeeze(1).unsqueeze(0).unsqueeze(3))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(axis: int) -> None:
    shapes = {0: [(1, 3), (2, 3), (3, 3)], 1: [(2, 1), (2, 4), (2, 2)], -1: [(2, 2), (2, 3), (2, 1)]}[axis]
    values = [r(*s, seed=k) for k, s in enumerate(shapes)]
    check(values, lambda p: train.ConcatOp.make(p, axis=i(axis)), lambda t: torch.cat(t, axis))


@pytest.mark.parametrize("kind", ["mean", "sum"])
@pytest.mark.parametrize("axes,keep", [((1,), False), ((0, 2), True), ((), False), ((-1,), True)])
def test_reduce(kind: str, axes, keep: bool) -> None:
    op = train.ReduceMeanOp if kind == "mean" else train.ReduceSumOp
    props = {"axes": arr(*axes), "keepdims": UnitAttr() if keep else None}

    def torch_body(t):
        dims = axes if axes else (0, 1, 2)
        f = torch.mean if kind == "mean" else torch.sum
        return f(t[0], dim=dims, keepdim=keep)

    check([r(2, 3, 4)], lambda p: op.make(p, **props), torch_body)


# -- losses -------------------------------------------------------------------


@pytest.mark.parametrize("n,c", [(1, 10), (4, 3)])
def test_cross_entropy(n: int, c: int) -> None:
    labels = np.random.default_rng(n).integers(0, c, n)

    def body(p):
        lab = train.ConstantOp(train.dense_from_numpy(labels.astype(np.int64)))
        return train.CrossEntropyOp.make([p[0], lab])

    check([r(n, c)], body, lambda t: F.cross_entropy(t[0], torch.tensor(labels)), scalar_loss=True)


def test_mse() -> None:
    check([r(3, 4), r(3, 4, seed=2)], lambda p: train.MseOp.make(p), lambda t: F.mse_loss(*t), scalar_loss=True)


# -- batch normalisation (issue 13) -------------------------------------------


@pytest.mark.parametrize("training", [False, True], ids=["eval", "training"])
@pytest.mark.parametrize("shape", [(3, 4, 3, 2), (5, 3), (2, 2, 3)], ids=str)
def test_batchnorm(shape, training: bool) -> None:
    """Gradients for x, scale and bias; the running mean and variance are
    constants (frozen statistics), read only without `training`."""
    c = shape[1]
    values = [r(*shape) * 2 + 0.3, r(c, seed=5), r(c, seed=6)]
    mean, var = r(c, seed=8), r(c, seed=9, positive=True)

    def body(p):
        stats = [train.ConstantOp(train.dense_from_numpy(v)) for v in (mean, var)]
        return train.BatchNormOp.make(
            [*p, *stats], epsilon=fl(1e-3), training=UnitAttr() if training else None
        )

    def torch_body(t):
        return F.batch_norm(
            t[0], torch.tensor(mean), torch.tensor(var), t[1], t[2], training=training, eps=1e-3
        )

    check(values, body, torch_body)


def test_batchnorm_statistics_are_not_differentiated() -> None:
    """A mean computed from a trainable parameter is rejected, not given a
    silent zero gradient."""
    x, s, b, v = r(2, 3), r(3, seed=5), r(3, seed=6), r(3, seed=9, positive=True)

    def body(p):
        var = train.ConstantOp(train.dense_from_numpy(v))
        mean = train.MulOp.make([p[3], p[3]])  # not a parameter: passes the verifier
        return train.BatchNormOp.make([p[0], p[1], p[2], mean, var], epsilon=fl(1e-5))

    module = build([x, s, b, r(3, seed=4)], body, r(2, 3, seed=3))
    with pytest.raises(Exception, match="running mean and variance"):
        gradients(module, [x, s, b, r(3, seed=4)])


# -- padding (issue 13) -------------------------------------------------------


@pytest.mark.parametrize("shape,pads", [((3, 4), [1, 0, 2, 3]), ((1, 2, 3, 3), [0, 1, 1, 2, 0, 0, 2, 1])], ids=str)
def test_pad(shape, pads) -> None:
    r_ = len(shape)
    torch_pads = [p for axis in reversed(range(r_)) for p in (pads[axis], pads[r_ + axis])]
    check(
        [r(*shape)],
        lambda p: train.PadOp.make(p, pads=arr(*pads), value=fl(0.5)),
        lambda t: F.pad(t[0], torch_pads, value=0.5),
    )


# -- activations, elementwise math, max / min, reduce_max ---------------------


def check_at_kinks(
    values: Sequence[np.ndarray], body: Body, torch_body: TorchBody, seed: int = 0, rtol: float = 1e-12
) -> None:
    """Gradients against torch.autograd only: inputs placed on kinks and ties
    on purpose, where finite differences are meaningless."""
    values = [np.asarray(v, np.float64) for v in values]
    probe = build(values, body, None)
    out_shape = tuple(probe.ops.first.function_type.outputs.data[0].get_shape())
    cot = np.random.default_rng(seed).standard_normal(out_shape)
    _, grads = gradients(build(values, body, cot), values)
    ts = [torch.tensor(v, requires_grad=True) for v in values]
    (torch_body(ts) * torch.tensor(cot)).sum().backward()
    for k, (g, t) in enumerate(zip(grads, ts)):
        np.testing.assert_allclose(g, t.grad.numpy(), rtol=rtol, atol=1e-15, err_msg=f"p{k}")


def _clamp(lo, hi):
    return lambda t: torch.clamp(t[0], lo, hi)


# (train op, properties, torch function, input transform)
ACTIVATIONS = {
    "sigmoid": (train.SigmoidOp, {}, lambda t: torch.sigmoid(t[0]), None),
    "tanh": (train.TanhOp, {}, lambda t: torch.tanh(t[0]), None),
    "hardsigmoid-onnx-defaults": (
        train.HardSigmoidOp, {}, lambda t: torch.clamp(0.2 * t[0] + 0.5, 0, 1), lambda x: 4 * x),
    # F.hardsigmoid's float64 backward multiplies by the f32 constant 1/6:
    # compared with the exact slope here, with F.hardsigmoid at the kinks
    "hardsigmoid-pytorch": (
        train.HardSigmoidOp, {"alpha": fl(1 / 6)}, lambda t: torch.clamp(t[0] / 6 + 0.5, 0, 1), lambda x: 5 * x),
    "hardswish": (train.HardSwishOp, {}, lambda t: F.hardswish(t[0]), lambda x: 5 * x),
    "leaky_relu": (train.LeakyReluOp, {"alpha": fl(0.1)}, lambda t: F.leaky_relu(t[0], 0.1), None),
    "leaky_relu-default": (train.LeakyReluOp, {}, lambda t: F.leaky_relu(t[0]), None),
    "clip": (train.ClipOp, {"min": fl(-0.5), "max": fl(0.7)}, _clamp(-0.5, 0.7), None),
    "clip-min-only": (train.ClipOp, {"min": fl(-0.3)}, _clamp(-0.3, None), None),
    "clip-max-only": (train.ClipOp, {"max": fl(0.2)}, _clamp(None, 0.2), None),
    "relu6": (train.ClipOp, {"min": fl(0.0), "max": fl(6.0)}, _clamp(0.0, 6.0), lambda x: 5 * x),
    "exp": (train.ExpOp, {}, lambda t: torch.exp(t[0]), None),
    "log": (train.LogOp, {}, lambda t: torch.log(t[0]), lambda x: np.abs(x) + 0.5),
    "neg": (train.NegOp, {}, lambda t: torch.neg(t[0]), None),
    "erf": (train.ErfOp, {}, lambda t: torch.erf(t[0]), None),
    "ceil": (train.CeilOp, {}, lambda t: torch.ceil(t[0]), lambda x: 3 * x),
    "floor": (train.FloorOp, {}, lambda t: torch.floor(t[0]), lambda x: 3 * x),
    "silu": (train.SwishOp, {}, lambda t: F.silu(t[0]), lambda x: 3 * x),
    "swish-alpha": (train.SwishOp, {"alpha": fl(1.1)}, lambda t: t[0] * torch.sigmoid(1.1 * t[0]), lambda x: 3 * x),
    "softplus": (train.SoftplusOp, {}, lambda t: F.softplus(t[0]), lambda x: 4 * x),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation(name: str) -> None:
    op, props, torch_fn, transform = ACTIVATIONS[name]
    x = r(4, 5)
    check([transform(x) if transform else x], lambda p: op.make(p, **props), torch_fn)


# inputs exactly on each activation's kinks (PyTorch's one-sided choices)
KINKS = {
    "hardsigmoid-pytorch": [-3.0, 3.0, -2.9, 2.9, -3.1, 3.1, 0.0],
    "hardswish": [-3.0, 3.0, -2.9, 2.9, -3.1, 3.1, 0.0],
    "leaky_relu": [0.0, -0.0, 1.0, -1.0],
    "clip": [-0.5, 0.7, -0.6, 0.8, 0.0],
    "clip-min-only": [-0.3, -0.4, 5.0],
    "clip-max-only": [0.2, 0.3, -5.0],
    "relu6": [0.0, 6.0, -1.0, 7.0, 3.0],
    "ceil": [-1.0, 0.0, 2.0, 0.5],
    "floor": [-1.0, 0.0, 2.0, -0.5],
}


@pytest.mark.parametrize("name", sorted(KINKS))
def test_activation_at_kinks(name: str) -> None:
    op, props, torch_fn, _ = ACTIVATIONS[name]
    rtol = 1e-12
    if name == "hardsigmoid-pytorch":  # strict at +-3, slope 1/6 rounded to f32 (above)
        torch_fn, rtol = (lambda t: F.hardsigmoid(t[0])), 1e-7
    check_at_kinks([np.array(KINKS[name])], lambda p: op.make(p, **props), torch_fn, rtol=rtol)


MAX_MIN = [(train.MaxOp, torch.maximum), (train.MinOp, torch.minimum)]


@pytest.mark.parametrize("k", [0, 1], ids=["max", "min"])
@pytest.mark.parametrize("sa,sb", BROADCAST_SHAPES)
def test_max_min(k: int, sa, sb) -> None:
    op, ref = MAX_MIN[k]
    check([r(*sa, seed=2), r(*sb, seed=3)], lambda p: op.make(p), lambda t: ref(*t))


@pytest.mark.parametrize("k", [0, 1], ids=["max", "min"])
def test_max_min_ties_split_like_torch(k: int) -> None:
    # equal operands get half of dy each (torch.maximum / torch.minimum),
    # also where one operand is broadcast
    op, ref = MAX_MIN[k]
    a = np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 2.0]])
    b = np.array([1.0, 1.0, 3.0])
    check_at_kinks([a, b], lambda p: op.make(p), lambda t: ref(*t))
    check_at_kinks([a, a.copy()], lambda p: op.make(p), lambda t: ref(*t))


@pytest.mark.parametrize("axes,keep", [((1,), False), ((0, 2), True), ((), False), ((-1,), True)])
def test_reduce_max(axes, keep: bool) -> None:
    dims = axes if axes else (0, 1, 2)
    props = {"axes": arr(*axes), "keepdims": UnitAttr() if keep else None}
    check([r(2, 3, 4)], lambda p: train.ReduceMaxOp.make(p, **props), lambda t: torch.amax(t[0], dim=dims, keepdim=keep))


@pytest.mark.parametrize("axes,keep", [((1,), False), ((0, 2), True), ((), False)])
def test_reduce_max_ties_split_evenly_like_amax(axes, keep: bool) -> None:
    dims = axes if axes else (0, 1, 2)
    props = {"axes": arr(*axes), "keepdims": UnitAttr() if keep else None}
    x = np.random.default_rng(5).integers(-1, 2, size=(2, 3, 4)).astype(np.float64)  # many ties
    check_at_kinks([x], lambda p: train.ReduceMaxOp.make(p, **props), lambda t: torch.amax(t[0], dim=dims, keepdim=keep))


@pytest.mark.parametrize(
    "shape,starts,sizes,steps,index",
    [
        ((4, 5), (1, 0), (2, 5), (1, 1), (slice(1, 3), slice(None))),
        ((3, 7), (0, 6), (3, 3), (1, -3), (slice(None), [6, 3, 0])),
        ((2, 6, 3), (1, 1, 0), (1, 3, 3), (1, 2, 1), (slice(1, 2), slice(1, 6, 2), slice(None))),
    ],
)
def test_slice(shape, starts, sizes, steps, index) -> None:
    props = {"starts": arr(*starts), "sizes": arr(*sizes), "steps": arr(*steps)}
    check([r(*shape)], lambda p: train.SliceOp.make(p, **props), lambda t: t[0][index])


# -- Pow with a tensor exponent -------------------------------------------------


@pytest.mark.parametrize("sa,sb", BROADCAST_SHAPES)
def test_pow_tensor(sa, sb) -> None:
    a, b = r(*sa, seed=2, positive=True), r(*sb, seed=3)
    check([a, b], lambda p: train.PowTensorOp.make(p), lambda t: torch.pow(*t))


def test_pow_tensor_at_zero_and_negative_bases_like_torch() -> None:
    # torch.pow's backward: d/da = 0 where b == 0, d/db = 0 where a == 0 and
    # b >= 0, NaN for a negative base (log); inf where 0 ** (b - 1) is
    a = np.array([0.0, 0.0, 0.0, 0.0, -2.0, -1.5, -2.0, 1.5, 0.0])
    b = np.array([0.0, 2.0, 1.0, 0.5, 3.0, 2.0, 0.0, 0.0, -1.0])
    with np.errstate(invalid="ignore", divide="ignore"):
        check_at_kinks([a, b], lambda p: train.PowTensorOp.make(p), lambda t: torch.pow(*t))
