"""Every grad op, and three small training steps (train-autodiff +
train-sgd) that together use all ten grad ops, compiled to RISC-V and run on
the cluster RTL (one core, data in L2), equal the reference interpreter
(rtol 1e-4, atol 1e-5)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pytest
from helpers import make_module
from xdsl.context import Context
from xdsl.dialects.builtin import DenseArrayBase, FloatAttr, IntegerAttr, ModuleOp, StringAttr, UnitAttr, f32, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import PassPipeline

from tdopt.dialects import grad, train
from tdopt.interpreter.kernels import maxpool2d, softmax
from tdopt.interpreter.reference import run_function
from tdopt.passes.registry import all_passes
from tdopt.tools.context import make_context
from tdopt.tools.rtl_run import run_on_rtl

RTOL, ATOL = 1e-4, 1e-5

Body = Callable[[list[SSAValue]], Sequence[SSAValue | Operation]]


def rand(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape).astype(np.float32)


def check_rtl(inputs: dict[str, np.ndarray], body: Body | ModuleOp) -> None:
    def module() -> ModuleOp:
        return body.clone() if isinstance(body, ModuleOp) else make_module(inputs, body)

    expected = run_function(module(), inputs)
    run = run_on_rtl(make_context(), module(), inputs, cores=1, max_cycles=5_000_000)
    assert run.results.keys() == expected.keys()
    for name, want in expected.items():
        np.testing.assert_allclose(run.results[name], want, rtol=RTOL, atol=ATOL, err_msg=name)


def ints(*values: int) -> DenseArrayBase:
    return train.i64_array(list(values))


def conv_input(input_shape: Sequence[int], **props) -> Body:
    return lambda v: [grad.Conv2dInputGradOp.make(v, input_shape=ints(*input_shape), **props)]


def conv_weight(kernel: Sequence[int], **props) -> Body:
    return lambda v: [grad.Conv2dWeightGradOp.make(v, kernel=ints(*kernel), **props)]


def conv_out_shape(
    x: Sequence[int],
    w: Sequence[int],
    strides: Sequence[int] = (1, 1),
    pads: Sequence[int] = (0, 0, 0, 0),
    dil: Sequence[int] = (1, 1),
) -> tuple[int, int, int, int]:
    """The forward convolution's output shape (the dy of its gradients)."""
    n, _, h, wd = x
    m, _, kh, kw = w
    oh = (h + pads[0] + pads[2] - dil[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (wd + pads[1] + pads[3] - dil[1] * (kw - 1) - 1) // strides[1] + 1
    return (n, m, oh, ow)


def pool(
    x: np.ndarray, kernel: Sequence[int], strides: Sequence[int], pads: Sequence[int]
) -> dict[str, np.ndarray]:
    """Inputs of grad.maxpool2d: x and a dy of the pooled shape."""
    dy_shape = maxpool2d(x, kernel, strides, pads).shape
    return {"x": x, "dy": rand(R, *dy_shape)}


R = np.random.default_rng(7)
# small integers: many ties inside a window, so "first maximum" matters
TIES = R.integers(-2, 3, size=(1, 2, 5, 5)).astype(np.float32)

CASES: dict[str, tuple[dict[str, np.ndarray], Body]] = {
    "relu": ({"x": rand(R, 2, 3, 4), "dy": rand(R, 2, 3, 4)}, lambda v: [grad.ReluGradOp.make(v)]),
    "relu_1d": ({"x": rand(R, 7), "dy": rand(R, 7)}, lambda v: [grad.ReluGradOp.make(v)]),
    "gelu_erf": ({"x": rand(R, 3, 5) * 2, "dy": rand(R, 3, 5)}, lambda v: [grad.GeluGradOp.make(v)]),
    "gelu_erf_3d": ({"x": rand(R, 2, 2, 3) * 3, "dy": rand(R, 2, 2, 3)}, lambda v: [grad.GeluGradOp.make(v)]),
    "gelu_tanh": (
        {"x": rand(R, 3, 5) * 2, "dy": rand(R, 3, 5)},
        lambda v: [grad.GeluGradOp.make(v, approximate=StringAttr("tanh"))],
    ),
    "gelu_tanh_1d": (
        {"x": rand(R, 9) * 3, "dy": rand(R, 9)},
        lambda v: [grad.GeluGradOp.make(v, approximate=StringAttr("tanh"))],
    ),
    "softmax": (
        {"y": softmax(rand(R, 3, 6) * 3, axis=-1), "dy": rand(R, 3, 6)},
        lambda v: [grad.SoftmaxGradOp.make(v, axis=IntegerAttr(-1, i64))],
    ),
    "softmax_axis0": (
        {"y": softmax(rand(R, 4, 3), axis=0), "dy": rand(R, 4, 3)},
        lambda v: [grad.SoftmaxGradOp.make(v, axis=IntegerAttr(0, i64))],
    ),
    "layernorm_last": (
        {"x": rand(R, 2, 3, 8), "s": rand(R, 8), "dy": rand(R, 2, 3, 8)},
        lambda v: list(
            grad.LayerNormGradOp.make(v, axis=IntegerAttr(-1, i64), epsilon=FloatAttr(1e-5, f32)).results
        ),
    ),
    "layernorm_axis1": (
        {"x": rand(R, 2, 4, 3) * 2 + 1, "s": rand(R, 4, 3), "dy": rand(R, 2, 4, 3)},
        lambda v: list(
            grad.LayerNormGradOp.make(v, axis=IntegerAttr(1, i64), epsilon=FloatAttr(1e-3, f32)).results
        ),
    ),
    "conv_input_pad": (
        {"dy": rand(R, 1, 3, 6, 6), "w": rand(R, 3, 2, 3, 3)},
        conv_input((1, 2, 6, 6), pads=ints(1, 1, 1, 1)),
    ),
    "conv_input_stride_group": (
        {"dy": rand(R, 2, 4, 3, 3), "w": rand(R, 4, 2, 3, 3)},
        conv_input((2, 4, 7, 7), strides=ints(2, 2), group=IntegerAttr(2, i64)),
    ),
    # stride 2 does not divide the extent (the last input row gets no
    # gradient), asymmetric pads and a dilation
    "conv_input_uneven_dilated": (
        {"dy": rand(R, *conv_out_shape((1, 3, 6, 6), (2, 3, 2, 2), (2, 2), (0, 1, 1, 0), (2, 1))), "w": rand(R, 2, 3, 2, 2)},
        conv_input((1, 3, 6, 6), strides=ints(2, 2), pads=ints(0, 1, 1, 0), dilations=ints(2, 1)),
    ),
    "conv_weight_pad": (
        {"x": rand(R, 1, 2, 6, 6), "dy": rand(R, 1, 3, 6, 6)},
        conv_weight((3, 3), pads=ints(1, 1, 1, 1)),
    ),
    "conv_weight_stride_group": (
        {"x": rand(R, 2, 4, 7, 7), "dy": rand(R, 2, 4, 3, 3)},
        conv_weight((3, 3), strides=ints(2, 2), group=IntegerAttr(2, i64)),
    ),
    "conv_weight_uneven_dilated": (
        {"x": rand(R, 1, 3, 6, 6), "dy": rand(R, *conv_out_shape((1, 3, 6, 6), (2, 3, 2, 2), (2, 2), (0, 1, 1, 0), (2, 1)))},
        conv_weight((2, 2), strides=ints(2, 2), pads=ints(0, 1, 1, 0), dilations=ints(2, 1)),
    ),
    # overlapping 3x3 windows with stride 2 and padding
    "maxpool_overlap_pad": (
        pool(rand(R, 1, 2, 6, 6), (3, 3), (2, 2), (1, 1, 1, 1)),
        lambda v: [grad.MaxPool2dGradOp.make(v, kernel=ints(3, 3), strides=ints(2, 2), pads=ints(1, 1, 1, 1))],
    ),
    # the einsum-CCT tokenizer's pool (batch 2, 16 channels): its routing
    # nest once ran out of integer registers (issue 13)
    "maxpool_batch2": (
        pool(rand(R, 2, 16, 8, 8), (3, 3), (2, 2), (1, 1, 1, 1)),
        lambda v: [grad.MaxPool2dGradOp.make(v, kernel=ints(3, 3), strides=ints(2, 2), pads=ints(1, 1, 1, 1))],
    ),
    "maxpool_2x2": (
        pool(rand(R, 2, 3, 4, 6), (2, 2), (2, 2), (0, 0, 0, 0)),
        lambda v: [grad.MaxPool2dGradOp.make(v, kernel=ints(2, 2), strides=ints(2, 2))],
    ),
    # ties everywhere, stride 1 (heavy overlap), asymmetric pads
    "maxpool_ties": (
        pool(TIES, (3, 2), (1, 1), (1, 0, 0, 1)),
        lambda v: [grad.MaxPool2dGradOp.make(v, kernel=ints(3, 2), strides=ints(1, 1), pads=ints(1, 0, 0, 1))],
    ),
    "cross_entropy": (
        {"x": rand(R, 3, 5) * 2, "y": np.array([4, 0, 2], dtype=np.int64), "dy": np.array(1.0, np.float32)},
        lambda v: [grad.CrossEntropyGradOp.make(v)],
    ),
    "cross_entropy_scaled": (
        {"x": rand(R, 4, 2) * 3, "y": np.array([1, 1, 0, 1], dtype=np.int64), "dy": np.array(-0.7, np.float32)},
        lambda v: [grad.CrossEntropyGradOp.make(v)],
    ),
    "slice_inner": (
        {"x": rand(R, 2, 5)},
        lambda v: [grad.SliceOp.make(v, axis=IntegerAttr(1, i64), start=IntegerAttr(1, i64), size=IntegerAttr(3, i64))],
    ),
    "slice_1d_start0": (
        {"x": rand(R, 6)},
        lambda v: [grad.SliceOp.make(v, axis=IntegerAttr(0, i64), start=IntegerAttr(0, i64), size=IntegerAttr(4, i64))],
    ),
    "slice_outer": (
        {"x": rand(R, 3, 2, 4)},
        lambda v: [grad.SliceOp.make(v, axis=IntegerAttr(-3, i64), start=IntegerAttr(2, i64), size=IntegerAttr(1, i64))],
    ),
    "broadcast_rows": ({"x": rand(R, 3)}, lambda v: [grad.BroadcastOp.make(v, shape=ints(2, 3))]),
    "broadcast_keepdims": ({"x": rand(R, 2, 1)}, lambda v: [grad.BroadcastOp.make(v, shape=ints(2, 4))]),
    "broadcast_scalar": ({"x": np.array(1.5, np.float32)}, lambda v: [grad.BroadcastOp.make(v, shape=ints(3, 2))]),
    # the gradient of train.slice: dy scattered into zeros, strided and reversed
    "slice_scatter": (
        {"dy": rand(R, 2, 2)},
        lambda v: [grad.SliceScatterOp.make(v, input_shape=ints(3, 5), starts=ints(1, 4), sizes=ints(2, 2), steps=ints(1, -3))],
    ),
}


# -- activations, elementwise math, max / min, reduce_max ---------------------

from tdopt.interpreter.elementwise import reduce_max, sigmoid  # noqa: E402


def _f(v: float) -> FloatAttr:
    return FloatAttr(v, f32)


def _masked(op, x: np.ndarray, **props) -> tuple[dict[str, np.ndarray], Body]:
    """Inputs (x, dy) of an elementwise gradient op."""
    return {"x": x.astype(np.float32), "dy": rand(R, *x.shape)}, lambda v: [op.make(v, **props)]


# kinks of hardsigmoid / hardswish / relu6 / clip next to random points
KINKS = np.array([-3.0, 3.0, 0.0, -0.5, 0.6, 6.0, -2.5, 2.5, 7.0, -7.0], np.float32)
ITIES = R.integers(-1, 2, size=(2, 3, 4)).astype(np.float32)  # many equal maxima

CASES.update({
    "sigmoid": ({"y": sigmoid(rand(R, 3, 5) * 4), "dy": rand(R, 3, 5)}, lambda v: [grad.SigmoidGradOp.make(v)]),
    "tanh": ({"y": np.tanh(rand(R, 2, 6) * 2), "dy": rand(R, 2, 6)}, lambda v: [grad.TanhGradOp.make(v)]),
    "hardsigmoid": _masked(grad.HardSigmoidGradOp, np.concatenate([rand(R, 6) * 4, KINKS])),
    "hardsigmoid_pytorch": _masked(grad.HardSigmoidGradOp, np.concatenate([rand(R, 6) * 4, KINKS]), alpha=_f(1 / 6)),
    "hardswish": _masked(grad.HardSwishGradOp, np.concatenate([rand(R, 6) * 4, KINKS])),
    "leaky_relu": _masked(grad.LeakyReluGradOp, np.concatenate([rand(R, 6), KINKS]), alpha=_f(0.2)),
    "clip": _masked(grad.ClipGradOp, np.concatenate([rand(R, 6), KINKS]), min=_f(-0.5), max=_f(0.6)),
    "clip_min_only": _masked(grad.ClipGradOp, np.concatenate([rand(R, 6), KINKS]), min=_f(-0.5)),
    "relu6": _masked(grad.ClipGradOp, np.concatenate([rand(R, 6) * 5, KINKS]), min=_f(0.0), max=_f(6.0)),
    "erf": _masked(grad.ErfGradOp, rand(R, 2, 5) * 2),
    "swish": _masked(grad.SwishGradOp, rand(R, 2, 5) * 4, alpha=_f(1.1)),
    "softplus": _masked(grad.SoftplusGradOp, rand(R, 2, 5) * 6),
    "max_lhs_ties_broadcast": (
        {"a": np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]], np.float32), "b": np.array([1.0, 2.0, 4.0], np.float32),
         "dy": rand(R, 2, 3)},
        lambda v: [grad.MaxLhsGradOp.make(v)]),
    "min_lhs_ties": (
        {"a": ITIES[0], "b": ITIES[1], "dy": rand(R, 3, 4)}, lambda v: [grad.MinLhsGradOp.make(v)]),
    "reduce_max_ties": (
        {"x": ITIES, "y": reduce_max(ITIES, [1], False), "dy": rand(R, 2, 4)},
        lambda v: [grad.ReduceMaxGradOp.make(v, axes=ints(1))]),
    "reduce_max_all_ties_keepdims": (
        {"x": ITIES, "y": reduce_max(ITIES, [0, 1, 2], True), "dy": rand(R, 1, 1, 1)},
        lambda v: [grad.ReduceMaxGradOp.make(v, axes=ints(), keepdims=UnitAttr())]),
    "reduce_max_two_axes": (
        {"x": rand(R, 2, 3, 4), "y": None, "dy": rand(R, 3)},
        lambda v: [grad.ReduceMaxGradOp.make(v, axes=ints(0, 2))]),
})
CASES["reduce_max_two_axes"][0]["y"] = reduce_max(CASES["reduce_max_two_axes"][0]["x"], [0, 2], False)

