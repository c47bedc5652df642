"""tdbench's options, header and table; the per-call profile of the entry
(`convert-entry-to-riscv{profile=true}`, `run_on_rtl(..., profile=True)`)
and the roofline plot."""

from __future__ import annotations

import csv
import subprocess

import numpy as np
import pytest

from tdopt.dialects.cluster import CycleStampOp
from tdopt.lowering.pipeline import run_pipeline, to_linalg
from tdopt.tools import tdbench
from tdopt.tools.context import make_context
from tdopt.tools.diagnostics import parse_module
from tdopt.tools.rtl_run import entry_calls, run_on_rtl


def gemm_source(m: int, k: int, n: int) -> str:
    return (
        f"func.func @main(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n}xf32>) -> "
        f"tensor<{m}x{n}xf32> {{\n"
        f"  %c = train.matmul %a, %b : (tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) "
        f"-> tensor<{m}x{n}xf32>\n  func.return %c : tensor<{m}x{n}xf32>\n}}\n"
    )


def two_matmuls_source(n: int) -> str:
    """(a @ b) @ b: two kernel calls (each matmul's zero fill is fused into
    it by kernel-fuse-fill)."""
    t = f"tensor<{n}x{n}xf32>"
    return (
        f"func.func @main(%a: {t}, %b: {t}) -> {t} {{\n"
        f"  %c = train.matmul %a, %b : ({t}, {t}) -> {t}\n"
        f"  %d = train.matmul %c, %b : ({t}, {t}) -> {t}\n"
        f"  func.return %d : {t}\n}}\n"
    )


def gemm_inputs(m: int, k: int, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "a": rng.standard_normal((m, k)).astype(np.float32),
        "b": rng.standard_normal((k, n)).astype(np.float32),
    }


# --- options, header, table (no RTL) ---------------------------------------


@pytest.mark.parametrize(
    "text, size",
    [("none", None), ("None", None), ("64k", 65536), ("128K", 131072), ("256kib", 262144),
     ("131072", 131072)],
)
def test_tile_l1_sizes(text, size):
    assert tdbench.tile_l1_size(text) == size


def test_defaults_are_8_cores_tiled_through_128k():
    args = tdbench.parser().parse_args([])
    assert args.cores == 8 and args.tile_l1 == 128 * 1024
    assert tdbench.parser().parse_args(["--tile-l1", "none"]).tile_l1 is None
    h = tdbench.header(8, 128 * 1024)
    assert "8 cores" in h and "128 KiB L1" in h and "instruction fetch" in h
    assert "no tiling" in tdbench.header(8, None)
    assert "1 core," in tdbench.header(1, None)


@pytest.mark.parametrize("arg", ["12k", "lots", "-1"])
def test_bad_tile_l1_is_a_usage_error(arg):
    run = subprocess.run(["tdbench", "--tile-l1", arg, "--list"], capture_output=True, text=True)
    assert run.returncode == 2
    assert "--tile-l1" in run.stderr and "not an L1 size" in run.stderr
    assert "Traceback" not in run.stderr


def test_tile_l1_none_is_accepted():
    run = subprocess.run(["tdbench", "--tile-l1", "none", "--list"], capture_output=True, text=True)
    assert run.returncode == 0 and "gemm64" in run.stdout


def test_bad_cores_is_a_usage_error():
    run = subprocess.run(["tdbench", "--cores", "9", "--list"], capture_output=True, text=True)
    assert run.returncode == 2 and "1 to 8 cores" in run.stderr
    assert "Traceback" not in run.stderr


def test_short_strategy():
    assert tdbench.short_strategy("") == "forward"
    assert tdbench.short_strategy(tdbench.SGD) == "full backprop"
    assert tdbench.short_strategy("train-lora{rank=2}," + tdbench.SGD) == "lora rank=2"
    assert tdbench.short_strategy("train-finetune{last=2}," + tdbench.SGD) == "finetune last=2"


def test_table_shows_only_the_dma_pairs_that_moved_bytes():
    row = {c: 0 for c in tdbench.COLUMNS}
    row.update(row="r", strategy="", model="m", **{"DMA L2>L1": 96, "DMA L1>L2": 32})
    text = tdbench.format_table([row], [("other", "boom")])
    header = text.splitlines()[0]
    assert "DMA L2>L1" in header and "DMA L1>L2" in header and "DMA L3>L1" not in header
    assert "other" in text and "FAILED: boom" in text
    assert len(tdbench.DMA_PAIRS) == 9
    assert set(tdbench.DMA_PAIRS.values()) == {
        f"dma.{s}_to_{d}.bytes" for s in ("l1", "l2", "l3") for d in ("l1", "l2", "l3")
    }


