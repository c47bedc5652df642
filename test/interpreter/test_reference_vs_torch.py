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