# -- grouped, depthwise and strided convolution gradients (issue 13) ----------
CASES.update(
    {
        "conv_input_depthwise_s2_odd": (
            {"dy": rand(R, 1, 4, 4, 4), "w": rand(R, 4, 1, 3, 3)},
            conv_input((1, 4, 7, 7), strides=ints(2, 2), pads=ints(1, 1, 1, 1), group=IntegerAttr(4, i64)),
        ),
        "conv_input_group2_s2_pad_9x9": (
            {"dy": rand(R, 1, 6, 5, 5), "w": rand(R, 6, 2, 3, 3)},
            conv_input((1, 4, 9, 9), strides=ints(2, 2), pads=ints(1, 1, 1, 1), group=IntegerAttr(2, i64)),
        ),
        "conv_input_s2_one_position": (
            {"dy": rand(R, 1, 4, 1, 1), "w": rand(R, 4, 3, 3, 3)},
            conv_input((1, 3, 2, 2), strides=ints(2, 2), pads=ints(1, 1, 1, 1)),
        ),
        "conv_input_depthwise_one_position": (
            {"dy": rand(R, 2, 4, 1, 1), "w": rand(R, 4, 1, 3, 3)},
            conv_input((2, 4, 2, 2), strides=ints(2, 2), pads=ints(1, 1, 1, 1), group=IntegerAttr(4, i64)),
        ),
        "conv_weight_depthwise_s2_9x9": (
            {"x": rand(R, 1, 4, 9, 9), "dy": rand(R, 1, 4, 5, 5)},
            conv_weight((3, 3), strides=ints(2, 2), pads=ints(1, 1, 1, 1), group=IntegerAttr(4, i64)),
        ),
        "conv_weight_group2_s2_pad_8x8": (
            {"x": rand(R, 2, 4, 8, 8), "dy": rand(R, 2, 6, 4, 4)},
            conv_weight((3, 3), strides=ints(2, 2), pads=ints(1, 1, 1, 1), group=IntegerAttr(2, i64)),
        ),
        "conv_weight_s2_one_position": (
            {"x": rand(R, 1, 3, 2, 2), "dy": rand(R, 1, 4, 1, 1)},
            conv_weight((3, 3), strides=ints(2, 2), pads=ints(1, 1, 1, 1)),
        ),
        "conv_weight_depthwise_one_position": (
            {"x": rand(R, 2, 4, 2, 2), "dy": rand(R, 2, 4, 1, 1)},
            conv_weight((3, 3), strides=ints(2, 2), pads=ints(1, 1, 1, 1), group=IntegerAttr(4, i64)),
        ),
        "maxpool_one_position": (
            pool(rand(R, 1, 2, 2, 2), (3, 3), (2, 2), (1, 1, 1, 1)),
            lambda v: [grad.MaxPool2dGradOp.make(v, kernel=ints(3, 3), strides=ints(2, 2), pads=ints(1, 1, 1, 1))],
        ),
    }
)



