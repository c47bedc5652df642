"""ONNX Runtime training graphs of the corpus (forward + SoftmaxCrossEntropyLoss
+ gradient ops + SGD) import as forward + loss, with exactly the tensors the
SGD nodes update trainable; the same as importing the forward-only graph
with --trainable and --loss."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tdopt.dialects import train
from tdopt.interpreter.reference import find_function
from tdopt.frontend.onnx import ImportFailure, ImportOptions, import_onnx

CORPUS = Path(os.environ.get("TDOPT_DEEPLOY_CORPUS", Path(__file__).parents[3] / "shared/corpus/deeploy"))
FOLDERS = ["models/CCT_Train/CCT2_LP", "models/CCT_Train/CCT2_LoRA1", "models/Transformer_Train"]
LR = 0.01

pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")


def trained_names(folder: str) -> set[str]:
    keys = np.load(CORPUS / folder / "outputs.npz").files
    return {k.removesuffix("_updated") for k in keys}


def params(result) -> list[train.ParamOp]:
    return [op for op in result.module.walk() if isinstance(op, train.ParamOp)]


@pytest.mark.parametrize("folder", FOLDERS)
def test_training_graph_imports_as_forward_and_loss(folder: str, run_module):
    result = import_onnx(str(CORPUS / folder / "network.onnx"))
    assert result.training is not None and result.training.dropped_nodes > 0
    f = find_function(result.module)
    assert [s.data for s in f.attributes["train.result_names"].data] == ["loss"]
    ret = f.body.block.last_op
    assert isinstance(ret.operands[0].owner, train.CrossEntropyOp)
    trainable = {p.param_name for p in params(result) if p.is_trainable}
    assert trainable == trained_names(folder)
    for p in params(result):
        if p.is_trainable:
            assert p.lr is not None and p.lr.value.data == pytest.approx(LR)
    loss = run_module(result, dict(np.load(CORPUS / folder / "inputs.npz")))["loss"]
    assert loss.shape == () and np.isfinite(loss) and loss > 0


@pytest.mark.parametrize("folder", [f for f in FOLDERS if (CORPUS / f / "network_infer.onnx").exists()])
def test_training_graph_matches_forward_graph_with_loss(folder: str, run_module):
    """network.onnx and network_infer.onnx + --trainable + --loss agree on
    the trainables and on the loss value."""
    names = trained_names(folder)
    infer = import_onnx(
        str(CORPUS / folder / "network_infer.onnx"),
        ImportOptions(trainable=",".join(sorted(names)), loss="cross-entropy", label="labels"),
    )
    assert {p.param_name for p in params(infer) if p.is_trainable} == names
    full = import_onnx(str(CORPUS / folder / "network.onnx"))
    inputs = dict(np.load(CORPUS / folder / "inputs.npz"))
    a = run_module(infer, inputs)["loss"]
    b = run_module(full, inputs)["loss"]
    np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_training_graph_rejects_a_second_loss():
    with pytest.raises(ImportFailure, match="already has its loss"):
        import_onnx(str(CORPUS / FOLDERS[0] / "network.onnx"),
                    ImportOptions(loss="mse", label="target"))


def test_trainable_option_replaces_the_sgd_set():
    result = import_onnx(str(CORPUS / "models/Transformer_Train/network.onnx"),
                         ImportOptions(trainable="classifier_fc_weight"))
    assert [p.param_name for p in params(result) if p.is_trainable] == ["classifier_fc_weight"]
    assert result.trainable == ["classifier_fc_weight"]
