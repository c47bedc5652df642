"""Every train op, compiled to RISC-V and run on the cluster RTL (one core,
data in L2), equals the reference interpreter (rtol 1e-4, atol 1e-5)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import make_module
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, StringAttr, UnitAttr, f32, i64

from tdopt.dialects import train
from tdopt.interpreter.reference import run_function
from tdopt.tools.context import make_context
from tdopt.tools.rtl_run import run_on_rtl

RTOL, ATOL = 1e-4, 1e-5


def rand(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def check_rtl(inputs, body):
    expected = run_function(make_module(inputs, body), inputs)
    run = run_on_rtl(make_context(), make_module(inputs, body), inputs, cores=1, max_cycles=5_000_000)
    assert run.results.keys() == expected.keys()
    for name, want in expected.items():
        np.testing.assert_allclose(run.results[name], want, rtol=RTOL, atol=ATOL, err_msg=name)


R = np.random.default_rng(42)

CASES = {
    "add_broadcast": ({"a": rand(R, 3, 4), "b": rand(R, 4)}, lambda v: [train.AddOp.make(v)]),
    "sub_scalar": ({"a": rand(R, 5), "b": rand(R, 1)}, lambda v: [train.SubOp.make(v)]),
    "mul_outer": ({"a": rand(R, 3, 1), "b": rand(R, 1, 4)}, lambda v: [train.MulOp.make(v)]),
    "div": ({"a": rand(R, 2, 3), "b": np.abs(rand(R, 2, 3)) + 0.5}, lambda v: [train.DivOp.make(v)]),
    "relu": ({"x": rand(R, 2, 3, 4)}, lambda v: [train.ReluOp.make(v)]),
    "sqrt": ({"x": np.abs(rand(R, 7)) + 0.1}, lambda v: [train.SqrtOp.make(v)]),
    "pow2": ({"x": rand(R, 6)}, lambda v: [train.PowOp.make(v, exponent=FloatAttr(2.0, f32))]),
    "gelu_erf": ({"x": rand(R, 3, 5) * 2}, lambda v: [train.GeluOp.make(v)]),
    "gelu_tanh": ({"x": rand(R, 3, 5) * 2}, lambda v: [train.GeluOp.make(v, approximate=StringAttr("tanh"))]),
    "softmax": ({"x": rand(R, 3, 6) * 3}, lambda v: [train.SoftmaxOp.make(v, axis=IntegerAttr(-1, i64))]),
    "softmax_axis0": ({"x": rand(R, 4, 3)}, lambda v: [train.SoftmaxOp.make(v, axis=IntegerAttr(0, i64))]),
    "layernorm": (
        {"x": rand(R, 2, 3, 8), "s": rand(R, 8), "b": rand(R, 8)},
        lambda v: [train.LayerNormOp.make(v, axis=IntegerAttr(-1, i64), epsilon=FloatAttr(1e-5, f32))],
    ),
    "matmul": ({"a": rand(R, 3, 5), "b": rand(R, 5, 4)}, lambda v: [train.MatMulOp.make(v)]),
    "matmul_batched": ({"a": rand(R, 2, 3, 4), "b": rand(R, 4, 5)}, lambda v: [train.MatMulOp.make(v)]),
    "gemm_tb_bias": (
        {"a": rand(R, 2, 6), "b": rand(R, 3, 6), "c": rand(R, 3)},
        lambda v: [train.GemmOp.make(v, trans_b=UnitAttr(), alpha=FloatAttr(0.5, f32))],
    ),
    "conv": (
        {"x": rand(R, 1, 2, 6, 6), "w": rand(R, 3, 2, 3, 3), "b": rand(R, 3)},
        lambda v: [train.Conv2dOp.make(v, pads=train.i64_array([1, 1, 1, 1]))],
    ),
    "conv_stride_group": (
        {"x": rand(R, 1, 4, 7, 7), "w": rand(R, 4, 2, 3, 3)},
        lambda v: [train.Conv2dOp.make(v, strides=train.i64_array([2, 2]), group=IntegerAttr(2, i64))],
    ),
    "conv_pads_bottom_right_only": (
        {"x": rand(R, 1, 2, 5, 5), "w": rand(R, 2, 2, 2, 2)},
        lambda v: [train.Conv2dOp.make(v, pads=train.i64_array([0, 0, 1, 1]))],
    ),
    "maxpool_pads_bottom_right_only": (
        {"x": rand(R, 1, 2, 5, 5)},
        lambda v: [train.MaxPool2dOp.make(v, kernel=train.i64_array([2, 2]), strides=train.i64_array([2, 2]), pads=train.i64_array([0, 0, 1, 1]))],
    ),
    "maxpool": (
        {"x": rand(R, 1, 2, 6, 6)},
        lambda v: [train.MaxPool2dOp.make(v, kernel=train.i64_array([3, 3]), strides=train.i64_array([2, 2]), pads=train.i64_array([1, 1, 1, 1]))],
    ),
    "transpose": ({"x": rand(R, 2, 3, 4)}, lambda v: [train.TransposeOp.make(v, perm=train.i64_array([2, 0, 1]))]),
    "reshape_relu": ({"x": rand(R, 2, 6)}, lambda v: [train.ReluOp.make([train.ReshapeOp.make_to(v[0], (3, 4))])]),
    "concat": ({"a": rand(R, 2, 3), "b": rand(R, 2, 2)}, lambda v: [train.ConcatOp.make(v, axis=IntegerAttr(1, i64))]),
    "reduce_mean": ({"x": rand(R, 2, 3, 4)}, lambda v: [train.ReduceMeanOp.make(v, axes=train.i64_array([1]))]),
    "reduce_sum_all": ({"x": rand(R, 2, 3)}, lambda v: [train.ReduceSumOp.make(v, axes=train.i64_array([]))]),
    "cross_entropy": (
        {"x": rand(R, 3, 5) * 2, "y": np.array([4, 0, 2], dtype=np.int64)},
        lambda v: [train.CrossEntropyOp.make(v)],
    ),
    "mse": ({"p": rand(R, 2, 4), "t": rand(R, 2, 4)}, lambda v: [train.MseOp.make(v)]),
    # 1280 elements: summed as 64 rows of 20 (in parallel), then the rows
    "mse_two_stage": ({"p": rand(R, 32, 40), "t": rand(R, 32, 40)}, lambda v: [train.MseOp.make(v)]),
    # strided slices: an inner window, and a reversed stride-2 column pick
    "slice_window": (
        {"x": rand(R, 3, 5)},
        lambda v: [train.SliceOp.make(v, starts=train.i64_array([1, 1]), sizes=train.i64_array([2, 3]))],
    ),
    "slice_negative_step": (
        {"x": rand(R, 2, 3, 6)},
        lambda v: [train.SliceOp.make(v, starts=train.i64_array([1, 0, 5]), sizes=train.i64_array([1, 3, 3]), steps=train.i64_array([1, 1, -2]))],
    ),
}


# -- activations, elementwise math, max / min, reduce_max ---------------------


def _f(v: float) -> FloatAttr:
    return FloatAttr(v, f32)


# kinks, +-0 and values beyond int32 (ceil / floor) next to random ones
EDGES = np.array([-3.0, 3.0, 0.0, -0.0, 2.5, -2.5, 6.0, -0.5, 0.5, 1e10, -1e10, 3e9, 7.0, -7.0, 100.0, -100.0],
                 dtype=np.float32)


def _unary(op, **props):
    return lambda v: [op.make(v, **props)]


CASES.update({
    "sigmoid": ({"x": rand(R, 3, 5) * 6}, _unary(train.SigmoidOp)),
    "sigmoid_saturated": ({"x": np.array([-200.0, -90.0, -88.0, 0.0, 88.0, 200.0], np.float32)}, _unary(train.SigmoidOp)),
    "tanh": ({"x": rand(R, 2, 7) * 3}, _unary(train.TanhOp)),
    "hardsigmoid": ({"x": np.concatenate([rand(R, 8) * 4, EDGES])}, _unary(train.HardSigmoidOp)),
    "hardsigmoid_pytorch": ({"x": np.concatenate([rand(R, 8) * 4, EDGES])}, _unary(train.HardSigmoidOp, alpha=_f(1 / 6))),
    "hardswish": ({"x": np.concatenate([rand(R, 8) * 4, EDGES])}, _unary(train.HardSwishOp)),
    "leaky_relu": ({"x": rand(R, 3, 4)}, _unary(train.LeakyReluOp, alpha=_f(0.1))),
    "clip": ({"x": rand(R, 3, 4)}, _unary(train.ClipOp, min=_f(-0.5), max=_f(0.6))),
    "clip_max_only": ({"x": rand(R, 6)}, _unary(train.ClipOp, max=_f(0.1))),
    "relu6": ({"x": np.concatenate([rand(R, 8) * 5, EDGES])}, _unary(train.ClipOp, min=_f(0.0), max=_f(6.0))),
    "exp": ({"x": rand(R, 2, 5) * 3}, _unary(train.ExpOp)),
    "log": ({"x": np.abs(rand(R, 2, 5)) * 10 + 1e-3}, _unary(train.LogOp)),
    "neg": ({"x": np.concatenate([rand(R, 5), EDGES])}, _unary(train.NegOp)),
    "erf": ({"x": rand(R, 2, 5) * 2}, _unary(train.ErfOp)),
    "ceil": ({"x": np.concatenate([rand(R, 8) * 4, EDGES])}, _unary(train.CeilOp)),
    "floor": ({"x": np.concatenate([rand(R, 8) * 4, EDGES])}, _unary(train.FloorOp)),
    "swish": ({"x": rand(R, 2, 6) * 4}, _unary(train.SwishOp, alpha=_f(1.1))),
    "softplus": ({"x": np.concatenate([rand(R, 8) * 10, EDGES])}, _unary(train.SoftplusOp)),
    "max_broadcast_ties": (
        {"a": np.array([[1.0, 2.0, 3.0], [0.0, -1.0, 5.0]], np.float32), "b": np.array([1.0, 2.0, 4.0], np.float32)},
        lambda v: [train.MaxOp.make(v)]),
    "min_broadcast": ({"a": rand(R, 3, 1), "b": rand(R, 1, 4)}, lambda v: [train.MinOp.make(v)]),
    "reduce_max": ({"x": rand(R, 2, 3, 4)}, lambda v: [train.ReduceMaxOp.make(v, axes=train.i64_array([1]))]),
    "reduce_max_all_keepdims": (
        {"x": rand(R, 3, 4)}, lambda v: [train.ReduceMaxOp.make(v, axes=train.i64_array([]), keepdims=UnitAttr())]),
})


# -- grouped, depthwise and strided convolutions (MobileNet-style) -------------
# With a one-position output (stride 2 on a padded 2x2 input), a window index
# `oh*s + i` pinned at oh = 0 must not become a bare loop `i` over the padded
# input: linalg requires a bare loop to span its dimension (issue 13).
CASES.update(
    {
        "conv_depthwise_s2_odd": (
            {"x": rand(R, 1, 4, 7, 7), "w": rand(R, 4, 1, 3, 3), "b": rand(R, 4)},
            lambda v: [train.Conv2dOp.make(v, strides=train.i64_array([2, 2]), pads=train.i64_array([1, 1, 1, 1]), group=IntegerAttr(4, i64))],
        ),
        "conv_depthwise_s1_batch2": (
            {"x": rand(R, 2, 3, 5, 5), "w": rand(R, 3, 1, 3, 3)},
            lambda v: [train.Conv2dOp.make(v, pads=train.i64_array([1, 1, 1, 1]), group=IntegerAttr(3, i64))],
        ),
        "conv_depthwise_multiplier2_9x9": (
            {"x": rand(R, 1, 2, 9, 9), "w": rand(R, 4, 1, 3, 3)},
            lambda v: [train.Conv2dOp.make(v, strides=train.i64_array([2, 2]), pads=train.i64_array([1, 1, 1, 1]), group=IntegerAttr(2, i64))],
        ),
        "conv_group2_s2_pad_9x9": (
            {"x": rand(R, 1, 4, 9, 9), "w": rand(R, 6, 2, 3, 3), "b": rand(R, 6)},
            lambda v: [train.Conv2dOp.make(v, strides=train.i64_array([2, 2]), pads=train.i64_array([1, 1, 1, 1]), group=IntegerAttr(2, i64))],
        ),
        "conv_s2_pad_8x8": (
            {"x": rand(R, 1, 3, 8, 8), "w": rand(R, 4, 3, 3, 3)},
            lambda v: [train.Conv2dOp.make(v, strides=train.i64_array([2, 2]), pads=train.i64_array([1, 1, 1, 1]))],
        ),
        "conv_s2_one_position": (
            {"x": rand(R, 1, 3, 2, 2), "w": rand(R, 4, 3, 3, 3)},
            lambda v: [train.Conv2dOp.make(v, strides=train.i64_array([2, 2]), pads=train.i64_array([1, 1, 1, 1]))],
        ),
        "conv_depthwise_one_position": (
            {"x": rand(R, 2, 4, 2, 2), "w": rand(R, 4, 1, 3, 3)},
            lambda v: [train.Conv2dOp.make(v, strides=train.i64_array([2, 2]), pads=train.i64_array([1, 1, 1, 1]), group=IntegerAttr(4, i64))],
        ),
        "conv_one_row": (
            {"x": rand(R, 1, 2, 2, 6), "w": rand(R, 3, 2, 3, 3)},
            lambda v: [train.Conv2dOp.make(v, strides=train.i64_array([2, 1]), pads=train.i64_array([1, 1, 1, 1]))],
        ),
        "conv_pointwise_s2": (
            {"x": rand(R, 1, 4, 5, 5), "w": rand(R, 3, 4, 1, 1)},
            lambda v: [train.Conv2dOp.make(v, strides=train.i64_array([2, 2]))],
        ),
        "maxpool_one_position": (
            {"x": rand(R, 1, 2, 2, 2)},
            lambda v: [train.MaxPool2dOp.make(v, kernel=train.i64_array([3, 3]), strides=train.i64_array([2, 2]), pads=train.i64_array([1, 1, 1, 1]))],
        ),
    }
)



# -- batch normalisation (issue 13) -------------------------------------------


def bn_inputs(*shape: int) -> dict[str, np.ndarray]:
    c = shape[1]
    return {
        "x": rand(R, *shape) * 2 + 0.5,
        "s": rand(R, c),
        "b": rand(R, c),
        "m": rand(R, c),
        "v": np.abs(rand(R, c)) + 0.5,
    }


def bn_stats(*shape: int) -> dict[str, np.ndarray]:
    i = bn_inputs(*shape)
    return {"x": i["x"], "m": i["m"], "v": i["v"]}


CASES.update(
    {
        "batchnorm_eval": (
            bn_inputs(2, 3, 4, 4),
            lambda v: [train.BatchNormOp.make(v, epsilon=FloatAttr(1e-5, f32))],
        ),
        "batchnorm_training": (
            bn_inputs(2, 3, 3, 5),
            lambda v: [train.BatchNormOp.make(v, epsilon=FloatAttr(1e-3, f32), training=UnitAttr())],
        ),
        "batchnorm_training_2d": (
            bn_inputs(6, 5),
            lambda v: [train.BatchNormOp.make(v, epsilon=FloatAttr(1e-5, f32), training=UnitAttr())],
        ),
        "batchnorm_update": (
            bn_stats(3, 4, 2, 3),
            lambda v: list(train.BatchNormUpdateOp.make(v, momentum=FloatAttr(0.9, f32)).results),
        ),
        "batchnorm_update_2d": (
            bn_stats(4, 3),
            lambda v: list(train.BatchNormUpdateOp.make(v, momentum=FloatAttr(0.3, f32)).results),
        ),
    }
)


# -- padding (issue 13) -------------------------------------------------------
CASES.update(
    {
        "pad_2d": ({"x": rand(R, 3, 4)}, lambda v: [train.PadOp.make(v, pads=train.i64_array([1, 0, 2, 3]))]),
        "pad_nchw_value": (
            {"x": rand(R, 1, 2, 3, 4)},
            lambda v: [train.PadOp.make(v, pads=train.i64_array([0, 1, 1, 2, 0, 0, 2, 1]), value=FloatAttr(-1.5, f32))],
        ),
    }
)

# Pow with a tensor exponent: random positive bases, and numpy's special
# cases (negative bases with integer / non-integer exponents, +-0 bases)
POW_A = np.array([-2.0, -2.0, -1.5, -3.0, -2.0, 0.0, 0.0, 0.0, -0.0, -0.0, 1.5, -2.0], np.float32)
POW_B = np.array([2.0, 3.0, -1.0, 0.5, -2.5, 0.0, 2.0, -1.0, 3.0, -1.0, 0.0, 0.0], np.float32)
CASES.update({
    "pow_tensor_broadcast": (
        {"a": np.abs(rand(R, 3, 4)) * 2 + 0.05, "b": rand(R, 4) * 2}, lambda v: [train.PowTensorOp.make(v)]),
    "pow_tensor_special_cases": ({"a": POW_A, "b": POW_B}, lambda v: [train.PowTensorOp.make(v)]),
})


@pytest.mark.parametrize("case", sorted(CASES))
def test_op_on_rtl(case):
    inputs, body = CASES[case]
    check_rtl(inputs, body)

