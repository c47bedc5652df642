"""train-autodiff as a pass: what gets differentiated, the statistics, the
function's new signature and its failures."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.utils.exceptions import PassFailedException

from tdopt.dialects import grad
from tdopt.interpreter.reference import run_function
from tdopt.passes.autodiff import TrainAutodiffPass
from tdopt.tools.context import make_context

TWO_TOWERS = """
func.func @towers(%x: tensor<3x4xf32>, %t: tensor<3x2xf32>) -> tensor<f32> {
  %enc = train.param @enc : tensor<4x4xf32>
  %head = train.param @head trainable : tensor<4x2xf32>
  %unused = train.param @unused trainable : tensor<5xf32>
  %h = train.matmul %x, %enc : (tensor<3x4xf32>, tensor<4x4xf32>) -> tensor<3x4xf32>
  %r = train.relu %h : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %s = train.softmax %r {axis = 1 : i64} : (tensor<3x4xf32>) -> tensor<3x4xf32>
  %o = train.matmul %s, %head : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %l = train.mse %o, %t : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<f32>
  func.return %l : tensor<f32>
}
"""


def parse(text: str) -> ModuleOp:
    return Parser(make_context(), text).parse_module()


def differentiated(text: str, **options) -> tuple[ModuleOp, func.FuncOp]:
    module = parse(text)
    TrainAutodiffPass(**options).apply(Context(), module)
    module.verify()
    f = next(op for op in module.ops if isinstance(op, func.FuncOp))
    return module, f


def test_frozen_encoder_is_skipped() -> None:
    _, f = differentiated(TWO_TOWERS)
    stats = f.attributes["train.autodiff"].data  # type: ignore[attr-defined]
    assert stats["differentiated"].value.data == 2  # matmul by the head, mse
    assert stats["skipped"].value.data == 3  # matmul by the encoder, relu, softmax
    ops = [op for op in f.walk()]
    assert not any(isinstance(op, (grad.SoftmaxGradOp, grad.ReluGradOp)) for op in ops)
    names = [s.data for s in f.attributes["train.result_names"].data]  # type: ignore
    assert names == ["loss", "head_grad", "unused_grad"]


def test_values_and_unreachable_parameter() -> None:
    module, _ = differentiated(TWO_TOWERS)
    rng = np.random.default_rng(0)
    w = {"enc": rng.standard_normal((4, 4)), "head": rng.standard_normal((4, 2)),
         "unused": rng.standard_normal(5)}
    x, t = rng.standard_normal((3, 4)), rng.standard_normal((3, 2))
    out = run_function(module, {"x": x, "t": t}, w)
    assert out["unused_grad"].dtype == np.float32
    np.testing.assert_array_equal(out["unused_grad"], np.zeros(5, np.float32))
    head = torch.tensor(w["head"], dtype=torch.float32, requires_grad=True)
    s = torch.softmax(torch.relu(torch.tensor(x, dtype=torch.float32) @ torch.tensor(
        w["enc"], dtype=torch.float32)), 1)
    loss = torch.nn.functional.mse_loss(s @ head, torch.tensor(t, dtype=torch.float32))
    loss.backward()
    assert float(out["loss"]) == pytest.approx(loss.item(), rel=1e-6)
    np.testing.assert_allclose(out["head_grad"], head.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_loss_chosen_by_name_among_results() -> None:
    text = TWO_TOWERS.replace("-> tensor<f32> {", "-> (tensor<3x2xf32>, tensor<f32>) "
                              'attributes {train.result_names = ["logits", "loss"]} {')
    text = text.replace("func.return %l : tensor<f32>",
                        "func.return %o, %l : tensor<3x2xf32>, tensor<f32>")
    _, f = differentiated(text)
    assert len(f.function_type.outputs.data) == 3


def test_function_option() -> None:
    text = TWO_TOWERS + TWO_TOWERS.replace("@towers", "@other").replace("@enc", "@enc2").replace(
        "@head", "@head2").replace("@unused", "@unused2")
    with pytest.raises(PassFailedException, match="expected exactly one function"):
        differentiated(text)
    module, _ = differentiated(text, function="other")
    towers, other = [op for op in module.ops if isinstance(op, func.FuncOp)]
    assert "train.autodiff" not in towers.attributes
    assert "train.autodiff" in other.attributes
    with pytest.raises(PassFailedException, match="no function @nope"):
        differentiated(text, function="nope")