# -- batch normalisation (issue 13) -------------------------------------------


def bn_grad_inputs(*shape: int) -> dict[str, np.ndarray]:
    c = shape[1]
    return {
        "x": rand(R, *shape) * 2 + 0.5,
        "s": rand(R, c),
        "m": rand(R, c),
        "v": np.abs(rand(R, c)) + 0.5,
        "dy": rand(R, *shape),
    }


def bn_grad(training: bool, eps: float) -> Body:
    return lambda v: list(
        grad.BatchNormGradOp.make(v, epsilon=FloatAttr(eps, f32), training=UnitAttr() if training else None).results
    )


CASES.update(
    {
        "batchnorm_eval": (bn_grad_inputs(2, 3, 4, 4), bn_grad(False, 1e-5)),
        "batchnorm_training": (bn_grad_inputs(2, 3, 3, 5), bn_grad(True, 1e-3)),
        "batchnorm_training_2d": (bn_grad_inputs(6, 5), bn_grad(True, 1e-5)),
    }
)

# the two partial derivatives of train.pow_tensor, random (broadcast) and at
# torch.pow's special cases (zero base or exponent, negative bases)
POW_A = np.array([0.0, 0.0, 0.0, 0.0, -2.0, -1.5, -2.0, 1.5, 0.0, 2.0], np.float32)
POW_B = np.array([0.0, 2.0, 1.0, 0.5, 3.0, 2.0, 0.0, 0.0, -1.0, -0.5], np.float32)
for _name, _cls in (("base", grad.PowTensorBaseGradOp), ("exponent", grad.PowTensorExponentGradOp)):
    CASES[f"pow_tensor_{_name}_broadcast"] = (
        {"a": np.abs(rand(R, 3, 4)) * 2 + 0.05, "b": rand(R, 4) * 2, "dy": rand(R, 3, 4)},
        lambda v, c=_cls: [c.make(v)])
    CASES[f"pow_tensor_{_name}_special_cases"] = (
        {"a": POW_A, "b": POW_B, "dy": rand(R, 10)}, lambda v, c=_cls: [c.make(v)])


