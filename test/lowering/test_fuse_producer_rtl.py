"""Kernels fused into the one kernel that reads their output
(`kernel-fuse-producer`) on the RTL, cut into tiles on 8 cores: a layer
norm's affine chain ((x - mean) * gamma + beta, broadcasts included) and a
transpose feeding a matrix product, against numpy in float64; the fused
program has no transpose kernel and one call for the chain."""

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
func.func @main(%x: tensor<16x24xf32>, %g: tensor<24xf32>, %b: tensor<24xf32>, %w: tensor<20x24xf32>) -> tensor<16x20xf32> {
  %m = train.reduce_mean %x {axes = array<i64: 1>, keepdims = true} : (tensor<16x24xf32>) -> tensor<16x1xf32>
  %d = train.sub %x, %m : (tensor<16x24xf32>, tensor<16x1xf32>) -> tensor<16x24xf32>
  %s = train.mul %d, %g : (tensor<16x24xf32>, tensor<24xf32>) -> tensor<16x24xf32>
  %y = train.add %s, %b : (tensor<16x24xf32>, tensor<24xf32>) -> tensor<16x24xf32>
  %wt = train.transpose %w {perm = array<i64: 1, 0>} : (tensor<20x24xf32>) -> tensor<24x20xf32>
  %o = train.matmul %y, %wt : (tensor<16x24xf32>, tensor<24x20xf32>) -> tensor<16x20xf32>
  func.return %o : tensor<16x20xf32>
}
"""
# every tensor in L2 and 1 KiB of tiles: each kernel is cut
TILED = (
    "convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-add,kernel-fuse-producer,"
    "plan-memory{l1_budget=0},tier-tile-l1{budget=1024}"
)


def test_fused_chain_and_transpose_on_rtl(monkeypatch) -> None:
    rng = np.random.default_rng(11)
    inputs = {
        "x": rng.standard_normal((16, 24)).astype(np.float32),
        "g": rng.standard_normal(24).astype(np.float32),
        "b": rng.standard_normal(24).astype(np.float32),
        "w": rng.standard_normal((20, 24)).astype(np.float32),
    }
    module = parse_module(make_context(), SOURCE, "fuse.mlir")
    linalg = module.clone()
    run_pipeline(make_context(), linalg, TILED)
    kinds = [kernel_kind(f) for f in linalg.ops if isinstance(f, func.FuncOp) and kernel_kind(f) is not None]
    assert "transpose" not in kinds and "sub" not in kinds and "mul" not in kinds, kinds
    monkeypatch.setattr(pipeline, "to_linalg", lambda *args, **kwargs: TILED)
    run = run_on_rtl(make_context(), module, inputs, cores=8, l1="64k", tile_l1=True, max_cycles=5_000_000)
    x, g, b, w = (inputs[k].astype(np.float64) for k in "xgbw")
    y = (x - x.mean(axis=1, keepdims=True)) * g + b
    np.testing.assert_allclose(run.results["result0"], y @ w.T, rtol=1e-4, atol=1e-4)
