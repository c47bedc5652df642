"""The user's round trip on the Deeploy training steps: import the inference
ONNX (or the ONNX Runtime training graph), `train-autodiff,train-sgd`, run
the reference interpreter, and compare every `NAME_updated` with the
corpus `outputs.npz` (atol 1e-5). The corpus lives outside the repository."""

from __future__ import annotations

import os

import numpy as np
import pytest
from xdsl.context import Context
from xdsl.passes import PassPipeline

from tdopt.interpreter.reference import run_function
from tdopt.frontend.onnx import ImportFailure, ImportOptions, import_onnx
from tdopt.passes.registry import all_passes

CORPUS = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "corpus", "deeploy", "models"
)
pytestmark = pytest.mark.skipif(not os.path.isdir(CORPUS), reason="Deeploy corpus not present")


def expected(folder: str) -> dict[str, np.ndarray]:
    return dict(np.load(os.path.join(CORPUS, folder, "outputs.npz")))


def inputs(folder: str) -> dict[str, np.ndarray]:
    return dict(np.load(os.path.join(CORPUS, folder, "inputs.npz")))


def check(result: dict[str, np.ndarray], want: dict[str, np.ndarray]) -> None:
    assert np.isfinite(result["loss"])
    for name, value in want.items():
        assert name in result, f"{name} missing from the step's results {list(result)}"
        np.testing.assert_allclose(result[name], value, rtol=0, atol=1e-5, err_msg=name)


@pytest.mark.parametrize("folder", ["CCT_Train/CCT2_LP", "CCT_Train/CCT2_LoRA1"])
def test_cct_inference_graph(folder: str) -> None:
    want = expected(folder)
    trainable = ",".join(k.removesuffix("_updated") for k in want)
    imported = import_onnx(
        os.path.join(CORPUS, folder, "network_infer.onnx"),
        ImportOptions(trainable=trainable, loss="cross-entropy", label="labels"),
    )
    module = imported.module
    PassPipeline.parse_spec(all_passes(), "train-autodiff,train-sgd{lr=0.01}").apply(
        Context(), module
    )
    module.verify()
    check(run_function(module, inputs(folder), imported.weights), want)


def test_transformer_training_graph() -> None:
    folder = "Transformer_Train"
    try:
        imported = import_onnx(os.path.join(CORPUS, folder, "network.onnx"), ImportOptions())
    except ImportFailure as e:  # the importer's side (issue 4), not the passes'
        pytest.skip(f"tdimport cannot import the training graph yet: {e}")
    module = imported.module
    # no lr option: the learning rate comes from the graph's SGD nodes
    PassPipeline.parse_spec(all_passes(), "train-autodiff,train-sgd").apply(Context(), module)
    module.verify()
    check(run_function(module, inputs(folder), imported.weights), expected(folder))


def test_command_line_round_trip(tmp_path, capsys) -> None:
    """The three commands of the issue, in process."""
    from tdopt.tools import tdimport, tdopt, tdrun

    folder = os.path.join(CORPUS, "CCT_Train", "CCT2_LP")
    want = expected("CCT_Train/CCT2_LP")
    trainable = ",".join(k.removesuffix("_updated") for k in want)
    m, step, out = (str(tmp_path / n) for n in ("m.mlir", "step.mlir", "result.npz"))
    assert tdimport.main([os.path.join(folder, "network_infer.onnx"), "--trainable", trainable,
                          "--loss", "cross-entropy", "--label", "labels", "-o", m]) == 0
    assert tdopt.main([m, "-p", "train-autodiff,train-sgd{lr=0.01}", "-o", step]) == 0
    assert tdrun.main([step, "--inputs", os.path.join(folder, "inputs.npz"), "--reference",
                       "-o", out]) == 0, capsys.readouterr().err
    check(dict(np.load(out)), want)


def test_command_line_training_graph(tmp_path) -> None:
    """The learning rates of the SGD nodes survive the .mlir between the tools."""
    from tdopt.tools import tdimport, tdopt, tdrun

    folder = os.path.join(CORPUS, "Transformer_Train")
    m, step, out = (str(tmp_path / n) for n in ("m.mlir", "step.mlir", "result.npz"))
    assert tdimport.main([os.path.join(folder, "network.onnx"), "-o", m]) == 0
    assert tdopt.main([m, "-p", "train-autodiff,train-sgd", "-o", step]) == 0
    assert tdrun.main([step, "--inputs", os.path.join(folder, "inputs.npz"), "--reference",
                       "-o", out]) == 0
    check(dict(np.load(out)), expected("Transformer_Train"))
