"""A Deeploy training step compiled and run on the cluster RTL (one core,
data in L2) reproduces the corpus `outputs.npz`: the one-block CCT of
models/Transformer_Train, imported from its ONNX Runtime training graph."""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

CORPUS = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "corpus", "deeploy", "models"
)
FOLDER = os.path.normpath(os.path.join(CORPUS, "Transformer_Train"))


@pytest.mark.skipif(not os.path.isdir(FOLDER), reason="the Deeploy corpus is not beside the checkout")
@pytest.mark.parametrize("cores", [1, 8])
def test_transformer_train_step_on_rtl(tmp_path, cores):
    model = tmp_path / "m.mlir"
    step = tmp_path / "step.mlir"
    out = tmp_path / "rtl.npz"
    subprocess.run(["tdimport", os.path.join(FOLDER, "network.onnx"), "-o", str(model)], check=True)
    subprocess.run(["tdopt", str(model), "-p", "train-autodiff,train-sgd", "-o", str(step)], check=True)
    run = subprocess.run(
        ["tdrun", str(step), "--inputs", os.path.join(FOLDER, "inputs.npz"), "--rtl",
         "--cores", str(cores), "--max-cycles", "50000000", "-o", str(out)],
        check=True, capture_output=True, text=True,
    )
    expected = np.load(os.path.join(FOLDER, "outputs.npz"))
    got = np.load(out)
    assert set(expected.files) <= set(got.files)
    for name in expected.files:
        np.testing.assert_allclose(got[name], expected[name], atol=1e-4, rtol=0, err_msg=name)
    assert got["rtl.cycles"] > 0 and "FLOP/cycle" in run.stdout
    if cores == 8:  # one core takes about 3 M cycles; the split must pay off
        assert got["rtl.cycles"] < 1_000_000


PAD = os.path.normpath(os.path.join(CORPUS, "..", "kernels", "FP32", "Pad"))


@pytest.mark.skipif(not os.path.isdir(PAD), reason="the Deeploy corpus is not beside the checkout")
def test_pad_kernel_on_rtl(tmp_path):
    """The corpus Pad (opset 10, pads as attributes, value -inf) imported as
    train.pad, run on 8 cores, equals outputs.npz exactly (issue 13)."""
    model = tmp_path / "m.mlir"
    out = tmp_path / "rtl.npz"
    subprocess.run(["tdimport", os.path.join(PAD, "network.onnx"), "-o", str(model)], check=True)
    subprocess.run(
        ["tdrun", str(model), "--inputs", os.path.join(PAD, "inputs.npz"), "--rtl", "--cores", "8", "-o", str(out)],
        check=True, capture_output=True, text=True,
    )
    expected = np.load(os.path.join(PAD, "outputs.npz"))
    got = np.load(out)["output"]
    np.testing.assert_array_equal(got, expected[expected.files[0]].reshape(got.shape))
    assert np.isneginf(got).sum() == 3 * (34 * 34 - 32 * 32)