# --- the entry's calls at the linalg level (no RTL) -------------------------


def test_entry_calls_of_a_matmul_with_its_fill_fused():
    ctx = make_context()
    module = parse_module(ctx, gemm_source(16, 16, 16), "gemm.mlir")
    run_pipeline(ctx, module, to_linalg(128 * 1024))
    calls = entry_calls(module)
    # one call: the zero fill starts the MACs' kernel (kernel-fuse-fill)
    assert [c.kind for c in calls] == ["matmul"]
    assert [c.flops for c in calls] == [2 * 16 * 16 * 16]


def test_entry_calls_count_a_fused_weight_update():
    """An MLP step whose weight gradients are fused with their SGD updates
    (`gemm_accumulate` kernels): the calls' FLOPs add up to the step's
    (train-stats' count, the tdbench FLOPs column)."""
    from tdopt.interpreter.reference import find_function
    from tdopt.passes.train_stats import measure

    src = (
        "func.func @main(%x: tensor<4x16xf32>, %t: tensor<4x8xf32>) -> tensor<f32> {\n"
        "  %w = train.param @w trainable = dense<0.5> : tensor<8x16xf32>\n"
        "  %y = train.gemm %x, %w {trans_b} : (tensor<4x16xf32>, tensor<8x16xf32>) -> tensor<4x8xf32>\n"
        "  %l = train.mse %y, %t : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<f32>\n"
        "  func.return %l : tensor<f32>\n}\n"
    )
    ctx = make_context()
    module = parse_module(ctx, src, "mlp.mlir")
    run_pipeline(ctx, module, "train-autodiff,train-sgd{lr=0.01}")
    stats = measure(find_function(module))
    run_pipeline(ctx, module, to_linalg(128 * 1024))
    calls = entry_calls(module)
    assert "gemm_accumulate" in [c.kind for c in calls]
    # hand-derived: forward 4 x 8 x 16 MACs, the weight gradient as many
    assert stats.forward_flops + stats.backward_flops == 2 * (2 * 4 * 8 * 16)
    assert sum(c.flops for c in calls) == 2 * (2 * 4 * 8 * 16)


def test_profile_stamps_bracket_every_call():
    ctx = make_context()
    module = parse_module(ctx, two_matmuls_source(16), "gemm.mlir")
    run_pipeline(ctx, module, to_linalg(128 * 1024))
    run_pipeline(ctx, module, "convert-globals-to-sections,convert-entry-to-riscv{profile=true}")
    # the entry stamps the cycle counter around each call (cluster ops) ...
    stamps = [(o.slot.value.data, o.word.value.data) for o in module.walk() if isinstance(o, CycleStampOp)]
    assert stamps == [(0, 0), (0, 1), (1, 0), (1, 1)]
    # ... stored into the profile table's words
    run_pipeline(ctx, module, "convert-cluster-to-riscv")
    text = str(module)
    for off in (0, 4, 8, 12):  # two calls, a word before and after each
        assert f"la t0, __tdopt_profile+{off}" in text
    assert "la t0, __tdopt_profile+16" not in text
    assert '".zero" "16"' in text
    plain = parse_module(ctx, two_matmuls_source(16), "gemm.mlir")
    run_pipeline(ctx, plain, to_linalg(128 * 1024))
    run_pipeline(ctx, plain, "convert-globals-to-sections,convert-entry-to-riscv")
    assert "__tdopt_profile" not in str(plain)


# --- on the RTL --------------------------------------------------------------


def test_profile_of_two_matmuls_on_the_rtl():
    ctx = make_context()
    module = parse_module(ctx, two_matmuls_source(16), "gemm.mlir")
    inputs = gemm_inputs(16, 16, 16)
    run = run_on_rtl(ctx, module, inputs, cores=8, l1="128k", tile_l1=True, profile=True)
    want = (inputs["a"] @ inputs["b"]) @ inputs["b"]
    np.testing.assert_allclose(run.results["result0"], want, rtol=1e-4, atol=1e-3)
    calls = run.profile
    assert calls is not None and len(calls) == 2
    assert all(c.callee.startswith("k_matmul") and c.kind == "matmul" for c in calls)
    # hand-derived: 16 x 16 outputs x 16 MACs x 2, each
    assert [c.flops for c in calls] == [2 * 16**3, 2 * 16**3]
    assert all(c.cycles > 0 for c in calls)
    assert sum(c.cycles for c in calls) <= run.counters["cycles"]
    assert sum(c.flops for c in calls) == run.flops


