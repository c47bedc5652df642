"""train-sgd after train-autodiff: one and two optimizer steps of a small
MLP against torch.optim.SGD, the per-parameter `lr`, and bad options."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.passes import PassPipeline
from xdsl.utils.exceptions import PassFailedException

from tdopt.dialects import train
from tdopt.interpreter.reference import run_function
from tdopt.passes.registry import all_passes
from tdopt.tools.context import make_context

MLP = """
func.func @step(%x: tensor<4x3xf64>, %labels: tensor<4xi64>) -> tensor<f64> {
  %w1 = train.param @w1 trainable LR1 : tensor<5x3xf64>
  %b1 = train.param @b1 trainable : tensor<5xf64>
  %w2 = train.param @w2 trainable : tensor<5x2xf64>
  %h = train.gemm %x, %w1, %b1 {trans_b} : (tensor<4x3xf64>, tensor<5x3xf64>, tensor<5xf64>) -> tensor<4x5xf64>
  %r = train.gelu %h : (tensor<4x5xf64>) -> tensor<4x5xf64>
  %o = train.matmul %r, %w2 : (tensor<4x5xf64>, tensor<5x2xf64>) -> tensor<4x2xf64>
  %l = train.cross_entropy %o, %labels : (tensor<4x2xf64>, tensor<4xi64>) -> tensor<f64>
  func.return %l : tensor<f64>
}
"""


def parse(text: str) -> ModuleOp:
    return Parser(make_context(), text).parse_module()


def compile_step(text: str, pipeline: str) -> ModuleOp:
    module = parse(text)
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


def torch_steps(weights, inputs, lr: dict[str, float], momentum: float, steps: int):
    ps = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
    opts = [torch.optim.SGD([p], lr=lr[k], momentum=momentum) for k, p in ps.items()]
    x, y = torch.tensor(inputs["x"]), torch.tensor(inputs["labels"])
    losses = []
    for _ in range(steps):
        for o in opts:
            o.zero_grad()
        h = F.gelu(F.linear(x, ps["w1"], ps["b1"]))
        loss = F.cross_entropy(h @ ps["w2"], y)
        loss.backward()
        for o in opts:
            o.step()
        losses.append(loss.item())
    return losses, {k: p.detach().numpy() for k, p in ps.items()}


def test_one_step_matches_torch(data) -> None:
    weights, inputs = data
    step = compile_step(MLP.replace("LR1", ""), "train-autodiff,train-sgd{lr=0.1}")
    out = run_function(step, inputs, weights)
    assert list(out) == ["loss", "w1_updated", "b1_updated", "w2_updated"]
    losses, expected = torch_steps(weights, inputs, dict.fromkeys(weights, 0.1), 0.0, 1)
    assert float(out["loss"]) == pytest.approx(losses[0], rel=1e-12)
    for k in weights:
        np.testing.assert_allclose(out[f"{k}_updated"], expected[k], rtol=1e-10, atol=1e-12)


def test_param_lr_wins_unless_option_given(data) -> None:
    weights, inputs = data
    text = MLP.replace("LR1", "{lr = 0.5 : f64}")
    lrs = {"w1": 0.5, "b1": 0.01, "w2": 0.01}
    out = run_function(compile_step(text, "train-autodiff,train-sgd{lr=0.01}"), inputs, weights)
    _, forced = torch_steps(weights, inputs, dict.fromkeys(weights, 0.01), 0.0, 1)
    np.testing.assert_allclose(out["w1_updated"], forced["w1"], rtol=1e-10)
    # without the option, @w1 uses its own lr and the others the default 0.01
    out = run_function(compile_step(text, "train-autodiff,train-sgd"), inputs, weights)
    ps = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
    h = F.gelu(F.linear(torch.tensor(inputs["x"]), ps["w1"], ps["b1"]))
    F.cross_entropy(h @ ps["w2"], torch.tensor(inputs["labels"])).backward()
    for k in weights:
        expected = weights[k] - lrs[k] * ps[k].grad.numpy()
        np.testing.assert_allclose(out[f"{k}_updated"], expected, rtol=1e-10, err_msg=k)
    only_w1 = text.replace("%b1 = train.param @b1 trainable", "%b1 = train.param @b1")
    only_w1 = only_w1.replace("%w2 = train.param @w2 trainable", "%w2 = train.param @w2")
    out = run_function(compile_step(only_w1, "train-autodiff,train-sgd"), inputs, weights)
    ps = {k: torch.tensor(v, requires_grad=k == "w1") for k, v in weights.items()}
    h = F.gelu(F.linear(torch.tensor(inputs["x"]), ps["w1"], ps["b1"]))
    F.cross_entropy(h @ ps["w2"], torch.tensor(inputs["labels"])).backward()
    expected = weights["w1"] - lrs["w1"] * ps["w1"].grad.numpy()
    np.testing.assert_allclose(out["w1_updated"], expected, rtol=1e-10)
    assert list(out) == ["loss", "w1_updated"]


def test_momentum_two_steps(data) -> None:
    weights, inputs = data
    step = compile_step(MLP.replace("LR1", ""), "train-autodiff,train-sgd{lr=0.1 momentum=0.9}")
    names = [p.param_name for p in step.walk() if isinstance(p, train.ParamOp)]
    assert names == ["w1", "w1_velocity", "b1", "b1_velocity", "w2", "w2_velocity"]
    state = dict(weights)
    for _ in range(2):
        out = run_function(step, inputs, state)
        state = {k: out[f"{k}_updated"] for k in weights}
        # feed the velocity back: it is an inline-initialised parameter
        for p in step.walk():
            if isinstance(p, train.ParamOp) and p.param_name.endswith("_velocity"):
                p.value = train.dense_from_numpy(out[f"{p.param_name}_updated"])
    _, expected = torch_steps(weights, inputs, dict.fromkeys(weights, 0.1), 0.9, 2)
    for k in weights:
        np.testing.assert_allclose(state[k], expected[k], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(
    "pipeline,message",
    [
        ("train-sgd{lr=0.1}", re.escape("expected `loss` and `NAME_grad` results (run train-autodiff first)")),
        ("train-autodiff,train-sgd{lr=0}", "lr must be positive, got 0"),
        ("train-autodiff,train-sgd{lr=0.1 momentum=1.5}", r"momentum must be in \[0, 1\), got 1.5"),
    ],
)
def test_bad_options(pipeline: str, message: str) -> None:
    with pytest.raises(PassFailedException, match=message):
        compile_step(MLP.replace("LR1", ""), pipeline)


# -- batch normalisation in training mode (issue 13) ---------------------------

BN_NET = """
func.func @step(%x: tensor<3x2x4x4xf64>, %labels: tensor<3xi64>) -> tensor<f64> {
  %w = train.param @conv trainable : tensor<4x2x3x3xf64>
  %s = train.param @bn.weight trainable : tensor<4xf64>
  %b = train.param @bn.bias trainable : tensor<4xf64>
  %m = train.param @bn.running_mean : tensor<4xf64>
  %v = train.param @bn.running_var : tensor<4xf64>
  %fc = train.param @fc trainable : tensor<2x64xf64>
  %c = train.conv2d %x, %w {pads = array<i64: 1, 1, 1, 1>, strides = array<i64: 2, 2>} : (tensor<3x2x4x4xf64>, tensor<4x2x3x3xf64>) -> tensor<3x4x2x2xf64>
  %n = train.batchnorm %c, %s, %b, %m, %v {epsilon = 1.0e-05 : f64, momentum = 0.75 : f64, training} : (tensor<3x4x2x2xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>, tensor<4xf64>) -> tensor<3x4x2x2xf64>
  %r = train.relu %n : (tensor<3x4x2x2xf64>) -> tensor<3x4x2x2xf64>
  %f = train.reshape %r : (tensor<3x4x2x2xf64>) -> tensor<3x16xf64>
  %fcv = train.reshape %fc : (tensor<2x64xf64>) -> tensor<8x16xf64>
  %o = train.gemm %f, %fcv {trans_b} : (tensor<3x16xf64>, tensor<8x16xf64>) -> tensor<3x8xf64>
  %l = train.cross_entropy %o, %labels : (tensor<3x8xf64>, tensor<3xi64>) -> tensor<f64>
  func.return %l : tensor<f64>
}
"""


def test_batchnorm_training_step_against_torch() -> None:
    """One SGD step through a training-mode batchnorm: the loss, every
    updated parameter (gradients through the batch statistics) and the
    running statistics (returned as NAME_updated, PyTorch momentum 0.25 =
    1 - ONNX's 0.75, unbiased variance) equal PyTorch's."""
    rng = np.random.default_rng(5)
    inputs = {"x": rng.standard_normal((3, 2, 4, 4)), "labels": np.array([1, 7, 3])}
    weights = {
        "conv": rng.standard_normal((4, 2, 3, 3)) * 0.5,
        "bn.weight": 1 + rng.standard_normal(4) * 0.1,
        "bn.bias": rng.standard_normal(4) * 0.1,
        "bn.running_mean": rng.standard_normal(4),
        "bn.running_var": np.abs(rng.standard_normal(4)) + 0.5,
        "fc": rng.standard_normal((2, 64)) * 0.3,
    }
    step = compile_step(BN_NET, "train-autodiff,train-sgd{lr=0.1}")
    out = run_function(step, inputs, weights)
    assert set(out) == {
        "loss", "conv_updated", "bn.weight_updated", "bn.bias_updated", "fc_updated",
        "bn.running_mean_updated", "bn.running_var_updated",
    }

    t = {k: torch.tensor(v, requires_grad=k in ("conv", "bn.weight", "bn.bias", "fc")) for k, v in weights.items()}
    h = F.conv2d(torch.tensor(inputs["x"]), t["conv"], stride=2, padding=1)
    rm, rv = t["bn.running_mean"].detach().clone(), t["bn.running_var"].detach().clone()
    h = F.relu(F.batch_norm(h, rm, rv, t["bn.weight"], t["bn.bias"], training=True, momentum=0.25, eps=1e-5))
    logits = h.reshape(3, 16) @ t["fc"].reshape(8, 16).T
    loss = F.cross_entropy(logits, torch.tensor(inputs["labels"]))
    loss.backward()
    np.testing.assert_allclose(out["loss"], loss.item(), rtol=1e-12)
    for k in ("conv", "bn.weight", "bn.bias", "fc"):
        want = (t[k] - 0.1 * t[k].grad).detach().numpy()
        np.testing.assert_allclose(out[f"{k}_updated"], want, rtol=1e-10, atol=1e-12, err_msg=k)
    np.testing.assert_allclose(out["bn.running_mean_updated"], rm.numpy(), rtol=1e-12)
    np.testing.assert_allclose(out["bn.running_var_updated"], rv.numpy(), rtol=1e-12)


def test_batchnorm_running_statistics_stay_frozen() -> None:
    """train-finetune never chooses the running statistics (last=1 covers
    the batchnorm's layer), and the verifier rejects them marked trainable."""
    text = BN_NET.replace("@conv trainable", "@conv").replace("@fc trainable", "@fc")
    text = text.replace("@bn.weight trainable", "@bn.weight").replace("@bn.bias trainable", "@bn.bias")
    module = compile_step(text, "train-finetune{trainable=\"bn.*\"}")
    chosen = {p.param_name for p in module.walk() if isinstance(p, train.ParamOp) and p.is_trainable}
    assert chosen == {"bn.weight", "bn.bias"}
    bad = text.replace("@bn.running_var :", "@bn.running_var trainable :")
    with pytest.raises(Exception, match="running var @bn.running_var is a statistic"):
        parse(bad).verify()
