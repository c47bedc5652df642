"""The documented PyTorch path (examples/pytorch): torch.onnx.export (the
default dynamo exporter, and the TorchScript one with dynamo=False) of a
small CNN, a Transformer block and an einsum CCT, tdimport, the reference
interpreter matching PyTorch's output."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")

EXAMPLE = Path(__file__).parents[2] / "examples" / "pytorch" / "roundtrip.py"


def load_example():
    spec = importlib.util.spec_from_file_location("tdopt_pytorch_example", EXAMPLE)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up there
    spec.loader.exec_module(mod)
    return mod


EX = load_example()


@pytest.mark.parametrize("torchscript", [False, True], ids=["default", "torchscript"])
@pytest.mark.parametrize("index", range(len(EX.examples())), ids=[e[0] for e in EX.examples()])
def test_pytorch_roundtrip(index: int, torchscript: bool, tmp_path: Path):
    if not torchscript:
        pytest.importorskip("onnxscript")  # the dynamo exporter needs it
    name, model, example = EX.examples(seed=index)[index]
    r = EX.roundtrip(name, model, example, str(tmp_path), torchscript)
    assert (tmp_path / f"{name}.mlir").exists() and (tmp_path / f"{name}.npz").exists()
    np.testing.assert_allclose(r.tdopt_output, r.torch_output, rtol=1e-4, atol=1e-5)