@pytest.mark.parametrize("case", sorted(CASES))
def test_grad_op_on_rtl(case: str) -> None:
    inputs, body = CASES[case]
    check_rtl(inputs, body)


# -- training steps: forward, loss, backward and the SGD update ---------------


def param(name: str, value: np.ndarray) -> SSAValue:
    """A trainable parameter with its initial value inline, so the compiled
    program carries it (no weights file)."""
    t = train.tensor(value.shape, f32)
    return train.ParamOp(name, t, trainable=True, value=train.dense_from_numpy(value)).result


def training_step(inputs: dict[str, np.ndarray], forward: Body) -> ModuleOp:
    module = make_module(inputs, forward)
    PassPipeline.parse_spec(all_passes(), "train-autodiff,train-sgd{lr=0.1}").apply(Context(), module)
    module.verify()
    return module


def conv_net(v: list[SSAValue]) -> list[Operation]:
    """conv 3x3 (pad 1) + bias, relu, 2x2 max pool, conv 2x2, flatten,
    linear, cross-entropy (the second conv needs its input gradient)."""
    x, labels = v
    rng = np.random.default_rng(1)
    w1, b1 = param("w1", rand(rng, 3, 1, 3, 3) * 0.5), param("b1", rand(rng, 3) * 0.1)
    w2 = param("w2", rand(rng, 4, 3, 2, 2) * 0.5)
    w3, b3 = param("w3", rand(rng, 4, 16) * 0.3), param("b3", rand(rng, 4) * 0.1)
    h = train.Conv2dOp.make([x, w1, b1], pads=ints(1, 1, 1, 1))
    r = train.ReluOp.make([h])
    p = train.MaxPool2dOp.make([r], kernel=ints(2, 2), strides=ints(2, 2))
    h2 = train.Conv2dOp.make([p, w2])
    flat = train.ReshapeOp.make_to(h2, (2, 16))
    o = train.GemmOp.make([flat, w3, b3], trans_b=UnitAttr())
    return [train.CrossEntropyOp.make([o, labels])]


