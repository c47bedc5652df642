"""train-fuse-weight-update: which updates it fuses (a matrix-product weight
gradient used only by its in-place SGD update), where the fused op stands
against the other readers of the weight, and the updated weights against
torch.autograd with a manual SGD step."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.passes import PassPipeline

from tdopt.dialects import train
from tdopt.interpreter.reference import run_function
from tdopt.passes.registry import all_passes
from tdopt.tools.context import make_context

# a linear layer (gemm, transposed weight) and a 2-D matmul layer
MLP = """
func.func @step(%x: tensor<4x3xf64>, %labels: tensor<4xi64>) -> tensor<f64> {
  %w1 = train.param @w1 trainable : tensor<5x3xf64>
  %b1 = train.param @b1 trainable : tensor<5xf64>
  %w2 = train.param @w2 trainable : tensor<5x2xf64>
  %h = train.gemm %x, %w1, %b1 {trans_b} : (tensor<4x3xf64>, tensor<5x3xf64>, tensor<5xf64>) -> tensor<4x5xf64>
  %r = train.gelu %h : (tensor<4x5xf64>) -> tensor<4x5xf64>
  %o = train.matmul %r, %w2 : (tensor<4x5xf64>, tensor<5x2xf64>) -> tensor<4x2xf64>
  %l = train.cross_entropy %o, %labels : (tensor<4x2xf64>, tensor<4xi64>) -> tensor<f64>
  func.return %l : tensor<f64>
}
"""

FUSE = "train-schedule-updates,train-fuse-weight-update"


def compile_step(text: str, pipeline: str) -> ModuleOp:
    module = Parser(make_context(), text).parse_module()
    PassPipeline.parse_spec(all_passes(), pipeline).apply(Context(), module)
    module.verify()
    return module


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    weights = {
        "w1": rng.standard_normal((5, 3)),
        "b1": rng.standard_normal(5),
        "w2": rng.standard_normal((5, 2)),
    }
    inputs = {"x": rng.standard_normal((4, 3)), "labels": np.array([0, 1, 1, 0])}
    return weights, inputs


def torch_sgd(weights, inputs, lr: float) -> dict[str, np.ndarray]:
    ps = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
    h = F.gelu(F.linear(torch.tensor(inputs["x"]), ps["w1"], ps["b1"]))
    F.cross_entropy(h @ ps["w2"], torch.tensor(inputs["labels"])).backward()
    return {k: (p - lr * p.grad).detach().numpy() for k, p in ps.items()}


def block_ops(module: ModuleOp) -> list:
    f = next(o for o in module.ops if isinstance(o, func.FuncOp))
    return list(f.body.block.ops)


def updates_of(module: ModuleOp) -> dict[str, object]:
    """The op computing each returned `NAME_updated`."""
    f = next(o for o in module.ops if isinstance(o, func.FuncOp))
    names = [a.data for a in f.attributes["train.result_names"]]  # type: ignore[union-attr]
    ret = f.body.block.last_op
    assert ret is not None
    return {n: v.owner for n, v in zip(names, ret.operands)}


def test_mlp_weights_fused_and_match_torch(data) -> None:
    weights, inputs = data
    step = compile_step(MLP, f"train-autodiff,train-sgd{{lr=0.1}},{FUSE}")
    ops = block_ops(step)
    updates = updates_of(step)
    # both weights accumulate into W (C = W); the bias keeps W - lr * db
    for name in ("w1", "w2"):
        gemm = updates[f"{name}_updated"]
        assert isinstance(gemm, train.GemmOp), name
        assert isinstance(gemm.c.owner, train.ParamOp) and gemm.c.owner.param_name == name
        assert gemm.alpha is None and gemm.beta is None
        # every other reader of W (the forward product, the input gradient)
        # comes before the accumulation that overwrites it
        readers = [u.operation for u in gemm.c.uses if u.operation is not gemm]
        assert readers and all(ops.index(r) < ops.index(gemm) for r in readers), name
    assert isinstance(updates["b1_updated"], train.SubOp)
    products = [o for o in ops if isinstance(o, (train.GemmOp, train.MatMulOp))]
    # forward 2, the input gradient of layer 2, the 2 fused updates: no
    # product computes a weight gradient on its own
    assert len(products) == 5
    out = run_function(step, inputs, weights)
    expected = torch_sgd(weights, inputs, 0.1)
    for k in weights:
        np.testing.assert_allclose(out[f"{k}_updated"], expected[k], rtol=1e-10, atol=1e-12, err_msg=k)


def test_momentum_not_fused(data) -> None:
    """The velocity needs dW on its own: nothing to fuse."""
    weights, inputs = data
    step = compile_step(MLP, f"train-autodiff,train-sgd{{lr=0.1 momentum=0.9}},{FUSE}")
    updates = updates_of(step)
    for name in ("w1", "w2"):
        assert isinstance(updates[f"{name}_updated"], train.SubOp), name
    ps = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
    h = F.gelu(F.linear(torch.tensor(inputs["x"]), ps["w1"], ps["b1"]))
    F.cross_entropy(h @ ps["w2"], torch.tensor(inputs["labels"])).backward()
    out = run_function(step, inputs, weights)
    for k, p in ps.items():
        # first step from a zero velocity: v = g, W - lr * g
        np.testing.assert_allclose(
            out[f"{k}_updated"], weights[k] - 0.1 * p.grad.numpy(), rtol=1e-10, atol=1e-12
        )


# hand-written post-SGD steps: W1 = W - 0.5 * (x^T gy)
LATE_READ = """
func.func @step(%x: tensor<2x3xf64>, %gy: tensor<2x4xf64>) -> (tensor<3x4xf64>, tensor<2x4xf64>)
    attributes {train.arg_names = ["x", "gy"], train.result_names = ["w_updated", "y"]} {
  %w = train.param @w trainable : tensor<3x4xf64>
  %g = train.gemm %x, %gy {trans_a} : (tensor<2x3xf64>, tensor<2x4xf64>) -> tensor<3x4xf64>
  %lr = train.constant dense<5.000000e-01> : tensor<f64>
  %s = train.mul %g, %lr : (tensor<3x4xf64>, tensor<f64>) -> tensor<3x4xf64>
  %u = train.sub %w, %s : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  READ
  func.return %u, %y : tensor<3x4xf64>, tensor<2x4xf64>
}
"""


@pytest.mark.parametrize(
    "read,fused",
    [
        # the old W read after the update: not in place, so not fused
        ("%y = train.matmul %x, %w : (tensor<2x3xf64>, tensor<3x4xf64>) -> tensor<2x4xf64>", False),
        # the new W read after the update: fused (the update is in place)
        ("%y = train.matmul %x, %u : (tensor<2x3xf64>, tensor<3x4xf64>) -> tensor<2x4xf64>", True),
    ],
)
def test_reader_after_update(read: str, fused: bool) -> None:
    step = compile_step(LATE_READ.replace("READ", read), "train-fuse-weight-update")
    update = updates_of(step)["w_updated"]
    assert isinstance(update, train.GemmOp if fused else train.SubOp)
    rng = np.random.default_rng(1)
    w = rng.standard_normal((3, 4))
    x, gy = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    out = run_function(step, {"x": x, "gy": gy}, {"w": w})
    new = w - 0.5 * x.T @ gy
    np.testing.assert_allclose(out["w_updated"], new, rtol=1e-12)
    np.testing.assert_allclose(out["y"], x @ (new if fused else w), rtol=1e-12)


def test_weight_returned_or_read_by_its_product_not_fused() -> None:
    returned = """
