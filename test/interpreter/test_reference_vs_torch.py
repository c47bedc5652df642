"""The reference interpreter of every train op against PyTorch (CPU), on
random inputs of several shapes, including broadcasting cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from helpers import make_module
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, StringAttr, UnitAttr, f32, i64

from tdopt.dialects import train
from tdopt.interpreter.reference import run_function

RTOL, ATOL = 1e-4, 1e-5


def rand(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def run_one(inputs: dict[str, np.ndarray], body) -> np.ndarray:
    module = make_module(inputs, body)
    (result,) = run_function(module, inputs).values()
    return result


def check(ours: np.ndarray, theirs: torch.Tensor) -> None:
    expected = theirs.detach().numpy()
    assert ours.shape == expected.shape
    assert ours.dtype == expected.dtype
    np.testing.assert_allclose(ours, expected, rtol=RTOL, atol=ATOL)


T = torch.from_numpy

BINARY = [
    (train.AddOp, torch.add),
    (train.SubOp, torch.sub),
    (train.MulOp, torch.mul),
    (train.DivOp, torch.div),
]
BROADCAST_SHAPES = [((4, 5), (4, 5)), ((2, 3, 4), (4,)), ((3, 1), (1, 6)), ((5,), (2, 3, 5)), ((), (3, 2))]


@pytest.mark.parametrize("op,ref", BINARY, ids=lambda x: getattr(x, "name", ""))
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_binary(op, ref, shapes):
    rng = np.random.default_rng(1)
    a, b = rand(rng, *shapes[0]), rand(rng, *shapes[1])
    if op is train.DivOp:
        b = np.sign(b) * (np.abs(b) + 0.5)
    check(run_one({"a": a, "b": b}, lambda v: [op.make(v)]), ref(T(a), T(b)))


@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5, 4)], ids=str)
def test_unary(shape):
    rng = np.random.default_rng(2)
    x = rand(rng, *shape)
    check(run_one({"x": x}, lambda v: [train.ReluOp.make(v)]), F.relu(T(x)))
    pos = np.abs(x) + 0.1
    check(run_one({"x": pos}, lambda v: [train.SqrtOp.make(v)]), torch.sqrt(T(pos)))
    for e in (2.0, 3.0, 0.5):
        base = pos if e == 0.5 else x
        check(
            run_one({"x": base}, lambda v: [train.PowOp.make(v, exponent=FloatAttr(e, f32))]),
            torch.pow(T(base), e),
        )
    for form in ("none", "tanh"):
        check(
            run_one({"x": x}, lambda v: [train.GeluOp.make(v, approximate=StringAttr(form))]),
            F.gelu(T(x), approximate=form),
        )


@pytest.mark.parametrize("shape,axis", [((4, 10), -1), ((2, 3, 5), 1), ((2, 4, 6, 6), 0)], ids=str)
def test_softmax(shape, axis):
    x = rand(np.random.default_rng(3), *shape) * 3
    out = run_one({"x": x}, lambda v: [train.SoftmaxOp.make(v, axis=IntegerAttr(axis, i64))])
    check(out, torch.softmax(T(x), dim=axis))


@pytest.mark.parametrize(
    "shape,axis,bias", [((4, 16), -1, True), ((2, 5, 8), 2, False), ((2, 3, 4, 5), 2, True)], ids=str
)
def test_layernorm(shape, axis, bias):
    rng = np.random.default_rng(4)
    x = rand(rng, *shape)
    norm = shape[axis:]
    s, b = rand(rng, *norm), rand(rng, *norm)
    inputs = {"x": x, "s": s, **({"b": b} if bias else {})}
    out = run_one(
        inputs,
        lambda v: [
            train.LayerNormOp.make(v, axis=IntegerAttr(axis, i64), epsilon=FloatAttr(1e-5, f32))
        ],
    )
    check(out, F.layer_norm(T(x), norm, T(s), T(b) if bias else None, eps=1e-5))


@pytest.mark.parametrize(
    "sa,sb",
    [((3, 4), (4, 5)), ((2, 3, 4), (4, 6)), ((2, 1, 3, 4), (5, 4, 2)), ((4,), (4, 3)), ((2, 3, 4), (4,)), ((3, 2, 4), (3, 4, 5))],
    ids=str,
)
def test_matmul(sa, sb):
    rng = np.random.default_rng(5)
    a, b = rand(rng, *sa), rand(rng, *sb)
    check(run_one({"a": a, "b": b}, lambda v: [train.MatMulOp.make(v)]), torch.matmul(T(a), T(b)))


@pytest.mark.parametrize("trans_a", [False, True])
@pytest.mark.parametrize("trans_b", [False, True])
@pytest.mark.parametrize("c_shape", [None, (5,), (3, 5), (3, 1)], ids=str)
def test_gemm(trans_a, trans_b, c_shape):
    rng = np.random.default_rng(6)
    a = rand(rng, *((4, 3) if trans_a else (3, 4)))
    b = rand(rng, *((5, 4) if trans_b else (4, 5)))
    inputs = {"a": a, "b": b}
    if c_shape is not None:
        inputs["c"] = rand(rng, *c_shape)
    props = dict(
        trans_a=UnitAttr() if trans_a else None,
        trans_b=UnitAttr() if trans_b else None,
        alpha=FloatAttr(0.5, f32),
        beta=FloatAttr(2.0, f32),
    )
    out = run_one(inputs, lambda v: [train.GemmOp.make(v, **props)])
    ta, tb = T(a), T(b)
    ref = 0.5 * (ta.T if trans_a else ta) @ (tb.T if trans_b else tb)
    if c_shape is not None:
        ref = ref + 2.0 * T(inputs["c"])
    check(out, ref)


CONV_CASES = [
    # x shape, w shape, strides, pads, dilations, group, bias
    ((1, 3, 8, 8), (4, 3, 3, 3), (1, 1), (0, 0, 0, 0), (1, 1), 1, True),
    ((2, 3, 9, 7), (5, 3, 3, 2), (2, 1), (1, 0, 1, 1), (1, 1), 1, False),
    ((1, 4, 10, 10), (8, 1, 3, 3), (1, 1), (1, 1, 1, 1), (1, 1), 4, True),
    ((1, 4, 12, 12), (6, 2, 3, 3), (2, 2), (2, 1, 0, 1), (2, 2), 2, True),
]


@pytest.mark.parametrize("case", CONV_CASES, ids=str)
def test_conv2d(case):
    xs, ws, strides, pads, dil, group, bias = case
    rng = np.random.default_rng(7)
    inputs = {"x": rand(rng, *xs), "w": rand(rng, *ws)}
    if bias:
        inputs["b"] = rand(rng, ws[0])
    out = run_one(
        inputs,
        lambda v: [
            train.Conv2dOp.make(
                v,
                strides=train.i64_array(strides),
                pads=train.i64_array(pads),
                dilations=train.i64_array(dil),
                group=IntegerAttr(group, i64),
            )
        ],
    )
    # torch pads symmetrically: pad explicitly ([left, right, top, bottom])
    xp = F.pad(T(inputs["x"]), (pads[1], pads[3], pads[0], pads[2]))
    ref = F.conv2d(xp, T(inputs["w"]), T(inputs["b"]) if bias else None, strides, 0, dil, group)
    check(out, ref)


@pytest.mark.parametrize(
    "xs,kernel,strides,pads",
    [((1, 2, 8, 8), (2, 2), (2, 2), (0, 0, 0, 0)), ((2, 3, 7, 9), (3, 3), (2, 1), (1, 1, 1, 1)), ((1, 1, 5, 5), (3, 2), (1, 2), (1, 0, 0, 1))],
    ids=str,
)
def test_maxpool2d(xs, kernel, strides, pads):
    x = rand(np.random.default_rng(8), *xs)
    out = run_one(
        {"x": x},
        lambda v: [
            train.MaxPool2dOp.make(
                v,
                kernel=train.i64_array(kernel),
                strides=train.i64_array(strides),
                pads=train.i64_array(pads),
            )
        ],
    )
    xp = F.pad(T(x), (pads[1], pads[3], pads[0], pads[2]), value=-float("inf"))
    check(out, F.max_pool2d(xp, kernel, strides))


@pytest.mark.parametrize("shape,perm", [((2, 3), (1, 0)), ((2, 3, 4), (2, 0, 1)), ((1, 2, 3, 4), (0, 2, 1, 3))], ids=str)
def test_transpose(shape, perm):
    x = rand(np.random.default_rng(9), *shape)
    out = run_one({"x": x}, lambda v: [train.TransposeOp.make(v, perm=train.i64_array(perm))])
    check(out, T(x).permute(*perm))


def test_reshape_squeeze_unsqueeze():
    x = rand(np.random.default_rng(10), 2, 1, 3, 4)
    check(run_one({"x": x}, lambda v: [train.ReshapeOp.make_to(v[0], (6, 4))]), T(x).reshape(6, 4))
    check(
        run_one({"x": x}, lambda v: [train.SqueezeOp.make(v, axes=train.i64_array([1]))]),
        T(x).squeeze(1),
    )
    check(
        run_one({"x": x}, lambda v: [train.UnsqueezeOp.make(v, axes=train.i64_array([0, -1]))]),
        T(x).unsqueeze(0).unsqueeze(-1),
    )


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_concat(axis):
    rng = np.random.default_rng(11)
    shapes = [[2, 3, 4], [2, 3, 4], [2, 3, 4]]
    for i, s in enumerate(shapes):
        s[axis] += i
    xs = {f"x{i}": rand(rng, *s) for i, s in enumerate(shapes)}
    out = run_one(xs, lambda v: [train.ConcatOp.make(v, axis=IntegerAttr(axis, i64))])
    check(out, torch.cat([T(x) for x in xs.values()], dim=axis))


@pytest.mark.parametrize("axes", [(), (0,), (1, 2), (-1,)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(axes, keepdims):
    x = rand(np.random.default_rng(12), 2, 3, 4)
    dims = list(axes) if axes else [0, 1, 2]
    props = dict(axes=train.i64_array(axes), keepdims=UnitAttr() if keepdims else None)
    check(
        run_one({"x": x}, lambda v: [train.ReduceMeanOp.make(v, **props)]),
        torch.mean(T(x), dim=dims, keepdim=keepdims),
    )
    check(
        run_one({"x": x}, lambda v: [train.ReduceSumOp.make(v, **props)]),
        torch.sum(T(x), dim=dims, keepdim=keepdims),
    )


@pytest.mark.parametrize("n,c", [(1, 10), (4, 7), (8, 3)])
def test_cross_entropy(n, c):
    rng = np.random.default_rng(13)
    logits = rand(rng, n, c) * 4
    labels = rng.integers(0, c, size=n).astype(np.int64)
    out = run_one({"logits": logits, "labels": labels}, lambda v: [train.CrossEntropyOp.make(v)])
    check(out, F.cross_entropy(T(logits), T(labels)))


@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)], ids=str)
def test_mse(shape):
    rng = np.random.default_rng(14)
    p, t = rand(rng, *shape), rand(rng, *shape)
    check(run_one({"p": p, "t": t}, lambda v: [train.MseOp.make(v)]), F.mse_loss(T(p), T(t)))


def test_params_from_weights_and_inline():
    """A parameter takes its value inline or from the weights mapping."""
    rng = np.random.default_rng(15)
    x, w, b = rand(rng, 2, 3), rand(rng, 4, 3), rand(rng, 4)

    def body(v):
        wp = train.ParamOp("fc.w", train.tensor((4, 3), f32), trainable=True)
        bp = train.ParamOp("fc.b", train.tensor((4,), f32), value=train.dense_from_numpy(b))
        return [train.GemmOp.make([v[0], wp, bp], trans_b=UnitAttr())]

    module = make_module({"x": x}, body)
    out = run_function(module, {"x": x}, {"fc.w": w})["result0"]
    check(out, F.linear(T(x), T(w), T(b)))


# -- batch normalisation (issue 13) -------------------------------------------


def bn_inputs(shape, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    c = shape[1]
    return {
        "x": rand(rng, *shape) * 2 + 0.5,
        "scale": rand(rng, c),
        "bias": rand(rng, c),
        "mean": rand(rng, c),
        "var": np.abs(rand(rng, c)) + 0.5,
    }


@pytest.mark.parametrize("training", [False, True], ids=["eval", "training"])
@pytest.mark.parametrize("shape", [(3, 4, 5, 5), (6, 3), (2, 3, 7)], ids=str)
def test_batchnorm(shape, training):
    inputs = bn_inputs(shape, 11)
    ours = run_one(
        inputs,
        lambda v: [
            train.BatchNormOp.make(
                v, epsilon=FloatAttr(1e-3, f32), training=UnitAttr() if training else None
            )
        ],
    )
    rm, rv = T(inputs["mean"].copy()), T(inputs["var"].copy())
    theirs = F.batch_norm(
        T(inputs["x"]), rm, rv, T(inputs["scale"]), T(inputs["bias"]), training=training, eps=1e-3
    )
    check(ours, theirs)


@pytest.mark.parametrize("shape,momentum", [((3, 4, 5, 5), 0.9), ((6, 3), 0.7), ((2, 3, 1, 1), 0.0)], ids=str)
def test_batchnorm_running_statistics(shape, momentum):
    """train.batchnorm_update equals PyTorch's in-place running update of a
    training-mode batch_norm (PyTorch's momentum = 1 - ONNX's; unbiased
    running variance)."""
    inputs = bn_inputs(shape, 12)
    x, mean, var = inputs["x"], inputs["mean"], inputs["var"]
    module = make_module(
        {"x": x, "mean": mean, "var": var},
        lambda v: list(train.BatchNormUpdateOp.make(v, momentum=FloatAttr(momentum, f32)).results),
    )
    new_mean, new_var = run_function(module, {"x": x, "mean": mean, "var": var}).values()
    rm, rv = T(mean.copy()), T(var.copy())
    F.batch_norm(T(x), rm, rv, training=True, momentum=1.0 - momentum, eps=1e-5)
    check(new_mean, rm)
    check(new_var, rv)


# -- padding (issue 13) -------------------------------------------------------


@pytest.mark.parametrize(
    "shape,pads,value",
    [((2, 3), [1, 0, 2, 3], 0.0), ((1, 2, 4, 5), [0, 0, 1, 2, 0, 1, 0, 1], -1.5), ((3, 2, 4), [0, 1, 0, 2, 0, 3], 2.0)],
    ids=str,
)
def test_pad(shape, pads, value):
    x = rand(np.random.default_rng(14), *shape)
    props = {"pads": train.i64_array(pads)}
    if value:
        props["value"] = FloatAttr(value, f32)
    ours = run_one({"x": x}, lambda v: [train.PadOp.make(v, **props)])
    r = len(shape)
    # torch.nn.functional.pad: (begin, end) pairs from the last dimension
    torch_pads = [p for axis in reversed(range(r)) for p in (pads[axis], pads[r + axis])]
    check(ours, F.pad(T(x), torch_pads, value=value))


# -- activations, elementwise math, max / min, reduce_max ---------------------


def _f(v: float) -> FloatAttr:
    return FloatAttr(v, f32)


# (train op, properties, torch function, input transform); inputs are f32
ACTIVATIONS = {
    "sigmoid": (train.SigmoidOp, {}, torch.sigmoid, lambda x: 6 * x),
    "tanh": (train.TanhOp, {}, torch.tanh, lambda x: 4 * x),
    "hardsigmoid-onnx-defaults": (train.HardSigmoidOp, {}, lambda t: torch.clamp(0.2 * t + 0.5, 0, 1), lambda x: 4 * x),
    "hardsigmoid-pytorch": (train.HardSigmoidOp, {"alpha": _f(1 / 6)}, F.hardsigmoid, lambda x: 5 * x),
    "hardsigmoid-alpha-beta": (
        train.HardSigmoidOp, {"alpha": _f(0.3), "beta": _f(0.4)}, lambda t: torch.clamp(0.3 * t + 0.4, 0, 1), lambda x: 4 * x),
    "hardswish": (train.HardSwishOp, {}, F.hardswish, lambda x: 5 * x),
    "leaky_relu": (train.LeakyReluOp, {"alpha": _f(0.2)}, lambda t: F.leaky_relu(t, 0.2), None),
    "leaky_relu-default": (train.LeakyReluOp, {}, F.leaky_relu, None),
    "clip": (train.ClipOp, {"min": _f(-0.5), "max": _f(0.7)}, lambda t: torch.clamp(t, -0.5, 0.7), None),
    "clip-min-only": (train.ClipOp, {"min": _f(-0.3)}, lambda t: torch.clamp(t, min=-0.3), None),
    "clip-max-only": (train.ClipOp, {"max": _f(0.2)}, lambda t: torch.clamp(t, max=0.2), None),
    "clip-none": (train.ClipOp, {}, lambda t: t.clone(), None),
    "clip-min-above-max": (train.ClipOp, {"min": _f(1.0), "max": _f(-1.0)}, lambda t: torch.clamp(t, 1.0, -1.0), None),
    "relu6": (train.ClipOp, {"min": _f(0.0), "max": _f(6.0)}, F.relu6, lambda x: 5 * x),
    "exp": (train.ExpOp, {}, torch.exp, lambda x: 3 * x),
    "log": (train.LogOp, {}, torch.log, lambda x: np.abs(x) * 10 + 1e-3),
    "neg": (train.NegOp, {}, torch.neg, None),
    "erf": (train.ErfOp, {}, torch.erf, lambda x: 2 * x),
    "ceil": (train.CeilOp, {}, torch.ceil, lambda x: 4 * x),
    "floor": (train.FloorOp, {}, torch.floor, lambda x: 4 * x),
    "silu": (train.SwishOp, {}, F.silu, lambda x: 4 * x),
    "swish-alpha": (train.SwishOp, {"alpha": _f(1.1)}, lambda t: t * torch.sigmoid(1.1 * t), lambda x: 4 * x),
    # F.softplus returns x itself above 20: exact there too
    "softplus": (train.SoftplusOp, {}, F.softplus, lambda x: 12 * x),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("shape", [(7,), (3, 4), (2, 3, 5, 4)], ids=str)
def test_activation(name, shape):
    op, props, ref, transform = ACTIVATIONS[name]
    x = rand(np.random.default_rng(8), *shape)
    x = (transform(x) if transform else x).astype(np.float32)
    check(run_one({"x": x}, lambda v: [op.make(v, **props)]), ref(T(x)))


def test_activation_special_values():
    # exact kinks, +-0, huge magnitudes (beyond int32 for ceil / floor), inf
    x = np.array([-3.0, 3.0, 0.0, -0.0, -2.5, 2.5, 6.0, 1e10, -1e10, 3e38, -3e38, np.inf, -np.inf, 0.5, -0.5],
                 dtype=np.float32)
    for name in ("sigmoid", "tanh", "hardsigmoid-pytorch", "hardswish", "relu6", "ceil", "floor", "neg", "exp",
                 "leaky_relu", "clip"):
        op, props, ref, _ = ACTIVATIONS[name]
        # torch's hardswish is x * (x + 3) / 6 with clamps: 3e38 * 6 overflows there
        xs = x[np.abs(x) != np.float32(3e38)] if name == "hardswish" else x
        with np.errstate(over="ignore"):
            check(run_one({"x": xs}, lambda v: [op.make(v, **props)]), ref(T(xs)))


@pytest.mark.parametrize("op,ref", [(train.MaxOp, torch.maximum), (train.MinOp, torch.minimum)], ids=["max", "min"])
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_max_min(op, ref, shapes):
    rng = np.random.default_rng(9)
    a, b = rand(rng, *shapes[0]), rand(rng, *shapes[1])
    check(run_one({"a": a, "b": b}, lambda v: [op.make(v)]), ref(T(a), T(b)))


@pytest.mark.parametrize("axes", [(), (0,), (1, 2), (-1,)], ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduce_max(axes, keepdims):
    x = rand(np.random.default_rng(10), 2, 3, 4)
    props = dict(axes=train.i64_array(list(axes)), keepdims=UnitAttr() if keepdims else None)
    out = run_one({"x": x}, lambda v: [train.ReduceMaxOp.make(v, **props)])
    check(out, torch.amax(T(x), dim=axes if axes else (0, 1, 2), keepdim=keepdims))


# -- strided slices ---------------------------------------------------------------

SLICE_CASES = [
    # shape, starts, sizes, steps, the same slice in PyTorch
    ((5, 6), (1, 0), (3, 6), (1, 1), lambda t: t[1:4]),
    ((4, 7), (0, 1), (4, 3), (1, 2), lambda t: t[:, 1:7:2]),
    ((2, 3, 8), (1, 0, 7), (1, 3, 4), (1, 1, -2), lambda t: t[1:2, :, [7, 5, 3, 1]]),
    ((6,), (5,), (6,), (-1,), lambda t: torch.flip(t, [0])),
]


@pytest.mark.parametrize("case", SLICE_CASES, ids=lambda c: str(c[:4]))
def test_slice(case):
    shape, starts, sizes, steps, ref = case
    x = rand(np.random.default_rng(12), *shape)
    props = {"starts": train.i64_array(starts), "sizes": train.i64_array(sizes), "steps": train.i64_array(steps)}
    check(run_one({"x": x}, lambda v: [train.SliceOp.make(v, **props)]), ref(T(x)))


# -- Pow with a tensor exponent -------------------------------------------------


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
def test_pow_tensor(shapes):
    rng = np.random.default_rng(11)
    a = np.asarray(np.abs(rand(rng, *shapes[0])) + np.float32(0.1))
    b = np.asarray(rand(rng, *shapes[1]) * np.float32(2.0))
    check(run_one({"a": a, "b": b}, lambda v: [train.PowTensorOp.make(v)]), torch.pow(T(a), T(b)))


def test_pow_tensor_negative_and_zero_bases_like_torch():
    # a negative base: real for integer exponents (sign by parity), NaN for
    # the others; a zero base: 1, 0 or inf by the exponent's sign
    a = np.array([-2.0, -2.0, -1.5, -3.0, -2.0, 0.0, 0.0, 0.0, 0.0, -0.0, 2.0, -2.0], dtype=np.float32)
    b = np.array([2.0, 3.0, -1.0, 0.5, -2.5, 0.0, 2.0, -1.0, 0.5, 3.0, 0.0, 0.0], dtype=np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        check(run_one({"a": a, "b": b}, lambda v: [train.PowTensorOp.make(v)]), torch.pow(T(a), T(b)))