def mlp(v: list[SSAValue]) -> list[Operation]:
    """linear, gelu, per-feature mean subtracted (reduce_mean + broadcast),
    concat with the input (slice in the backward pass), matmul, mse."""
    x, target = v
    rng = np.random.default_rng(2)
    w1, b1 = param("w1", rand(rng, 5, 3) * 0.5), param("b1", rand(rng, 5) * 0.1)
    w2 = param("w2", rand(rng, 8, 2) * 0.4)
    h = train.GeluOp.make([train.GemmOp.make([x, w1, b1], trans_b=UnitAttr())])
    mean = train.ReduceMeanOp.make([h], axes=ints(0), keepdims=UnitAttr())
    c = train.SubOp.make([h, mean])
    cat = train.ConcatOp.make([c, x], axis=IntegerAttr(1, i64))
    o = train.MatMulOp.make([cat, w2])
    return [train.MseOp.make([o, target])]


def attention(v: list[SSAValue]) -> list[Operation]:
    """layernorm (trainable scale and bias), single-head self-attention
    without value projection, linear classifier, cross-entropy."""
    x, labels = v
    rng = np.random.default_rng(5)
    scale, bias = param("ln_scale", 1 + rand(rng, 6) * 0.1), param("ln_bias", rand(rng, 6) * 0.1)
    wq = param("wq", rand(rng, 6, 4) * 0.5)
    wo = param("wo", rand(rng, 3, 6) * 0.5)
    ln = train.LayerNormOp.make([x, scale, bias], axis=IntegerAttr(-1, i64), epsilon=FloatAttr(1e-5, f32))
    q = train.MatMulOp.make([ln, wq])
    scores = train.MatMulOp.make([q, train.TransposeOp.make([q], perm=ints(1, 0))])
    a = train.SoftmaxOp.make([scores], axis=IntegerAttr(-1, i64))
    o = train.GemmOp.make([train.MatMulOp.make([a, ln]), wo], trans_b=UnitAttr())
    return [train.CrossEntropyOp.make([o, labels])]