func.func @step(%x: tensor<2x3xf64>, %gy: tensor<2x4xf64>) -> (tensor<3x4xf64>, tensor<3x4xf64>)
    attributes {train.arg_names = ["x", "gy"], train.result_names = ["w_updated", "w"]} {
  %w = train.param @w trainable : tensor<3x4xf64>
  %g = train.gemm %x, %gy {trans_a} : (tensor<2x3xf64>, tensor<2x4xf64>) -> tensor<3x4xf64>
  %lr = train.constant dense<5.000000e-01> : tensor<f64>
  %s = train.mul %g, %lr : (tensor<3x4xf64>, tensor<f64>) -> tensor<3x4xf64>
  %u = train.sub %w, %s : (tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<3x4xf64>
  func.return %u, %w : tensor<3x4xf64>, tensor<3x4xf64>
}
"""
    reads_w = """
func.func @step(%a: tensor<3x3xf64>) -> tensor<3x3xf64>
    attributes {train.arg_names = ["a"], train.result_names = ["w_updated"]} {
  %w = train.param @w trainable : tensor<3x3xf64>
  %g = train.matmul %a, %w : (tensor<3x3xf64>, tensor<3x3xf64>) -> tensor<3x3xf64>
  %lr = train.constant dense<5.000000e-01> : tensor<f64>
  %s = train.mul %lr, %g : (tensor<f64>, tensor<3x3xf64>) -> tensor<3x3xf64>
  %u = train.sub %w, %s : (tensor<3x3xf64>, tensor<3x3xf64>) -> tensor<3x3xf64>
  func.return %u : tensor<3x3xf64>
}
"""
    rng = np.random.default_rng(2)
    w = rng.standard_normal((3, 4))
    x, gy = rng.standard_normal((2, 3)), rng.standard_normal((2, 4))
    step = compile_step(returned, "train-fuse-weight-update")
    assert isinstance(updates_of(step)["w_updated"], train.SubOp)
    out = run_function(step, {"x": x, "gy": gy}, {"w": w})
    np.testing.assert_allclose(out["w_updated"], w - 0.5 * x.T @ gy, rtol=1e-12)
    np.testing.assert_array_equal(out["w"], w)
    step = compile_step(reads_w, "train-fuse-weight-update")
    assert isinstance(updates_of(step)["w_updated"], train.SubOp)
    w, a = rng.standard_normal((3, 3)), rng.standard_normal((3, 3))
    out = run_function(step, {"a": a}, {"w": w})
    np.testing.assert_allclose(out["w_updated"], w - 0.5 * a @ w, rtol=1e-12)
