"""A tiled call copies the next tiled call's first tiles in during its own
last tile (`tier-prefetch-first-tiles`, the tile driver's `prefetch`), on
the RTL on 1 and 8 cores, against numpy in float64: three products, the
second independent of the first (its weight copied early: its input finds
no room beside the first call's buffers), the third reading the second's
output (only its weight copied early). The first two calls' tiles cut
their columns, so their last tiles compute while the next call's weight
arrives."""

from __future__ import annotations

import numpy as np
import pytest

from tdopt.dialects.tier import TiledCallOp
from tdopt.lowering import pipeline
from tdopt.lowering.pipeline import run_pipeline
from tdopt.tools.context import make_context
from tdopt.tools.diagnostics import parse_module
from tdopt.tools.rtl_run import run_on_rtl

SOURCE = """
func.func @main(%x: tensor<16x48xf32>, %w1: tensor<48x40xf32>, %u: tensor<16x48xf32>, %w2: tensor<48x40xf32>, %w3: tensor<40x12xf32>) -> (tensor<16x40xf32>, tensor<16x12xf32>) {
  %a = train.matmul %x, %w1 : (tensor<16x48xf32>, tensor<48x40xf32>) -> tensor<16x40xf32>
  %b = train.matmul %u, %w2 : (tensor<16x48xf32>, tensor<48x40xf32>) -> tensor<16x40xf32>
  %c = train.matmul %b, %w3 : (tensor<16x40xf32>, tensor<40x12xf32>) -> tensor<16x12xf32>
  func.return %a, %c : tensor<16x40xf32>, tensor<16x12xf32>
}
"""
# every tensor in L2, 10 KiB of tiles (passes/tier_prefetch_first_tiles.mlir
# has the layouts of this step with 8, 10 and 12 KiB)
TILED = (
    "convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},"
    "tier-tile-l1{budget=10240},kernel-fuse-fill,tier-prefetch-first-tiles{budget=10240}"
)


@pytest.mark.parametrize("cores", [1, 8])
def test_prefetch_on_rtl(monkeypatch, cores: int) -> None:
    rng = np.random.default_rng(3)
    shapes = {"x": (16, 48), "w1": (48, 40), "u": (16, 48), "w2": (48, 40), "w3": (40, 12)}
    inputs = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    module = parse_module(make_context(), SOURCE, "prefetch.mlir")
    linalg = module.clone()
    run_pipeline(make_context(), linalg, TILED)
    calls = [c for c in linalg.walk() if isinstance(c, TiledCallOp)]
    assert [c.prefetched_values() for c in calls] == [(), (1,), (1,)]
    # the first two calls have 4 tiles: the copies overlap their last tiles
    assert [c.grid_values() for c in calls] == [(4, 1, 1), (4, 1, 1), (1, 1, 1)]
    monkeypatch.setattr(pipeline, "to_linalg", lambda *args, **kwargs: TILED)
    run = run_on_rtl(make_context(), module, inputs, cores=cores, l1="64k", tile_l1=True, max_cycles=5_000_000)
    f64 = {k: v.astype(np.float64) for k, v in inputs.items()}
    expected = [f64["x"] @ f64["w1"], (f64["u"] @ f64["w2"]) @ f64["w3"]]
    for k, want in enumerate(expected):
        np.testing.assert_allclose(run.results[f"result{k}"], want, rtol=1e-4, atol=1e-4, err_msg=f"result{k}")
