"""The smallest MLPerf Tiny step (examples/mlperf_tiny): the BatchNorm
Deep-AE written in PyTorch, exported with the default `torch.onnx.export`,
its last two layers fine-tuned for one SGD step, compiled with every kernel
tiled through a 128 KiB L1 and run on the 8-core cluster RTL: the loss and
the updated parameters match PyTorch's own step (the other models run in
tdbench: `tdbench --rows ds-cnn/last-block,resnet8/last-stack,...`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
import pytest
from helpers import load_example

pytest.importorskip("onnxscript")

from xdsl.context import Context  # noqa: E402
from xdsl.passes import PassPipeline  # noqa: E402

from tdopt.dialects import train  # noqa: E402
from tdopt.interpreter.reference import argument_names, find_function  # noqa: E402
from tdopt.frontend.onnx import ImportOptions, import_onnx  # noqa: E402
from tdopt.passes.registry import all_passes  # noqa: E402
from tdopt.tools.context import make_context  # noqa: E402
from tdopt.tools.rtl_run import run_on_rtl  # noqa: E402





def test_deep_ae_last_layers_step_on_8_cores_tiled(tmp_path: Path) -> None:
    ex = load_example("mlperf_tiny/export.py")
    globs = ["out.*", "hidden.8.*"]
    path = ex.export("deep_ae", str(tmp_path))
    data = dict(np.load(tmp_path / "inputs.npz"))
    model = onnx.load(path)
    result = import_onnx(model, ImportOptions(trainable=",".join(globs), loss="mse", label="target"))
    module = result.module
    PassPipeline.parse_spec(all_passes(), "train-autodiff,train-sgd{lr=0.01}").apply(Context(), module)
    f = find_function(module)
    feeds = dict(zip(argument_names(f), [data["x"], data["target"]]))
    # the values tdimport would write to the weights file, inline instead
    for op in module.walk():
        if isinstance(op, train.ParamOp) and op.value is None:
            op.value = train.dense_from_numpy(result.weights[op.param_name])
    run = run_on_rtl(make_context(), module, feeds, cores=8, l1="128k", tile_l1=True,
                     max_cycles=20_000_000)

    want_loss, want = ex.torch_step("deep_ae", globs, 0.01, {i.name for i in model.graph.initializer},
                                    folded=True)
    np.testing.assert_allclose(run.results["loss"], want_loss, rtol=1e-4)
    assert {k.removesuffix("_updated") for k in run.results if k.endswith("_updated")} == set(want)
    for k, w in want.items():
        np.testing.assert_allclose(run.results[f"{k}_updated"], w, rtol=1e-4, atol=1e-6, err_msg=k)
    assert run.counters["cycles"] > 0 and run.flops > 0