def test_conv_net_training_step_on_rtl() -> None:
    rng = np.random.default_rng(3)
    inputs = {"x": rand(rng, 2, 1, 6, 6), "labels": np.array([3, 0], dtype=np.int64)}
    step = training_step(inputs, conv_net)
    names = set(run_function(step.clone(), inputs))
    assert names == {"loss", "w1_updated", "b1_updated", "w2_updated", "w3_updated", "b3_updated"}
    check_rtl(inputs, step)


def test_mlp_training_step_on_rtl() -> None:
    rng = np.random.default_rng(4)
    inputs = {"x": rand(rng, 4, 3), "target": rand(rng, 4, 2)}
    step = training_step(inputs, mlp)
    names = set(run_function(step.clone(), inputs))
    assert names == {"loss", "w1_updated", "b1_updated", "w2_updated"}
    check_rtl(inputs, step)


def test_attention_training_step_on_rtl() -> None:
    rng = np.random.default_rng(6)
    inputs = {"x": rand(rng, 4, 6), "labels": np.array([2, 0, 1, 2], dtype=np.int64)}
    step = training_step(inputs, attention)
    names = set(run_function(step.clone(), inputs))
    assert names == {"loss", "ln_scale_updated", "ln_bias_updated", "wq_updated", "wo_updated"}
    check_rtl(inputs, step)