def test_tiled_calls_move_the_dma_bytes_the_counters_see():
    # 64 KiB L1: a 64^3 GEMM does not fit, so its kernels run tile by tile
    ctx = make_context()
    module = parse_module(ctx, gemm_source(64, 64, 64), "gemm.mlir")
    inputs = gemm_inputs(64, 64, 64)
    run = run_on_rtl(ctx, module, inputs, cores=8, l1="64k", tile_l1=True, profile=True)
    np.testing.assert_allclose(run.results["result0"], inputs["a"] @ inputs["b"], rtol=1e-3, atol=1e-3)
    calls = run.profile or []
    assert any(c.tiled for c in calls)
    assert sum(c.dma_in for c in calls) == run.counters["dma.l2_to_l1.bytes"] > 0
    assert sum(c.dma_out for c in calls) == run.counters["dma.l1_to_l2.bytes"] > 0
    assert sum(c.flops for c in calls) == 2 * 64**3
    assert sum(c.cycles for c in calls) <= run.counters["cycles"]


def test_tdbench_plot_and_profile_csv(tmp_path):
    png, calls_csv, table = tmp_path / "roof.png", tmp_path / "calls.csv", tmp_path / "t.csv"
    run = subprocess.run(
        ["tdbench", "--rows", "gemm64", "--tile-l1", "64k", "--plot", str(png),
         "--profile-csv", str(calls_csv), "--csv", str(table)],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "8 cores" in run.stdout and "64 KiB L1" in run.stdout
    assert "DMA L2>L1" in run.stdout.splitlines()[1]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with open(calls_csv) as fh:
        rows = list(csv.DictReader(fh))
    assert rows and all(r["row"] == "gemm64" for r in rows)
    assert sum(int(r["FLOPs"]) for r in rows) == 2 * 64**3
    # DMA floor, hand-derived: plan-memory puts one of the three 16 KiB
    # tensors in L1 (half of the 56 KiB tile budget holds one); whichever
    # it is, the other two cross once each (inputs in, the result out; the
    # fill's zeros can stay in L1): 32 KiB
    with open(table) as fh:
        (step,) = list(csv.DictReader(fh))
    moved = sum(int(step[c]) for c in tdbench.DMA_PAIRS)
    assert int(step["DMA floor"]) == 2 * 16384 <= moved
    assert float(step["DMA/floor"]) == round(moved / 32768, 2)
    assert "DMA floor" in run.stdout.splitlines()[1]


# --- the DMA roofs and the DMA floor columns (no RTL) -----------------------


def test_roofline_marks_a_dma_roof_per_tier_pair():
    """Roofs min(16, B x intensity) for B = 8 (L2<->L1) and 2 B/cycle (L3<->L1)."""
    row = {c: 0 for c in tdbench.COLUMNS}
    row.update(row="r", FLOPs=4096, **{"FLOP/cycle": 4.0, "DMA L2>L1": 1024})
    fig = tdbench.roofline_figure([row], "t")
    (ax,) = [a for a in fig.axes if a.get_xlabel()]
    roofs = [line for line in ax.lines if len(line.get_xdata()) > 2]
    assert len(roofs) == 2
    for line, bw in zip(roofs, (8, 2)):
        x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
        np.testing.assert_allclose(y, np.minimum(16, bw * x))
    texts = " ".join(t.get_text() for t in ax.texts)
    assert "DMA 8 B/cycle (L2<->L1)" in texts and "DMA 2 B/cycle (L3<->L1)" in texts


def test_floor_columns():
    from xdsl.dialects.builtin import ModuleOp

    from tdopt.dialects.cluster import MEMORY_PLAN, MemoryPlanAttr

    module = ModuleOp([])
    assert tdbench.floor_columns(module, 100) == {"DMA floor": "-", "DMA/floor": "-"}
    module.attributes[MEMORY_PLAN] = MemoryPlanAttr.of(dma_in=1000)
    assert tdbench.floor_columns(module, 100) == {"DMA floor": "-", "DMA/floor": "-"}
    module.attributes[MEMORY_PLAN] = MemoryPlanAttr.of(dma_floor=400)
    assert tdbench.floor_columns(module, 1000) == {"DMA floor": 400, "DMA/floor": 2.5}
    module.attributes[MEMORY_PLAN] = MemoryPlanAttr.of(dma_floor=0)
    assert tdbench.floor_columns(module, 0) == {"DMA floor": 0, "DMA/floor": "-"}
