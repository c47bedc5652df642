"""The example plugin (examples/plugin): its pass checked numerically
against torch.optim.SGD(weight_decay=...), and how tdopt reports a pass
from outside tdopt that crashes (names the pass and its module, not an
"internal compiler error")."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from xdsl.context import Context
from xdsl.parser import Parser
from xdsl.passes import ModulePass

from tdopt.interpreter.reference import run_function
from tdopt.passes.autodiff import TrainAutodiffPass
from tdopt.passes.train_sgd import TrainSgdPass
from tdopt.tools import tdopt as tdopt_tool
from tdopt.tools.context import make_context

sys.path.insert(0, str(Path(__file__).parents[2] / "examples" / "plugin"))
from tdopt_weight_decay import GradWeightDecayPass  # noqa: E402

MLP = """
func.func @step(%x: tensor<4x3xf64>, %labels: tensor<4xi64>) -> tensor<f64> {
  %w1 = train.param @w1 trainable : tensor<5x3xf64>
  %b1 = train.param @b1 trainable : tensor<5xf64>
  %w2 = train.param @w2 trainable : tensor<5x2xf64>
  %h = train.gemm %x, %w1, %b1 {trans_b} : (tensor<4x3xf64>, tensor<5x3xf64>, tensor<5xf64>) -> tensor<4x5xf64>
  %r = train.tanh %h : (tensor<4x5xf64>) -> tensor<4x5xf64>
  %o = train.matmul %r, %w2 : (tensor<4x5xf64>, tensor<5x2xf64>) -> tensor<4x2xf64>
  %l = train.cross_entropy %o, %labels : (tensor<4x2xf64>, tensor<4xi64>) -> tensor<f64>
  func.return %l : tensor<f64>
}
"""


def test_weight_decay_step_matches_torch() -> None:
    rng = np.random.default_rng(3)
    weights = {"w1": rng.standard_normal((5, 3)), "b1": rng.standard_normal(5),
               "w2": rng.standard_normal((5, 2))}
    x, labels = rng.standard_normal((4, 3)), np.array([0, 1, 1, 0])
    module = Parser(make_context(), MLP).parse_module()
    for p in (TrainAutodiffPass(), GradWeightDecayPass(decay=0.05), TrainSgdPass(lr=0.1)):
        p.apply(Context(), module)
    module.verify()
    out = run_function(module, {"x": x, "labels": labels}, weights)

    ps = {k: torch.tensor(v, requires_grad=True) for k, v in weights.items()}
    opt = torch.optim.SGD(list(ps.values()), lr=0.1, weight_decay=0.05)
    h = torch.tanh(F.linear(torch.tensor(x), ps["w1"], ps["b1"]))
    F.cross_entropy(h @ ps["w2"], torch.tensor(labels)).backward()
    opt.step()
    for k, p in ps.items():
        np.testing.assert_allclose(out[f"{k}_updated"], p.detach().numpy(), rtol=1e-12, err_msg=k)


class _Crashing(ModulePass):
    name = "crashing-plugin-pass"

    def apply(self, ctx, op) -> None:
        raise ZeroDivisionError("the plugin's own bug")


_Crashing.__module__ = "some_plugin.passes"


def test_a_crash_in_a_plugin_pass_names_the_pass(tmp_path: Path, capsys, monkeypatch) -> None:
    src = tmp_path / "m.mlir"
    src.write_text(MLP)
    original = tdopt_tool.TdoptMain.register_all_passes

    def with_plugin(self) -> None:
        original(self)
        self.available_passes["crashing-plugin-pass"] = lambda: _Crashing

    monkeypatch.setattr(tdopt_tool.TdoptMain, "register_all_passes", with_plugin)
    monkeypatch.delenv("TDOPT_TRACEBACK", raising=False)
    assert tdopt_tool.main([str(src), "-p", "train-autodiff,crashing-plugin-pass"]) == 1
    err = capsys.readouterr().err
    assert "pass 'crashing-plugin-pass' (from some_plugin.passes) failed" in err
    assert "ZeroDivisionError: the plugin's own bug" in err
    assert "internal compiler error" not in err and "Traceback" not in err