def depthwise_separable(v: list[SSAValue]) -> list[Operation]:
    """MobileNet-style: conv 3x3, relu, depthwise 3x3 stride 2 (6x6 -> 3x3),
    relu, pointwise 1x1, depthwise 3x3 stride 2 (3x3 -> 2x2), depthwise 3x3
    stride 2 (2x2 -> 1x1, the one-position window), flatten, linear,
    cross-entropy; all pads 1."""
    x, labels = v
    rng = np.random.default_rng(8)
    p1 = ints(1, 1, 1, 1)
    s2 = ints(2, 2)
    w1 = param("w1", rand(rng, 4, 2, 3, 3) * 0.5)
    dw1, db1 = param("dw1", rand(rng, 4, 1, 3, 3) * 0.5), param("db1", rand(rng, 4) * 0.1)
    pw = param("pw", rand(rng, 6, 4, 1, 1) * 0.5)
    dw2 = param("dw2", rand(rng, 6, 1, 3, 3) * 0.5)
    dw3 = param("dw3", rand(rng, 6, 1, 3, 3) * 0.5)
    fc = param("fc", rand(rng, 3, 6) * 0.5)
    h = train.ReluOp.make([train.Conv2dOp.make([x, w1], pads=p1)])
    h = train.ReluOp.make([train.Conv2dOp.make([h, dw1, db1], strides=s2, pads=p1, group=IntegerAttr(4, i64))])
    h = train.Conv2dOp.make([h, pw])
    h = train.Conv2dOp.make([h, dw2], strides=s2, pads=p1, group=IntegerAttr(6, i64))
    h = train.Conv2dOp.make([h, dw3], strides=s2, pads=p1, group=IntegerAttr(6, i64))
    o = train.GemmOp.make([train.ReshapeOp.make_to(h, (2, 6)), fc], trans_b=UnitAttr())
    return [train.CrossEntropyOp.make([o, labels])]


def test_depthwise_separable_training_step_on_rtl() -> None:
    rng = np.random.default_rng(9)
    inputs = {"x": rand(rng, 2, 2, 6, 6), "labels": np.array([1, 2], dtype=np.int64)}
    step = training_step(inputs, depthwise_separable)
    names = set(run_function(step.clone(), inputs))
    assert names == {"loss", "w1_updated", "dw1_updated", "db1_updated", "pw_updated", "dw2_updated", "dw3_updated", "fc_updated"}
    check_rtl(inputs, step)


def frozen(name: str, value: np.ndarray) -> SSAValue:
    t = train.tensor(value.shape, f32)
    return train.ParamOp(name, t, trainable=False, value=train.dense_from_numpy(value)).result


def conv_bn_net(v: list[SSAValue]) -> list[Operation]:
    """conv 3x3 stride 2, batchnorm in training mode (batch statistics,
    running statistics updated), relu, flatten, linear, cross-entropy."""
    x, labels = v
    rng = np.random.default_rng(10)
    w = param("w", rand(rng, 4, 2, 3, 3) * 0.5)
    scale, bias = param("bn_scale", 1 + rand(rng, 4) * 0.1), param("bn_bias", rand(rng, 4) * 0.1)
    mean, var = frozen("bn_mean", rand(rng, 4)), frozen("bn_var", np.abs(rand(rng, 4)) + 0.5)
    fc = param("fc", rand(rng, 3, 16) * 0.3)
    h = train.Conv2dOp.make([x, w], strides=ints(2, 2), pads=ints(1, 1, 1, 1))
    n = train.BatchNormOp.make(
        [h, scale, bias, mean, var], epsilon=FloatAttr(1e-5, f32), momentum=FloatAttr(0.8, f32), training=UnitAttr()
    )
    flat = train.ReshapeOp.make_to(train.ReluOp.make([n]), (2, 16))
    return [train.CrossEntropyOp.make([train.GemmOp.make([flat, fc], trans_b=UnitAttr()), labels])]


