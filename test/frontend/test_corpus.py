"""The importer against the Deeploy reference networks, read in place: every
folder imports and, run by the reference interpreter, reproduces
outputs.npz; training folders import as forward + loss with exactly the
trainable tensors their outputs.npz names."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tdopt.frontend.onnx import ImportFailure, import_onnx

CORPUS = Path(os.environ.get("TDOPT_DEEPLOY_CORPUS", Path(__file__).parents[3] / "shared/corpus/deeploy"))
RTOL, ATOL = 1e-4, 1e-5

# folders whose graphs hold ops the train dialect cannot express
NO_TRAIN_OP = "no train op for it"
OUT_OF_SCOPE = {
    "kernels/FP32/Softmax/CrossEntropyGrad": "a gradient op: tdopt derives gradients itself",
    "kernels/FP32/Softmax/Grad": "a gradient op: tdopt derives gradients itself",
}

# Deeploy reads SoftmaxCrossEntropyLoss's only output as the log-probabilities;
# ONNX (and tdimport) as the loss: checked against each other below
CROSS_ENTROPY = "kernels/FP32/Softmax/CrossEntropy"

TRAINING = {"models/CCT_Train/CCT2_LP", "models/CCT_Train/CCT2_LoRA1", "models/Transformer_Train"}


def folders() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(str(p.parent.relative_to(CORPUS)) for p in CORPUS.rglob("network.onnx"))


pytestmark = pytest.mark.skipif(not CORPUS.is_dir(), reason=f"no corpus at {CORPUS}")


def test_every_folder_is_classified():
    assert set(OUT_OF_SCOPE) <= set(folders())
    assert TRAINING <= set(folders())


@pytest.mark.parametrize("folder", [f for f in folders() if f not in TRAINING | {CROSS_ENTROPY}])
def test_inference_folder(folder: str, run_module):
    if folder in OUT_OF_SCOPE:
        # still a clean diagnostic naming the node, never a crash
        with pytest.raises(ImportFailure, match=r"cannot import \d+ ONNX node"):
            import_onnx(str(CORPUS / folder / "network.onnx"))
        pytest.skip(OUT_OF_SCOPE[folder])
    result = import_onnx(str(CORPUS / folder / "network.onnx"))
    inputs = dict(np.load(CORPUS / folder / "inputs.npz"))
    expected = dict(np.load(CORPUS / folder / "outputs.npz"))
    got = run_module(result, inputs)
    names = list(got)
    want = [expected[n] for n in names] if all(n in expected for n in names) else list(expected.values())
    assert len(want) == len(names)
    for name, w in zip(names, want):
        np.testing.assert_allclose(got[name], w.reshape(got[name].shape) if w.size == got[name].size else w,
                                   rtol=RTOL, atol=ATOL, err_msg=f"{folder}: output {name}")


def test_cross_entropy_kernel_is_the_mean_of_deeploys_log_probabilities(run_module):
    result = import_onnx(str(CORPUS / CROSS_ENTROPY / "network.onnx"))
    inputs = dict(np.load(CORPUS / CROSS_ENTROPY / "inputs.npz"))
    log_prob = np.load(CORPUS / CROSS_ENTROPY / "outputs.npz")["log_prob"]
    (loss,) = run_module(result, inputs).values()
    labels = inputs["labels"]
    want = -log_prob[np.arange(len(labels)), labels].mean()
    np.testing.assert_allclose(loss, want, rtol=RTOL, atol=ATOL)
