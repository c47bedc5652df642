"""train-fold-batchnorm: the reference step before and after the fold, and
PyTorch's eval-mode conv + batchnorm (and linear + batchnorm1d), give the
same outputs; a batchnorm next to a trainable parameter, in training mode
or after a value with another use stays."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from xdsl.context import Context
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, ModuleOp, UnitAttr, f32, i64
from xdsl.ir import SSAValue

from helpers import make_module
from tdopt.dialects import train
from tdopt.interpreter.reference import run_function
from tdopt.passes.train_fold_batchnorm import TrainFoldBatchnormPass

R = np.random.default_rng(21)


def rand(*shape: int) -> np.ndarray:
    return R.standard_normal(shape).astype(np.float32)


def param(name: str, value: np.ndarray, trainable: bool = False) -> SSAValue:
    return train.ParamOp(name, train.tensor(value.shape, f32), trainable, train.dense_from_numpy(value)).result


def bn_values(c: int) -> dict[str, np.ndarray]:
    return {"s": rand(c), "b": rand(c), "m": rand(c), "v": np.abs(rand(c)) + 0.5}


def bn(x, p: dict[str, np.ndarray], **props):
    ops = [param(f"bn.{k}", v) for k, v in p.items()]
    return train.BatchNormOp.make([x, *ops], epsilon=FloatAttr(1e-3, f32), **props)


def folded(module: ModuleOp) -> tuple[ModuleOp, int]:
    after = module.clone()
    TrainFoldBatchnormPass().apply(Context(), after)
    after.verify()
    f = after.body.block.first_op
    return after, f.attributes["train.fold_batchnorm"].value.data  # type: ignore[union-attr]


def count(module: ModuleOp, cls) -> int:
    return sum(isinstance(o, cls) for o in module.walk())


@pytest.mark.parametrize("bias,group", [(True, 1), (False, 1), (True, 2), (False, 4)])
def test_conv_batchnorm(bias: bool, group: int) -> None:
    x = rand(2, 4, 6, 6)
    w, b = rand(4, 4 // group, 3, 3), rand(4)
    p = bn_values(4)

    def body(v):
        operands = [v[0], param("conv.w", w)] + ([param("conv.b", b)] if bias else [])
        conv = train.Conv2dOp.make(operands, strides=train.i64_array([2, 2]), pads=train.i64_array([1, 1, 1, 1]), group=IntegerAttr(group, i64))
        return [train.ReluOp.make([bn(conv, p)])]

    module = make_module({"x": x}, body)
    after, n = folded(module)
    assert n == 1 and count(after, train.BatchNormOp) == 0
    before_out = run_function(module, {"x": x})["result0"]
    after_out = run_function(after, {"x": x})["result0"]
    t = {k: torch.from_numpy(v) for k, v in p.items()}
    want = F.relu(F.batch_norm(
        F.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b) if bias else None, stride=2, padding=1, groups=group),
        t["m"], t["v"], t["s"], t["b"], training=False, eps=1e-3,
    )).numpy()
    np.testing.assert_allclose(before_out, want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(after_out, want, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("trans_b,c_shape", [(True, (5,)), (False, (3, 5)), (True, None)])
def test_gemm_batchnorm(trans_b: bool, c_shape) -> None:
    x = rand(3, 4)
    w = rand(5, 4) if trans_b else rand(4, 5)
    c = rand(*c_shape) if c_shape else None
    p = bn_values(5)

    def body(v):
        operands = [v[0], param("fc.w", w)] + ([param("fc.c", c)] if c is not None else [])
        g = train.GemmOp.make(operands, trans_b=UnitAttr() if trans_b else None, alpha=FloatAttr(0.5, f32), beta=FloatAttr(2.0, f32))
        return [bn(g, p)]

    module = make_module({"x": x}, body)
    after, n = folded(module)
    assert n == 1 and count(after, train.BatchNormOp) == 0
    tw = torch.from_numpy(w.T if trans_b else w)
    y = 0.5 * torch.from_numpy(x) @ tw + (2.0 * torch.from_numpy(c) if c is not None else 0.0)
    t = {k: torch.from_numpy(v) for k, v in p.items()}
    want = F.batch_norm(y, t["m"], t["v"], t["s"], t["b"], training=False, eps=1e-3).numpy()
    np.testing.assert_allclose(run_function(module, {"x": x})["result0"], want, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(run_function(after, {"x": x})["result0"], want, rtol=1e-4, atol=1e-5)


def conv_bn(trainable: str | None, training: bool = False, second_use: bool = False):
    x = rand(2, 3, 4, 4)
    p = bn_values(3)

    def body(v):
        conv = train.Conv2dOp.make([v[0], param("conv.w", rand(3, 3, 1, 1), trainable == "w")])
        stats = [param(f"bn.{k}", val, trainable == k) for k, val in p.items()]
        y = train.BatchNormOp.make([conv, *stats], epsilon=FloatAttr(1e-5, f32), training=UnitAttr() if training else None)
        return [y, conv] if second_use else [y]

    return make_module({"x": x}, body)


@pytest.mark.parametrize(
    "module",
    [conv_bn("w"), conv_bn("s"), conv_bn("b"), conv_bn(None, training=True), conv_bn(None, second_use=True)],
    ids=["trainable-weight", "trainable-scale", "trainable-bias", "training-mode", "conv-used-twice"],
)
def test_not_folded(module: ModuleOp) -> None:
    after, n = folded(module)
    assert n == 0 and count(after, train.BatchNormOp) == 1
