"""Gradient accumulation (`train-accumulate`, `tdopt --accumulate K`)
against PyTorch's: models written as PyTorch users write them, exported by
the default exporter at the micro-batch size B, trained on K*B samples as K
micro-batches (`(loss / K).backward()` each, one `optimizer.step()`). The
step's memory is that of batch B, not K*B, and the compiled step gives the
same results on the 8-core RTL."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")  # the default (dynamo) exporter needs it

from torch import nn  # noqa: E402

from tdopt.dialects import train  # noqa: E402
from tdopt.frontend.onnx import ImportOptions, import_onnx  # noqa: E402
from tdopt.interpreter.reference import run_function  # noqa: E402
from tdopt.lowering.pipeline import run_pipeline  # noqa: E402
from tdopt.tools.context import make_context  # noqa: E402


class SmallCnn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 6 * 6, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


class AutoEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.enc = nn.Sequential(nn.Linear(12, 6), nn.ReLU(), nn.Linear(6, 3), nn.ReLU())
        self.dec = nn.Sequential(nn.Linear(3, 6), nn.ReLU(), nn.Linear(6, 12))

    def forward(self, x):
        return self.dec(self.enc(x))


def export(model: nn.Module, example: torch.Tensor, path: Path) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), str(path), verbose=False)
    return str(path)


def pytorch_accumulation(model: nn.Module, x: np.ndarray, target: np.ndarray, k: int, lr: float,
                         loss_fn) -> float:
    """PyTorch's gradient accumulation over `k` micro-batches; the mean loss."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    opt.zero_grad()
    b = len(x) // k
    losses = []
    for i in range(k):
        loss = loss_fn(model(torch.from_numpy(x[i * b:(i + 1) * b])), torch.from_numpy(target[i * b:(i + 1) * b]))
        (loss / k).backward()
        losses.append(loss.item())
    opt.step()
    return float(np.mean(losses))


def accumulated_step(path: str, options: ImportOptions, k: int, lr: float):
    """The exported model imported, every parameter trained, K micro-batches."""
    result = import_onnx(path, options)
    run_pipeline(make_context(), result.module,
                 f'train-finetune{{trainable="*"}},train-autodiff,train-accumulate{{micro_batches={k}}},'
                 f"train-sgd{{lr={lr}}}")
    return result


def check_against_pytorch(model: nn.Module, path: str, options: ImportOptions, k: int, lr: float,
                          inputs: dict[str, np.ndarray], loss_fn) -> None:
    """The accumulated step's loss and updated parameters on the reference
    interpreter against PyTorch's accumulation (`model` is updated)."""
    result = accumulated_step(path, options, k, lr)
    got = run_function(result.module, inputs, result.weights)
    x, target = inputs.values()
    loss = pytorch_accumulation(model, x, target, k, lr, loss_fn)
    np.testing.assert_allclose(got["loss"], loss, rtol=1e-5)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(got[f"{name}_updated"], p.detach().numpy(), rtol=1e-5, atol=1e-6,
                                   err_msg=name)


@pytest.mark.parametrize("k", [2, 3])
def test_cnn_accumulation_matches_pytorch(tmp_path: Path, k: int) -> None:
    b = 2
    torch.manual_seed(k)
    model = SmallCnn()
    path = export(model, torch.randn(b, 3, 6, 6), tmp_path / "cnn.onnx")
    rng = np.random.default_rng(k)
    x = rng.standard_normal((k * b, 3, 6, 6)).astype(np.float32)
    labels = (np.arange(k * b) * 3 + 1) % 5
    check_against_pytorch(model, path, ImportOptions(loss="cross-entropy", label="labels"), k, 0.1,
                          {"x": x, "labels": labels}, nn.functional.cross_entropy)


def test_autoencoder_accumulation_matches_pytorch(tmp_path: Path) -> None:
    b, k = 3, 4
    torch.manual_seed(0)
    model = AutoEncoder()
    path = export(model, torch.randn(b, 12), tmp_path / "ae.onnx")
    x = np.random.default_rng(1).standard_normal((k * b, 12)).astype(np.float32)
    check_against_pytorch(model, path, ImportOptions(loss="mse", label="target"), k, 0.05,
                          {"x": x, "target": x}, nn.functional.mse_loss)


