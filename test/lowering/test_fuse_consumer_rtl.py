"""Kernels computed as a second output of the kernel whose output they read
(`kernel-fuse-consumer`) on the RTL, cut into tiles on 8 cores: a dense
layer's bias add and ReLU (the pre-activation kept for a gradient, and in a
second layer not written back), and a ReLU's gradient and its scaling by a
learning rate, against numpy in float64; the fused program has no ReLU and
no scaling kernel of its own."""

from __future__ import annotations

import numpy as np
from xdsl.dialects import func

from tdopt.dialects.cluster import kernel_kind
from tdopt.lowering import pipeline
from tdopt.lowering.pipeline import run_pipeline
from tdopt.tools.context import make_context
from tdopt.tools.diagnostics import parse_module
from tdopt.tools.rtl_run import run_on_rtl

SOURCE = """
func.func @main(%x: tensor<16x24xf32>, %w: tensor<20x24xf32>, %b: tensor<20xf32>, %dy: tensor<16x20xf32>, %lr: tensor<f32>, %w2: tensor<12x20xf32>, %b2: tensor<12xf32>) -> (tensor<16x20xf32>, tensor<16x20xf32>, tensor<16x20xf32>, tensor<16x12xf32>) {
  %y = train.gemm %x, %w, %b {trans_b} : (tensor<16x24xf32>, tensor<20x24xf32>, tensor<20xf32>) -> tensor<16x20xf32>
  %z = train.relu %y : (tensor<16x20xf32>) -> tensor<16x20xf32>
  %dz = grad.relu %y, %dy : (tensor<16x20xf32>, tensor<16x20xf32>) -> tensor<16x20xf32>
  %s = train.mul %dz, %lr : (tensor<16x20xf32>, tensor<f32>) -> tensor<16x20xf32>
  %y2 = train.gemm %z, %w2, %b2 {trans_b} : (tensor<16x20xf32>, tensor<12x20xf32>, tensor<12xf32>) -> tensor<16x12xf32>
  %z2 = train.relu %y2 : (tensor<16x12xf32>) -> tensor<16x12xf32>
  func.return %z, %dz, %s, %z2 : tensor<16x20xf32>, tensor<16x20xf32>, tensor<16x20xf32>, tensor<16x12xf32>
}
"""
# every tensor in L2 and 1 KiB of tiles: each kernel is cut
TILED = (
    "convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-add,kernel-fuse-producer,"
    "kernel-fuse-consumer,plan-memory{l1_budget=0},tier-tile-l1{budget=1024}"
)


def test_fused_outputs_on_rtl(monkeypatch) -> None:
    rng = np.random.default_rng(5)
    inputs = {
        "x": rng.standard_normal((16, 24)).astype(np.float32),
        "w": rng.standard_normal((20, 24)).astype(np.float32),
        "b": rng.standard_normal(20).astype(np.float32),
        "dy": rng.standard_normal((16, 20)).astype(np.float32),
        "lr": np.array(0.125, dtype=np.float32),
        "w2": rng.standard_normal((12, 20)).astype(np.float32),
        "b2": rng.standard_normal(12).astype(np.float32),
    }
    module = parse_module(make_context(), SOURCE, "fuse.mlir")
    linalg = module.clone()
    run_pipeline(make_context(), linalg, TILED)
    kinds = [kernel_kind(f) for f in linalg.ops if isinstance(f, func.FuncOp) and kernel_kind(f) is not None]
    assert "relu" not in kinds and "mul" not in kinds, kinds
    monkeypatch.setattr(pipeline, "to_linalg", lambda *args, **kwargs: TILED)
    run = run_on_rtl(make_context(), module, inputs, cores=8, l1="64k", tile_l1=True, max_cycles=5_000_000)
    x, w, b, dy = (inputs[k].astype(np.float64) for k in ("x", "w", "b", "dy"))
    y = x @ w.T + b
    dz = np.where(y > 0, dy, 0.0)
    np.testing.assert_allclose(run.results["result0"], np.maximum(y, 0.0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(run.results["result1"], dz, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(run.results["result2"], dz * 0.125, rtol=1e-4, atol=1e-4)
    w2, b2 = (inputs[k].astype(np.float64) for k in ("w2", "b2"))
    z2 = np.maximum(np.maximum(y, 0.0) @ w2.T + b2, 0.0)
    np.testing.assert_allclose(run.results["result3"], z2, rtol=1e-4, atol=1e-4)
