"""The MLPerf Tiny models of examples/mlperf_tiny, written in PyTorch and
exported with the default `torch.onnx.export` (dynamo), import and train
one SGD step on the reference interpreter that matches PyTorch's own step
(loss and every updated parameter, rtol 1e-4)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from helpers import load_example

pytest.importorskip("onnxscript")

from xdsl.context import Context  # noqa: E402
from xdsl.passes import PassPipeline  # noqa: E402

from tdopt.interpreter.reference import argument_names, find_function, run_function  # noqa: E402
from tdopt.frontend.onnx import ImportOptions, import_onnx  # noqa: E402
from tdopt.passes.registry import all_passes  # noqa: E402

LR = 0.01
RTOL, ATOL = 1e-4, 1e-6




EX = load_example("mlperf_tiny/export.py")

# (model, trainable globs, export keeping BatchNorm)
CASES = [
    ("ds_cnn", ["fc.*"], False),
    ("ds_cnn", ["*"], False),
    ("resnet8", ["fc.*", "stack3.*"], False),
    ("resnet8", ["*"], False),
    ("mobilenet_v1", ["fc.*", "features.26.*"], False),
    ("mobilenet_v1", ["*"], False),
    ("deep_ae", ["out.*", "hidden.8.*"], False),
    ("deep_ae", ["*"], False),
    # optimize=False keeps BatchNormalization: its scale and bias train too
    ("ds_cnn", ["*"], True),
    ("resnet8", ["*"], True),
    ("deep_ae", ["*"], True),
]


def case_id(case) -> str:
    name, globs, keep = case
    which = "full" if globs == ["*"] else "last"
    return f"{name}-{which}" + ("-bn" if keep else "")


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_step_matches_pytorch(case, tmp_path: Path) -> None:
    name, globs, keep = case
    path = EX.export(name, str(tmp_path), keep_batchnorm=keep)
    data = dict(np.load(tmp_path / "inputs.npz"))
    label = "target" if "target" in data else "labels"
    loss = EX.MODELS[name][2]
    model = onnx.load(path)
    names = {i.name for i in model.graph.initializer}
    result = import_onnx(model, ImportOptions(trainable=",".join(globs), loss=loss, label=label))
    module = result.module
    PassPipeline.parse_spec(all_passes(), f"train-autodiff,train-sgd{{lr={LR}}}").apply(Context(), module)
    module.verify()
    f = find_function(module)
    feeds = dict(zip(argument_names(f), [data["x"], data[label]]))
    got = run_function(module, feeds, result.weights)

    want_loss, want = EX.torch_step(name, globs, LR, names, folded=not keep)
    assert want, "no trainable parameter matched"
    np.testing.assert_allclose(got["loss"], want_loss, rtol=RTOL)
    updated = {k.removesuffix("_updated") for k in got if k.endswith("_updated")}
    assert updated == set(want)
    for k, w in want.items():
        np.testing.assert_allclose(got[f"{k}_updated"], w, rtol=RTOL, atol=ATOL, err_msg=k)


def test_deep_ae_lora_step_matches_pytorch(tmp_path: Path) -> None:
    """`train-lora{rank=4}` on the exported Deep-AE (no block names: every
    linear layer but the output head gets an adapter) and one SGD step: the
    loss and the updated A and B of every adapter match PyTorch with the
    same adapters hooked onto its (BatchNorm-folded) linear layers, starting
    from the A values the pass drew."""
    from tdopt.dialects import train

    path = EX.export("deep_ae", str(tmp_path))
    data = dict(np.load(tmp_path / "inputs.npz"))
    model = onnx.load(path)
    names = {i.name for i in model.graph.initializer}
    result = import_onnx(model, ImportOptions(trainable="", loss="mse", label="target"))
    module = result.module
    PassPipeline.parse_spec(all_passes(), f"train-lora{{rank=4}},train-autodiff,train-sgd{{lr={LR}}}").apply(
        Context(), module
    )
    module.verify()
    initial_a = {
        op.param_name.removesuffix("_lora_A"): train.numpy_from_dense(op.value)
        for op in module.walk()
        if isinstance(op, train.ParamOp) and op.param_name.endswith("_lora_A")
    }
    assert len(initial_a) == 9 and "out.weight" not in initial_a
    f = find_function(module)
    got = run_function(module, dict(zip(argument_names(f), [data["x"], data["target"]])), result.weights)

    want_loss, want = EX.torch_step("deep_ae", [], LR, names, folded=True, lora=initial_a)
    np.testing.assert_allclose(got["loss"], want_loss, rtol=RTOL)
    updated = {k.removesuffix("_updated") for k in got if k.endswith("_updated")}
    assert updated == set(want) and len(want) == 18
    for k, w in want.items():
        np.testing.assert_allclose(got[f"{k}_updated"], w, rtol=RTOL, atol=ATOL, err_msg=k)
    # B starts at zero, so the first step moves B only: a check of A alone
    # could not fail
    assert any(np.abs(w).max() > 0 for k, w in want.items() if k.endswith("_lora_B"))
