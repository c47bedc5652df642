"""The DMA floor (analyses/dma_floor.py) against byte counts derived by hand
from each step's kernel calls, and against what tier-tile-l1 moves (the
floor is a lower bound of it)."""

from __future__ import annotations

import pytest
from xdsl.dialects.builtin import IntegerAttr, ModuleOp

from tdopt.analyses.dma_floor import reached_elements
from tdopt.tools.stats import module_stat
from tdopt.analyses.tile_access import OperandAccess
from tdopt.lowering.pipeline import run_pipeline
from tdopt.tools.context import make_context
from tdopt.tools.diagnostics import parse_module

LINEAR_MSE = """
func.func @main(%x: tensor<4x8xf32>, %t: tensor<4x2xf32>) -> tensor<f32> {
  %w = train.param @w trainable = dense<0.5> : tensor<8x2xf32>
  %y = train.matmul %x, %w : (tensor<4x8xf32>, tensor<8x2xf32>) -> tensor<4x2xf32>
  %l = train.mse %y, %t : (tensor<4x2xf32>, tensor<4x2xf32>) -> tensor<f32>
  func.return %l : tensor<f32>
}
"""


def chain(n: int) -> str:
    """x (8x16) @ w1 (16xn) = h (8xn); h @ w2 (nx4) = y (8x4)."""
    return f"""
func.func @main(%x: tensor<8x16xf32>, %w1: tensor<16x{n}xf32>, %w2: tensor<{n}x4xf32>) -> tensor<8x4xf32> {{
  %h = train.matmul %x, %w1 : (tensor<8x16xf32>, tensor<16x{n}xf32>) -> tensor<8x{n}xf32>
  %y = train.matmul %h, %w2 : (tensor<8x{n}xf32>, tensor<{n}x4xf32>) -> tensor<8x4xf32>
  func.return %y : tensor<8x4xf32>
}}
"""


def tiled(text: str, budget: int, train: bool = False) -> dict[str, int]:
    """The step through plan-memory (every tensor in L2) and tier-tile-l1
    with `budget` bytes of L1: its DMA statistics."""
    ctx = make_context()
    module = parse_module(ctx, text, "step.mlir")
    steps = "train-autodiff,train-sgd{lr=0.01}," if train else ""
    run_pipeline(ctx, module, steps + "train-schedule-updates,convert-train-to-linalg,linalg-generalize-named-ops,"
                 f"plan-memory{{l1_budget=0}},tier-tile-l1{{budget={budget}}}")
    return {k: module_stat(module, k) for k in ("dma_in", "dma_out", "dma_floor")}


def _int(module: ModuleOp, key: str) -> int:
    attr = module.attributes[key]
    assert isinstance(attr, IntegerAttr)
    return attr.value.data


def test_linear_mse_step_moves_each_tensor_once() -> None:
    """Everything fits 4 KiB: each global crosses once in (if read) and once
    out (if the step writes it); the temporaries (y, y - t, its scaled
    gradient, x^T, dW and lr * dW) stay in L1. x 4x8 (128 B), t 4x2 (32),
    w 8x2 (64 in, 64 out: SGD updates it in place), the two constants 1/n
    and lr (4 each), the loss (4 out)."""
    stats = tiled(LINEAR_MSE, 4096, train=True)
    assert stats["dma_floor"] == 128 + 32 + 64 + 64 + 4 + 4 + 4
    assert stats["dma_floor"] <= stats["dma_in"] + stats["dma_out"]


def test_chained_matmuls_intermediate_fits() -> None:
    """h (8x32, 1 KiB) is written by a fill kernel, accumulated by the
    first matmul and read by the second: with 4 KiB it stays in L1. Floor:
    x 512 + w1 2048 + w2 512 in, y 128 out (its fill kernel's zeros stay
    in L1 too). tier-tile-l1 moves h four times (fill out, in and out
    around the accumulation, in for the second matmul) and y three times:
    7552 bytes."""
    stats = tiled(chain(32), 4096)
    assert stats["dma_floor"] == 512 + 2048 + 512 + 128
    assert stats["dma_in"] + stats["dma_out"] == 512 + 2048 + 512 + 4 * 1024 + 3 * 128


def test_chained_matmuls_intermediate_does_not_fit() -> None:
    """h is 8x64 (2 KiB), L1 1536 bytes. Without reuse: x 512, w1 4096,
    w2 1024 in; h 4 x 2048 (fill out, in + out around the first matmul, in
    for the second); y 3 x 128 (fill out, in + out): 14208. Reuse: over
    the gap fill -> first matmul at most 1536 bytes of h stay (each saves
    its write-out and its read-in: 2 x 1536); over the gaps from the first
    matmul to the second, h and y's zeros share the 1536 bytes, each kept
    byte again saving two crossings (2 x 1536). Floor 14208 - 4 x 1536."""
    stats = tiled(chain(64), 1536)
    assert stats["dma_floor"] == 14208 - 4 * 1536
    moved = stats["dma_in"] + stats["dma_out"]
    assert stats["dma_floor"] < 14208 <= moved


@pytest.mark.parametrize(
    "coeffs, ranges, shape, want",
    [
        # a plain 2-D projection: every element
        (({0: 1}, {1: 1}), [4, 6], (4, 6), 24),
        # a stride-2 1x1 convolution over rows 0..2*3: rows 0,2,4,6 of 7
        (({0: 2}, {1: 1}), [4, 5], (7, 5), 20),
        # a 3-tap window of stride 1 over 6 outputs: 8 distinct rows
        (({0: 1, 1: 1},), [6, 3], (8,), 8),
        # stride 2 with 3 taps over 4 outputs: 0..8, all 9 rows
        (({0: 2, 1: 1},), [4, 3], (9,), 9),
        # the diagonal (d0, d0) of a 5x5 buffer: 5 elements
        (({0: 1}, {0: 1}), [5], (5, 5), 5),
        # a constant (a broadcast scalar)
        (({},), [7], (1,), 1),
    ],
)
def test_reached_elements(coeffs, ranges, shape, want) -> None:
    a = OperandAccess(shape, 4, coeffs, tuple(0 for _ in coeffs), False, False)
    assert reached_elements(a, ranges) == want


def test_floor_reads_the_step_before_tiling() -> None:
    from tdopt.analyses.dma_floor import dma_floor

    ctx = make_context()
    module = parse_module(ctx, chain(32), "step.mlir")
    run_pipeline(ctx, module, "convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{l1_budget=0},tier-tile-l1")
    with pytest.raises(ValueError, match="before tier-tile-l1"):
        dma_floor(module, 4096)
