"""`tdopt --plot-memory`: the series it draws (analyses/memory_plan.py)
against values derived by hand from a three-matmul step, the figure's
curves against the series, the PNG written by the tool, and the
diagnostics for bad output paths."""

from __future__ import annotations

import struct

import pytest

from tdopt.analyses.memory_plan import buffer_lifetimes, entries, memory_series
from tdopt.lowering.pipeline import run_pipeline
from tdopt.passes.plan_memory import plan_function
from tdopt.tools import tdopt as tdopt_tool
from tdopt.tools.context import make_context
from tdopt.tools.diagnostics import parse_module
from tdopt.tools.memory_plot import DPI, PANEL_HEIGHT, capacities, memory_figure

# x (8x16, 512 B) @ w1 (16x32, 2048 B) = h1 (1 KiB); h1 @ w2 (32x8, 1 KiB) =
# h2 (256 B); h2 @ w3 (8x4, 128 B) = y (128 B). Each matmul is two kernel
# calls: a zero fill of its output, then the multiply-accumulate.
THREE_MATMULS = """
func.func @main(%x: tensor<8x16xf32>, %w1: tensor<16x32xf32>, %w2: tensor<32x8xf32>, %w3: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %h1 = train.matmul %x, %w1 : (tensor<8x16xf32>, tensor<16x32xf32>) -> tensor<8x32xf32>
  %h2 = train.matmul %h1, %w2 : (tensor<8x32xf32>, tensor<32x8xf32>) -> tensor<8x8xf32>
  %y = train.matmul %h2, %w3 : (tensor<8x8xf32>, tensor<8x4xf32>) -> tensor<8x4xf32>
  func.return %y : tensor<8x4xf32>
}
"""


def planned(l1_budget: int):
    ctx = make_context()
    module = parse_module(ctx, THREE_MATMULS, "three.mlir")
    run_pipeline(ctx, module, f"convert-train-to-linalg,linalg-generalize-named-ops,plan-memory{{l1_budget={l1_budget}}}")
    return module


def test_series_of_three_matmuls() -> None:
    """plan-memory with 2 KiB of L1: the arena (peak 1280: h1 and h2 both
    live at the second matmul) goes first, then the smallest globals while
    they fit: w3 (128), y (128), x (512), 2048 in all; w2 and w1 stay in L2
    (3072). h1 lives from its fill (call 0) to the second matmul (call 3),
    h2 from its fill (2) to the third matmul (5)."""
    s = memory_series(planned(2048))
    assert len(s.calls) == 6
    assert s.live["L1"] == [768 + 1024] * 2 + [768 + 1024 + 256] * 2 + [768 + 256] * 2
    assert s.live["L2"] == [3072] * 6
    assert s.live["L3"] == [0] * 6
    # the five largest, each at the call where its tier peaks in its life
    assert [(name, tier, size, k) for name, tier, size, k in s.labels] == [
        ("w1", "L2", 2048, 0),
        (s.labels[1][0], "L1", 1024, 2),  # h1 (no SSA name: named by its first call)
        ("w2", "L2", 1024, 0),
        ("x", "L1", 512, 2),  # live all step: L1 peaks at calls 2-3
        (s.labels[4][0], "L1", 256, 2),  # h2
    ]
    assert s.labels[1][0] == f"{s.calls[0]}#0" and s.labels[4][0] == f"{s.calls[2]}#0"


def test_lifetimes_agree_with_plan_memory() -> None:
    """The analysis reads lifetimes with plan-memory's own rule."""
    (f,) = entries(planned(0))
    mine = buffer_lifetimes(f)
    theirs = {iv.alloc: (iv.start, iv.end) for iv in plan_function(f).intervals}
    assert mine == theirs and len(mine) == 2


def test_figure_draws_the_series() -> None:
    s = memory_series(planned(2048))
    fig = memory_figure(s, capacities(None, 2 * 1024 * 1024), "t")
    axes = fig.axes
    assert [ax.get_ylabel() for ax in axes] == ["L1 bytes", "L2 bytes"]  # L3 is empty
    for ax, tier in zip(axes, ("L1", "L2")):
        assert list(ax.lines[0].get_ydata()) == s.live[tier]
    texts = [t.get_text() for ax in axes for t in ax.texts]
    assert "w1 (2.0 KiB)" in texts and len(texts) == 5


def test_tool_writes_a_png(tmp_path) -> None:
    """Any --emit: the default (train) result is planned on a copy."""
    src = tmp_path / "three.mlir"
    src.write_text(THREE_MATMULS)
    png = tmp_path / "plan.png"
    assert tdopt_tool.main([str(src), "--plot-memory", str(png), "-o", str(tmp_path / "o.mlir")]) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk
    # 128 KiB L1 by default: plan-memory keeps every tensor of this step in
    # L1, so one panel
    assert (width, height) == (10 * DPI, round((PANEL_HEIGHT + 0.6) * DPI))
    assert "train.matmul" in (tmp_path / "o.mlir").read_text()


@pytest.mark.parametrize(
    "where, message",
    [
        ("three.mlir", "would overwrite the input"),
        ("missing/plan.png", "does not exist"),
        ("plan.xyz", "is not an image format"),
    ],
)
def test_bad_plot_paths(tmp_path, capsys, where, message) -> None:
    src = tmp_path / "three.mlir"
    src.write_text(THREE_MATMULS)
    out = tmp_path / where
    assert tdopt_tool.main([str(src), "--emit=linalg", "--plot-memory", str(out)]) != 0
    err = capsys.readouterr().err
    assert f"--plot-memory {out}" in err and message in err, err
    assert src.read_text() == THREE_MATMULS and not (tmp_path / "plan.xyz").exists()


def test_tool_draws_the_plan_of_a_tiled_build(tmp_path) -> None:
    """--emit=asm: the plan as tier-tile-l1 left it (captured between the
    passes). A 16 KiB L1 leaves 4 KiB for tensors in place: the arena
    (1280 B) and the small tensors go there, w1 and w2 to L2: two panels."""
    src = tmp_path / "three.mlir"
    src.write_text(THREE_MATMULS)
    png = tmp_path / "plan.png"
    argv = [str(src), "--tile-l1=16k", "--plot-memory", str(png), "-o", str(tmp_path / "o.s")]
    assert tdopt_tool.main(argv) == 0
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (10 * DPI, round((2 * PANEL_HEIGHT + 0.6) * DPI))
    assert "tdrt_tiled" in (tmp_path / "o.s").read_text()


def test_plot_memory_draws_one_module(tmp_path, capsys) -> None:
    src = tmp_path / "three.mlir"
    src.write_text(THREE_MATMULS)
    png = tmp_path / "plan.png"
    argv = [str(src), "--split-input-file", "--emit=linalg", "--plot-memory", str(png)]
    assert tdopt_tool.main(argv) != 0
    assert "--plot-memory draws one module" in capsys.readouterr().err
    assert not png.exists()


def test_help_documents_plot_memory(capsys) -> None:
    with pytest.raises(SystemExit):
        tdopt_tool.main(["--help"])
    assert "--plot-memory OUT.png" in capsys.readouterr().out


def test_plot_memory_needs_a_step_or_a_plan(tmp_path, capsys) -> None:
    src = tmp_path / "plain.mlir"
    src.write_text("func.func @f() {\n  func.return\n}\n")
    png = tmp_path / "plan.png"
    assert tdopt_tool.main([str(src), "--plot-memory", str(png)]) != 0
    assert "has no memory plan and is not a training step" in capsys.readouterr().err
    assert not png.exists()
