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