def arena_peak(path: str, *flags: str) -> int:
    """The activation arena's peak, as `tdopt --stats` reports it."""
    import contextlib
    import io

    from tdopt.tools.tdopt import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        assert main([path, "--finetune", "*", "--emit", "linalg", "--stats", "-o", "/dev/null", *flags]) == 0
    found = re.search(r"activation arena \(peak\): (\d+) bytes", err.getvalue())
    assert found, err.getvalue()
    return int(found.group(1))


def test_accumulation_has_the_memory_of_a_micro_batch(tmp_path: Path) -> None:
    """K micro-batches of B samples against one batch of K*B: the
    activations of one micro-batch are dead before the next starts."""
    from tdopt.tools.tdimport import main as tdimport

    b, k = 2, 3
    torch.manual_seed(0)
    model = SmallCnn()
    steps = {}
    for batch in (b, k * b):
        onnx_path = export(model, torch.randn(batch, 3, 6, 6), tmp_path / f"b{batch}.onnx")
        steps[batch] = str(tmp_path / f"b{batch}.mlir")
        assert tdimport([onnx_path, "-o", steps[batch], "--loss", "cross-entropy", "--label", "labels"]) == 0
    micro = arena_peak(steps[b])
    accumulated = arena_peak(steps[b], "--accumulate", str(k))
    whole = arena_peak(steps[k * b])
    # the accumulators and the slices of the input come on top of a micro-batch
    assert micro < accumulated < 0.7 * whole, (micro, accumulated, whole)


def test_tdopt_accumulate_flag(tmp_path: Path, capsys) -> None:
    from tdopt.tools.tdopt import main

    src = tmp_path / "m.mlir"
    src.write_text(
        "func.func @f(%x: tensor<2x4xf32>, %t: tensor<2x4xf32>) -> tensor<f32> {\n"
        "  %w = train.param @w trainable : tensor<4xf32>\n"
        "  %y = train.mul %x, %w : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>\n"
        "  %l = train.mse %y, %t : (tensor<2x4xf32>, tensor<2x4xf32>) -> tensor<f32>\n"
        "  func.return %l : tensor<f32>\n}\n"
    )
    assert main([str(src), "--finetune", "*", "--accumulate", "3", "--print-pipeline"]) == 0
    printed = capsys.readouterr().out
    assert "train-autodiff,train-accumulate{micro_batches=3},train-sgd" in printed
    assert main([str(src), "--finetune", "*", "--accumulate", "3"]) == 0
    assert "func.func @f(%x: tensor<6x4xf32>, %t: tensor<6x4xf32>)" in capsys.readouterr().out
    assert main([str(src), "--accumulate", "2"]) == 1
    assert "--accumulate needs a training preset (--lora or --finetune)" in capsys.readouterr().err
    assert main([str(src), "--finetune", "*", "--accumulate", "0"]) == 1
    assert "--accumulate: the number of micro-batches is at least 1, got 0" in capsys.readouterr().err


def test_accumulated_step_on_the_rtl(tmp_path: Path) -> None:
    """The compiled step (8 cores, tensors tiled through a 64 KiB L1) gives
    the reference interpreter's results, which the tests above check
    against PyTorch."""
    from tdopt.tools.rtl_run import run_on_rtl

    b, k = 2, 2
    torch.manual_seed(0)
    path = export(AutoEncoder(), torch.randn(b, 12), tmp_path / "ae.onnx")
    result = accumulated_step(path, ImportOptions(loss="mse", label="target"), k, 0.05)
    module = result.module
    # the values tdimport would write to the weights file, inline instead
    for op in module.walk():
        if isinstance(op, train.ParamOp) and op.value is None:
            op.value = train.dense_from_numpy(result.weights[op.param_name])
    x = np.random.default_rng(2).standard_normal((k * b, 12)).astype(np.float32)
    inputs = {"x": x, "target": x}
    expected = run_function(module.clone(), inputs)
    run = run_on_rtl(make_context(), module, inputs, cores=8, l1="64k", tile_l1=True)
    assert run.results.keys() == expected.keys()
    for name, want in expected.items():
        np.testing.assert_allclose(run.results[name], want, rtol=1e-4, atol=1e-5, err_msg=name)
