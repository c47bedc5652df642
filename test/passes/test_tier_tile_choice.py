"""tier-tile-l1's choice of tiles: the bytes its cost model says a tiling
copies (`moved_bytes`, a closed form) are the bytes the tile driver moves
for the tiled call it makes (`TiledCallOp.dma_bytes`, which walks the grid as the
driver does), for every tiled call of a CCT block step and a CNN step; and
by that model some of the choices cost less than shrinking one loop at a
time (`_shrink`, the search the pass used before) would."""

from __future__ import annotations

from pathlib import Path

import pytest

from xdsl.dialects import func
from xdsl.traits import SymbolTable

from tdopt.analyses.tile_access import analyze_kernel
from tdopt.dialects.cluster import ENTRY
from tdopt.dialects.tier import TiledCallOp
from tdopt.dialects.weights import absolutize_weights
from tdopt.lowering.pipeline import run_pipeline
from tdopt.passes import tier_tile_l1
from tdopt.target import CLUSTER
from tdopt.tools.context import make_context
from tdopt.tools.diagnostics import parse_module

ROOT = Path(__file__).resolve().parents[2]
BLOCK = ROOT / "examples" / "cct_block" / "encoder_block.mlir"

CNN = """
func.func @main(%x: tensor<2x8x8x8xf32>, %labels: tensor<2xi64>) -> tensor<f32> {
  %w1 = train.param @w1 trainable = dense<0.01> : tensor<32x8x3x3xf32>
  %w2 = train.param @w2 trainable = dense<0.02> : tensor<64x32x3x3xf32>
  %fc = train.param @fc trainable = dense<0.03> : tensor<10x4096xf32>
  %c1 = train.conv2d %x, %w1 {pads = array<i64: 1, 1, 1, 1>} : (tensor<2x8x8x8xf32>, tensor<32x8x3x3xf32>) -> tensor<2x32x8x8xf32>
  %r1 = train.relu %c1 : (tensor<2x32x8x8xf32>) -> tensor<2x32x8x8xf32>
  %c2 = train.conv2d %r1, %w2 {pads = array<i64: 1, 1, 1, 1>} : (tensor<2x32x8x8xf32>, tensor<64x32x3x3xf32>) -> tensor<2x64x8x8xf32>
  %r2 = train.relu %c2 : (tensor<2x64x8x8xf32>) -> tensor<2x64x8x8xf32>
  %f = train.reshape %r2 : (tensor<2x64x8x8xf32>) -> tensor<2x4096xf32>
  %o = train.gemm %f, %fc {trans_b} : (tensor<2x4096xf32>, tensor<10x4096xf32>) -> tensor<2x10xf32>
  %l = train.cross_entropy %o, %labels : (tensor<2x10xf32>, tensor<2xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}
"""


def tiled_step(text: str, name: str, strategy: str, budget: int, monkeypatch) -> list[tuple]:
    """The step through tier-tile-l1, with what was decided for each tiled
    call next to it: the plan (chosen once for kernels of the same loops
    and accesses), the greedy search's plan and the cost model."""
    decided: dict[str, tuple] = {}
    make_call = tier_tile_l1._tiled_call

    def recording(args, tile_kernel, accesses, resident, plan):
        # the kernel the tile kernel was made from: its name is the tile
        # kernel's up to the tile ("k_gemm_0_1" of "k_gemm_0_1_t32x16x128")
        owner = args[0].owner
        module = owner.parent_op().parent_op()
        names = [f.sym_name.data for f in module.ops if isinstance(f, func.FuncOp)]
        name = max((n for n in names if tile_kernel.startswith(n + "_t")), key=len)
        kernel = SymbolTable.lookup_symbol(module, name)
        g = analyze_kernel(kernel)[0]
        reductions = [k for k, t in enumerate(g.iterator_types) if t.data.value == "reduction"][:1]
        shrunk = None
        for floor in (tier_tile_l1.MIN_REDUCTION_TILE, 1):
            shrunk = tier_tile_l1._shrink(g, accesses, resident, budget, CLUSTER.cores, reductions, floor)
            if shrunk is not None:
                break
        cost = lambda p: tier_tile_l1.plan_cost(g, accesses, resident, p, CLUSTER.cores)  # noqa: E731
        decided[tile_kernel] = (accesses, resident, cost, plan, shrunk)
        return make_call(args, tile_kernel, accesses, resident, plan)

    monkeypatch.setattr(tier_tile_l1, "_tiled_call", recording)
    ctx = make_context()
    module = parse_module(ctx, text, name)
    absolutize_weights(module, str(Path(name).parent))
    run_pipeline(ctx, module, strategy)
    # every tensor in L2, `budget` bytes of L1 for tiles
    run_pipeline(ctx, module, "train-schedule-updates,convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},"
                 f"tier-tile-l1{{budget={budget}}}")
    entry = next(f for f in module.ops if ENTRY in f.attributes)
    calls = [op for op in entry.body.block.ops if isinstance(op, TiledCallOp)]
    assert len(calls) > 5
    return [(*decided[c.callee.string_value()], c) for c in calls]


@pytest.mark.parametrize("case", ["cct-block-lora", "cnn"])
def test_cost_model_counts_what_the_driver_moves(case: str, monkeypatch) -> None:
    if case == "cnn":
        steps = tiled_step(CNN, "cnn.mlir", 'train-finetune{trainable="*"},train-autodiff,train-sgd', 16 * 1024,
                           monkeypatch)
    else:
        steps = tiled_step(BLOCK.read_text(), str(BLOCK), "train-lora{rank=2},train-autodiff,train-sgd",
                           8 * 1024, monkeypatch)
    better = worse = 0
    for accesses, resident, cost, plan, shrunk, call in steps:
        moved_in, moved_out = call.dma_bytes()
        assert tier_tile_l1.moved_bytes(accesses, plan.tile, plan.ranges, resident, plan.grid_dims) == (
            moved_in + moved_out
        ), (call.callee, plan)
        assert shrunk is not None
        # (the tilings _cheapest ranks first, for the cluster split and a
        # core's register block, may cost more than the greedy one's)
        better += cost(plan) < cost(shrunk)
        worse += cost(plan) > cost(shrunk)
    if case == "cnn":  # (the CCT block's kernels are too small to differ)
        assert better >= 10 and worse == 0, (better, worse)
