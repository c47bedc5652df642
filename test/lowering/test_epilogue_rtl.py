"""Elementwise kernels run as the epilogue of the product whose output they
read (`kernel-schedule-epilogues`, `tier-tile-l1`, `kernel-fold-epilogue`,
`convert-cluster-epilogue`, the tile driver's epilogue), on the RTL on 8
cores, cut into tiles, against numpy in float64:
- a dense layer's bias add and ReLU after its product;
- a ReLU's gradient and its scaling by a learning rate after the product
  that gives the gradient it masks, moved up past an unrelated kernel;
- a bias added in place to a product's output that a later kernel reads,
  with a second output computed from it and another input.
Folded into the product's kernel (computed where it stores its sums; a
product's output nothing else reads is then not stored at all), and
run by the tile driver as a kernel of its own (kernel-fold-epilogue left
out of the pipeline): both give the reference's values."""

from __future__ import annotations

import numpy as np
import pytest
from xdsl.dialects import func

from tdopt.dialects.cluster import EpilogueOp, kernel_kind
from tdopt.dialects.tier import TiledCallOp
from tdopt.lowering import pipeline
from tdopt.lowering.pipeline import run_pipeline
from tdopt.tools.context import make_context
from tdopt.tools.diagnostics import parse_module
from tdopt.tools.rtl_run import run_on_rtl

SOURCE = """
func.func @main(%x: tensor<16x24xf32>, %w: tensor<20x24xf32>, %b: tensor<20xf32>, %dy: tensor<16x12xf32>, %w2: tensor<12x20xf32>, %v: tensor<12x20xf32>, %lr: tensor<f32>, %w3: tensor<10x20xf32>, %b3: tensor<10xf32>, %t: tensor<16x10xf32>) -> (tensor<16x20xf32>, tensor<16x20xf32>, tensor<16x20xf32>, tensor<12x20xf32>, tensor<16x10xf32>, tensor<16x10xf32>) {
  %y = train.gemm %x, %w, %b {trans_b} : (tensor<16x24xf32>, tensor<20x24xf32>, tensor<20xf32>) -> tensor<16x20xf32>
  %z = train.relu %y : (tensor<16x20xf32>) -> tensor<16x20xf32>
  %dx = train.matmul %dy, %w2 : (tensor<16x12xf32>, tensor<12x20xf32>) -> tensor<16x20xf32>
  %u = train.mul %v, %lr : (tensor<12x20xf32>, tensor<f32>) -> tensor<12x20xf32>
  %g = grad.relu %z, %dx : (tensor<16x20xf32>, tensor<16x20xf32>) -> tensor<16x20xf32>
  %s = train.mul %g, %lr : (tensor<16x20xf32>, tensor<f32>) -> tensor<16x20xf32>
  %o = train.gemm %z, %w3, %b3 {trans_b} : (tensor<16x20xf32>, tensor<10x20xf32>, tensor<10xf32>) -> tensor<16x10xf32>
  %d = train.sub %o, %t : (tensor<16x10xf32>, tensor<16x10xf32>) -> tensor<16x10xf32>
  func.return %z, %g, %s, %u, %o, %d : tensor<16x20xf32>, tensor<16x20xf32>, tensor<16x20xf32>, tensor<12x20xf32>, tensor<16x10xf32>, tensor<16x10xf32>
}
"""
# every tensor in L2 and 4 KiB of tiles: each product is cut along its rows
# or columns (never its reductions, 24 and 12 and 20 long)
TILED = (
    "convert-train-to-linalg,linalg-generalize-named-ops,kernel-fuse-add,kernel-fuse-producer,"
    "kernel-fuse-consumer,kernel-schedule-epilogues,plan-memory{l1_budget=0},"
    "tier-tile-l1{budget=4096},kernel-fuse-fill"
)


def _inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(7)
    shapes = {"x": (16, 24), "w": (20, 24), "b": (20,), "dy": (16, 12), "w2": (12, 20),
              "v": (12, 20), "w3": (10, 20), "b3": (10,), "t": (16, 10)}
    inputs = {k: rng.standard_normal(s).astype(np.float32) for k, s in shapes.items()}
    inputs["lr"] = np.array(0.125, dtype=np.float32)
    return inputs


@pytest.mark.parametrize("fold", [True, False], ids=["folded", "driver"])
def test_epilogues_on_rtl(monkeypatch, fold: bool) -> None:
    inputs = _inputs()
    tiled = TILED + (",kernel-fold-epilogue" if fold else "")
    module = parse_module(make_context(), SOURCE, "epilogue.mlir")
    linalg = module.clone()
    run_pipeline(make_context(), linalg, tiled)
    kernels = {f.sym_name.data: f for f in linalg.ops if isinstance(f, func.FuncOp)}
    calls = [c for c in linalg.walk() if isinstance(c, TiledCallOp)]
    # what the calls run as their kernels (an epilogue kernel keeps its kind)
    kinds = [kernel_kind(kernels[c.callee.string_value()]) for c in calls]
    folded = [f for f in linalg.ops if isinstance(f, func.FuncOp) and any(isinstance(o, EpilogueOp) for o in f.walk())]
    # the three products carry the ReLU, the ReLU's gradient and the bias
    # add; the scaling of an unrelated tensor stays a kernel of its own
    with_epilogue = [c for c in calls if c.epilogue_callee is not None]
    if fold:
        assert len(folded) == 3 and not with_epilogue, (kinds, [c.callee for c in calls])
        # the pre-activation and the unmasked gradient are read by nothing
        # else: not stored; the output layer's sum is (the bias is added in
        # place and the result returned)
        discarded = [e for f in folded for e in f.walk() if isinstance(e, EpilogueOp) and e.discard_result]
        assert len(discarded) == 2
    else:
        assert len(with_epilogue) == 3 and not folded, [c.callee for c in calls]
    assert "relu" not in kinds and "grad_relu" not in kinds and kinds.count("mul") == 1, kinds
    monkeypatch.setattr(pipeline, "to_linalg", lambda *args, **kwargs: tiled)
    run = run_on_rtl(make_context(), module, inputs, cores=8, l1="64k", tile_l1=True, max_cycles=5_000_000)
    f64 = {k: v.astype(np.float64) for k, v in inputs.items()}
    y = f64["x"] @ f64["w"].T + f64["b"]
    z = np.maximum(y, 0.0)
    dx = f64["dy"] @ f64["w2"]
    g = np.where(z > 0, dx, 0.0)
    o = z @ f64["w3"].T + f64["b3"]
    expected = [z, g, g * 0.125, f64["v"] * 0.125, o, o - f64["t"]]
    for k, want in enumerate(expected):
        np.testing.assert_allclose(run.results[f"result{k}"], want, rtol=1e-4, atol=1e-4, err_msg=f"result{k}")
