"""An export with a dynamic batch (torch.onnx.export's dynamic_shapes)
imported at the batch `tdimport --batch N` gives: the step's loss and
SGD update match PyTorch's on N samples; without a size, or with a size
the export fixed otherwise, the import stops with a diagnostic."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")  # the default (dynamo) exporter needs it

from torch import nn  # noqa: E402

from tdopt.frontend.onnx import ImportOptions, import_onnx  # noqa: E402
from tdopt.frontend.onnx.errors import ImportFailure  # noqa: E402
from tdopt.interpreter.reference import run_function  # noqa: E402
from tdopt.lowering.pipeline import run_pipeline  # noqa: E402
from tdopt.tools.context import make_context  # noqa: E402


class SmallCnn(nn.Module):
    """Written as a PyTorch user writes it: conv, ReLU, flatten, linear."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 6 * 6, 5)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


def export(tmp_path: Path, dynamic: bool) -> tuple[nn.Module, str]:
    torch.manual_seed(0)
    model = SmallCnn().eval()
    path = str(tmp_path / ("dyn.onnx" if dynamic else "fixed.onnx"))
    kw = {"dynamic_shapes": {"x": {0: torch.export.Dim("batch")}}} if dynamic else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (torch.randn(2, 3, 6, 6),), path, verbose=False, **kw)
    return model, path


@pytest.mark.parametrize("batch", [1, 4])
def test_dynamic_batch_step_matches_pytorch_sgd(tmp_path: Path, batch: int) -> None:
    model, path = export(tmp_path, dynamic=True)
    result = import_onnx(path, ImportOptions(loss="cross-entropy", label="labels", batch=batch))
    module = result.module
    ctx = make_context()
    run_pipeline(ctx, module, 'train-finetune{trainable="*"},train-autodiff,train-sgd{lr=0.1}')
    rng = np.random.default_rng(batch)
    x = rng.standard_normal((batch, 3, 6, 6)).astype(np.float32)
    labels = (np.arange(batch) * 3 + 1) % 5
    got = run_function(module, {"x": x, "labels": labels}, result.weights)

    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(labels))
    opt.zero_grad()
    loss.backward()
    opt.step()
    np.testing.assert_allclose(got["loss"], loss.item(), rtol=1e-5)
    for name, p in model.named_parameters():
        np.testing.assert_allclose(got[f"{name}_updated"], p.detach().numpy(), rtol=1e-5, atol=1e-6)


def test_dynamic_batch_needs_a_size(tmp_path: Path) -> None:
    _, path = export(tmp_path, dynamic=True)
    with pytest.raises(ImportFailure, match=r"input 'x' has a dynamic dimension \('batch'\); "
                       r"give its size: --batch N .* or --dim batch=N"):
        import_onnx(path)
    with pytest.raises(ImportFailure, match="--dim seq: the model has no such symbolic dimension "
                       r"\(its symbols: 'batch'\)"):
        import_onnx(path, ImportOptions(dims={"seq": 3}))
    with pytest.raises(ImportFailure, match="--batch: a size must be at least 1, got 0"):
        import_onnx(path, ImportOptions(batch=0))
    # --dim names the same symbol
    module = import_onnx(path, ImportOptions(dims={"batch": 3})).module
    assert "tensor<3x3x6x6xf32>" in str(module)


def test_fixed_batch_is_kept_or_refused(tmp_path: Path) -> None:
    _, path = export(tmp_path, dynamic=False)
    # the export's own batch: nothing to bind
    assert "tensor<2x3x6x6xf32>" in str(import_onnx(path, ImportOptions(batch=2)).module)
    with pytest.raises(ImportFailure, match=r"--batch 4: input 'x' has a fixed leading dimension "
                       r"of 2; export with a dynamic batch .*or give --batch 2"):
        import_onnx(path, ImportOptions(batch=4))


def test_tdimport_batch_flags(tmp_path: Path, capsys) -> None:
    from tdopt.tools.tdimport import main

    _, path = export(tmp_path, dynamic=True)
    out = str(tmp_path / "m.mlir")
    assert main([path, "-o", out, "--batch", "3", "--loss", "cross-entropy", "--label", "y"]) == 0
    text = Path(out).read_text()
    assert "%x: tensor<3x3x6x6xf32>, %y: tensor<3xi64>" in text
    assert main([path, "-o", out, "--dim", "batch"]) == 1
    assert "--dim: 'batch' is not NAME=N" in capsys.readouterr().err