def test_batchnorm_training_step_on_rtl() -> None:
    rng = np.random.default_rng(11)
    inputs = {"x": rand(rng, 2, 2, 4, 4), "labels": np.array([2, 0], dtype=np.int64)}
    step = training_step(inputs, conv_bn_net)
    names = set(run_function(step.clone(), inputs))
    assert names == {"loss", "w_updated", "bn_scale_updated", "bn_bias_updated", "fc_updated", "bn_mean_updated", "bn_var_updated"}
    check_rtl(inputs, step)


def pad_net(v: list[SSAValue]) -> list[Operation]:
    """conv 1x1, train.pad (spatial and channel, value 0.5), conv without
    pads, relu, flatten, linear, mse: the pad's gradient (grad.slice along
    each padded dimension) reaches the first conv."""
    x, target = v
    rng = np.random.default_rng(12)
    w1 = param("w1", rand(rng, 2, 2, 1, 1) * 0.5)
    w = param("w", rand(rng, 2, 3, 3, 3) * 0.5)
    fc = param("fc", rand(rng, 3, 18) * 0.3)
    h1 = train.Conv2dOp.make([x, w1])
    p = train.PadOp.make([h1], pads=ints(0, 1, 1, 0, 0, 0, 1, 2), value=FloatAttr(0.5, f32))
    h = train.ReluOp.make([train.Conv2dOp.make([p, w])])
    o = train.GemmOp.make([train.ReshapeOp.make_to(h, (1, 18)), fc], trans_b=UnitAttr())
    return [train.MseOp.make([o, target])]


def test_pad_training_step_on_rtl() -> None:
    rng = np.random.default_rng(13)
    inputs = {"x": rand(rng, 1, 2, 3, 3), "target": rand(rng, 1, 3)}
    step = training_step(inputs, pad_net)
    assert set(run_function(step.clone(), inputs)) == {"loss", "w1_updated", "w_updated", "fc_updated"}
    assert sum(isinstance(op, grad.SliceOp) for op in step.walk()) == 3
    check_rtl(inputs, step)


def activations_net(v: list[SSAValue]) -> list[Operation]:
    """linear, hardswish, clip, max with a sigmoid branch, swish, reduce_max
    over features (keepdims), tanh, leaky relu, mse: every new gradient
    kind in one step."""
    x, target = v
    rng = np.random.default_rng(8)
    w1, b1 = param("w1", rand(rng, 6, 3) * 0.8), param("b1", rand(rng, 6) * 0.1)
    w2 = param("w2", rand(rng, 6, 2) * 0.5)
    h = train.GemmOp.make([x, w1, b1], trans_b=UnitAttr())
    a = train.HardSwishOp.make([h])
    c = train.ClipOp.make([h], min=_f(-0.5), max=_f(0.8))
    m = train.MaxOp.make([a, train.SigmoidOp.make([c])])
    s = train.SwishOp.make([m])
    top = train.ReduceMaxOp.make([s], axes=ints(1), keepdims=UnitAttr())
    t = train.TanhOp.make([train.SubOp.make([s, top])])
    o = train.LeakyReluOp.make([train.MatMulOp.make([t, w2])], alpha=_f(0.1))
    return [train.MseOp.make([o, target])]


def test_activations_training_step_on_rtl() -> None:
    rng = np.random.default_rng(9)
    inputs = {"x": rand(rng, 4, 3), "target": rand(rng, 4, 2)}
    step = training_step(inputs, activations_net)
    names = {op.name for op in step.walk()}
    assert {"grad.hardswish", "grad.clip", "grad.max_lhs", "grad.sigmoid", "grad.swish", "grad.reduce_max",
            "grad.tanh", "grad.leaky_relu"} <= names
    assert set(run_function(step.clone(), inputs)) == {"loss", "w1_updated", "b1_updated", "w2_updated"}
    check_rtl(inputs, step)


def test_activations_training_step_on_8_cores_tiled() -> None:
    # the same step split over 8 cores, every kernel tiled through L1
    rng = np.random.default_rng(9)
    inputs = {"x": rand(rng, 4, 3), "target": rand(rng, 4, 2)}
    step = training_step(inputs, activations_net)
    expected = run_function(step.clone(), inputs)
    run = run_on_rtl(make_context(), step, inputs, cores=8, max_cycles=5_000_000, tile_l1=True, l1="64k")
    for name, want in expected.items():
        np.testing.assert_allclose(run.results[name], want, rtol=RTOL, atol=ATOL, err_msg=name)
