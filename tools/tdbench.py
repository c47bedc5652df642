"""`tdbench`: compile and run a table of training steps on the cluster RTL,
check each against the reference interpreter, then print its figures.

    tdbench [--rows NAME[,NAME...]] [--cores N] [--tile-l1 SIZE|none] [--csv OUT.csv]
            [--plot OUT.png] [--profile-csv OUT.csv] [--max-cycles N] [--list] [--quick]
            [--sweep 'l1=64k,128k cores=1,8 rank=2,4' [--sweep-plot OUT.png]]
            [-j N | --scheduler ADDRESS] [--work DIR] [--no-cache]

A row whose RTL results differ from the reference interpreter is reported as
a mismatch (exit status 1) and its figures are not printed. Cycle counts
assume ideal single-cycle instruction fetch. FLOPs follow the design brief:
2 x MACs of every conv / matmul / gemm, forward and backward. By default 8
cores run every kernel tile by tile through a 128 KiB L1 (`--tile-l1`).
`--plot` profiles each kernel call (cycle counter around it, in a second
run) and draws a roofline: FLOP/cycle against FLOP per DMA byte. On a
terminal, each row's RTL run shows a progress bar (cycles, rate, ETA against
the compiler's static estimate). `--sweep` runs the rows at every point of
a product of L1 sizes, core counts and LoRA ranks; `-j N` runs rows or
points in N processes of a local Dask cluster, `--scheduler` on a running
one (tools/sweep.py).
"""

from __future__ import annotations

import argparse
import csv
import functools
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tdopt.dialects.cluster import memory_plan
from tdopt.lowering.kernel_workers import machine_cores
from tdopt.target import CLUSTER

if TYPE_CHECKING:
    from xdsl.dialects.builtin import ModuleOp

    from tdopt.tools.sweep import Point

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


@dataclass(frozen=True)
class Row:
    name: str
    model: str  # key of MODELS
    strategy: str  # the training passes ("" = forward only)
    description: str
    long: bool = False  # tens of minutes of simulation; skipped by --quick


def _cct_block(work: str) -> tuple[str, str]:
    import subprocess

    src = os.path.join(ROOT, "examples", "cct_block")
    subprocess.run([sys.executable, os.path.join(src, "make_inputs.py")], check=True)
    return os.path.join(src, "encoder_block.mlir"), os.path.join(src, "inputs.npz")


def _deep_ae(batch: int = 1, micro_batches: int = 1) -> Callable[[str], tuple[str, str]]:
    """examples/deep_ae at `batch` samples per step (mean loss); with
    `micro_batches` > 1, inputs for that many batches (the step of a row
    with `train-accumulate` trains on micro_batches x batch samples)."""

    def make(work: str) -> tuple[str, str]:
        sys.path.insert(0, os.path.join(ROOT, "examples", "deep_ae"))
        import deep_ae  # type: ignore[import-not-found]

        name = f"deep_ae_b{batch}" + (f"x{micro_batches}" if micro_batches > 1 else "")
        out = os.path.join(work, name)
        path = deep_ae.write(out, batch)
        inputs = os.path.join(out, "inputs.npz")
        if micro_batches > 1:
            rng = np.random.default_rng(1)
            x = rng.standard_normal((micro_batches * batch, deep_ae.WIDTHS[0])).astype(np.float32)
            np.savez(inputs, x=x)
        return path, inputs

    return make


def _write_case(
    work: str, name: str, signature: str, body: str, inputs: dict[str, tuple[int, ...]]
) -> tuple[str, str]:
    """A one-op program `name`.mlir (`func.func @main` with `signature` and
    `body`) and its inputs, seeded standard-normal arrays of these shapes."""
    path = os.path.join(work, f"{name}.mlir")
    with open(path, "w") as fh:
        names = ", ".join(f'"{k}"' for k in inputs)
        fh.write(
            f"func.func @main{signature} attributes {{train.arg_names = [{names}]}} "
            f"{{\n{body}}}\n"
        )
    rng = np.random.default_rng(0)
    arrays = os.path.join(work, f"{name}_inputs.npz")
    np.savez(arrays, **{k: rng.standard_normal(shp).astype(np.float32) for k, shp in inputs.items()})
    return path, arrays


def _gemm(work: str, m: int = 64, k: int = 64, n: int = 64) -> tuple[str, str]:
    a, b, c = f"tensor<{m}x{k}xf32>", f"tensor<{k}x{n}xf32>", f"tensor<{m}x{n}xf32>"
    # named by its shape: gemm64 and gemm256 in one run must not share a file
    return _write_case(
        work, f"gemm_{m}x{k}x{n}", f"(%a: {a}, %b: {b}) -> {c}",
        f"  %c = train.matmul %a, %b : ({a}, {b}) -> {c}\n  func.return %c : {c}\n",
        {"a": (m, k), "b": (k, n)},
    )


def _conv(work: str, c: int = 64, m: int = 128, hw: int = 16) -> tuple[str, str]:
    """The CCT2 tokenizer's second convolution: 3x3, padding 1."""
    x, w, y = f"tensor<1x{c}x{hw}x{hw}xf32>", f"tensor<{m}x{c}x3x3xf32>", f"tensor<1x{m}x{hw}x{hw}xf32>"
    return _write_case(
        work, "conv", f"(%x: {x}, %w: {w}) -> {y}",
        f"  %y = train.conv2d %x, %w {{pads = array<i64: 1, 1, 1, 1>}} : ({x}, {w}) -> {y}\n"
        f"  func.return %y : {y}\n",
        {"x": (1, c, hw, hw), "w": (m, c, 3, 3)},
    )


CORPUS = os.environ.get(
    "TDOPT_DEEPLOY_CORPUS", os.path.join(ROOT, "..", "shared", "corpus", "deeploy")
)


def _cct2(folder: str) -> Callable[[str], tuple[str, str]]:
    """A corpus CCT2 training folder: network_infer.onnx imported with the
    trainables its outputs.npz names and the cross-entropy loss."""

    def make(work: str) -> tuple[str, str]:
        import subprocess

        src = os.path.join(CORPUS, "models", "CCT_Train", folder)
        with np.load(os.path.join(src, "outputs.npz")) as out:
            names = [k[: -len("_updated")] for k in out.files if k.endswith("_updated")]
        path = os.path.join(work, folder, "model.mlir")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        subprocess.run(
            ["tdimport", os.path.join(src, "network_infer.onnx"), "--trainable", ",".join(names),
             "--loss", "cross-entropy", "--label", "labels", "-o", path],
            check=True,
        )
        return path, os.path.join(src, "inputs.npz")

    return make


def _mlperf_tiny(name: str) -> Callable[[str], tuple[str, str]]:
    """An MLPerf Tiny model of examples/mlperf_tiny, written in PyTorch,
    exported with the default `torch.onnx.export` (needs torch and
    onnxscript: `pip install -e .[test]`) and imported with its loss."""

    def make(work: str) -> tuple[str, str]:
        import subprocess

        try:
            import onnxscript  # noqa: F401
            import torch  # noqa: F401
        except ImportError as e:
            raise RuntimeError(f"{name} rows need torch and onnxscript ({e}): "
                               "pip install -e '.[test]'") from None
        sys.path.insert(0, os.path.join(ROOT, "examples", "mlperf_tiny"))
        import export as mlperf  # type: ignore[import-not-found]

        out = os.path.join(work, name)
        onnx_path = mlperf.export(name, out)
        label = "target" if mlperf.MODELS[name][2] == "mse" else "labels"
        path = os.path.join(out, "model.mlir")
        subprocess.run(
            ["tdimport", onnx_path, "--loss", mlperf.MODELS[name][2], "--label", label,
             "-o", path],
            check=True,
        )
        return path, os.path.join(out, "inputs.npz")

    return make


def _einsum_cct(work: str) -> tuple[str, str]:
    """examples/pytorch/einsum_cct.py (fused qkv split by chunk/unbind,
    torch.einsum attention, exact GELU), two 3x8x8 images, exported with
    the default `torch.onnx.export` (needs torch and onnxscript)."""
    import subprocess
    import warnings

    try:
        import onnxscript  # noqa: F401
        import torch
    except ImportError as e:
        raise RuntimeError(f"einsum-cct rows need torch and onnxscript ({e}): "
                           "pip install -e '.[test]'") from None
    sys.path.insert(0, os.path.join(ROOT, "examples", "pytorch"))
    import einsum_cct  # type: ignore[import-not-found]

    out = os.path.join(work, "einsum_cct")
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    model = einsum_cct.EinsumCCT().eval()
    images = torch.randn(2, 3, 8, 8)
    onnx_path = os.path.join(out, "einsum_cct.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (images,), onnx_path, verbose=False)
    inputs = os.path.join(out, "inputs.npz")
    np.savez(inputs, images=images.numpy(), labels=np.array([3, 1], dtype=np.int64))
    path = os.path.join(out, "model.mlir")
    subprocess.run(["tdimport", onnx_path, "--loss", "cross-entropy", "--label", "labels",
                    "-o", path], check=True)
    return path, inputs


MODELS: dict[str, Callable[[str], tuple[str, str]]] = {
    "einsum-cct": _einsum_cct,
    "ds-cnn": _mlperf_tiny("ds_cnn"),
    "resnet8": _mlperf_tiny("resnet8"),
    "mobilenet-v1": _mlperf_tiny("mobilenet_v1"),
    "deep-ae-bn": _mlperf_tiny("deep_ae"),
    "cct2-lp": _cct2("CCT2_LP"),
    "cct2-lora1": _cct2("CCT2_LoRA1"),
    "cct-block": _cct_block,
    "deep-ae": _deep_ae(),
    "deep-ae-b8": _deep_ae(8),
    "deep-ae-b32": _deep_ae(32),
    "deep-ae-b8x4": _deep_ae(8, 4),
    "gemm64": _gemm,
    "gemm256": lambda work: _gemm(work, 256, 256, 256),
    "conv": _conv,
}

SGD = "train-autodiff,train-sgd{lr=0.01}"


def _finetune(*patterns: str) -> str:
    quoted = ",".join(f'"{p}"' for p in patterns)
    return f"train-finetune{{trainable={quoted}}},"


# corpus CCT2 parameters by role (names from its ONNX export)
CCT2_HEAD = ("classifier_fc_*", "*attention_pool*")


def _cct2_blocks(index: str) -> tuple[str, ...]:
    """The weights, biases and norms of encoder block `index` ("*": all)."""
    return (
        f"*blocks_{index}_*Transpose__0",
        f"classifier_blocks_{index}_*weight",
        f"classifier_blocks_{index}_*bias",
    )


ROWS = [
    Row("cct-block/classifier", "cct-block", "train-finetune{last=1}," + SGD, "CCT block, classifier only"),
    Row("cct-block/last-2", "cct-block", "train-finetune{last=2}," + SGD, "CCT block, last two layers"),
    Row("cct-block/lora", "cct-block", "train-lora{rank=2}," + SGD, "CCT block, LoRA rank 2"),
    Row("deep-ae/full", "deep-ae", SGD, "Deep-AE, every layer"),
    Row("deep-ae/full-b8", "deep-ae-b8", SGD, "Deep-AE, every layer, batch 8 (mean loss)"),
    Row("deep-ae/full-b32", "deep-ae-b32", SGD, "Deep-AE, every layer, batch 32 (mean loss)", long=True),
    Row("deep-ae/full-b8x4", "deep-ae-b8x4",
        "train-autodiff,train-accumulate{micro_batches=4},train-sgd{lr=0.01}",
        "Deep-AE, every layer, 4 micro-batches of 8 accumulated (one SGD update on 32 samples)",
        long=True),
    Row("deep-ae/last-2", "deep-ae", "train-finetune{last=2}," + SGD, "Deep-AE, last two layers"),
    Row("gemm64", "gemm64", "", "fp32 GEMM 64x64x64, forward"),
    Row("conv", "conv", "", "fp32 conv 3x3 64->128 channels, 16x16, forward (CCT2 tokenizer)"),
    Row("cct2/classifier", "cct2-lp", SGD, "corpus CCT2, classifier only (CCT2_LP)", long=True),
    Row("cct2/lora-last", "cct2-lora1", SGD, "corpus CCT2, LoRA rank 4 on the last block (CCT2_LoRA1)", long=True),
    Row("cct2/last-block", "cct2-lp", _finetune(*_cct2_blocks("1"), *CCT2_HEAD) + SGD,
        "corpus CCT2, last encoder block and classifier", long=True),
    Row("cct2/both-blocks", "cct2-lp", _finetune(*_cct2_blocks("*"), *CCT2_HEAD) + SGD,
        "corpus CCT2, both encoder blocks and classifier", long=True),
    Row("cct2/lora-both", "cct2-lp",
        _finetune(*CCT2_HEAD) + "train-lora{rank=4 blocks=all}," + SGD,
        "corpus CCT2, LoRA rank 4 on both blocks, classifier", long=True),
    Row("cct2/full", "cct2-lp", _finetune("*") + SGD,
        "corpus CCT2, every parameter (full backprop)", long=True),
    Row("gemm256", "gemm256", "", "fp32 GEMM 256x256x256, forward", long=True),
    # MLPerf Tiny, exported from PyTorch by the default exporter (BatchNorm
    # folded into the layer before it by the exporter)
    Row("ds-cnn/full", "ds-cnn", _finetune("*") + SGD, "MLPerf Tiny DS-CNN (KWS, 49x10 MFCC), every layer"),
    Row("ds-cnn/last-block", "ds-cnn", _finetune("fc.*", "blocks.3.*") + SGD,
        "MLPerf Tiny DS-CNN, last separable block and classifier"),
    Row("resnet8/full", "resnet8", _finetune("*") + SGD, "MLPerf Tiny ResNet-8 (32x32x3), every layer", long=True),
    Row("resnet8/last-stack", "resnet8", _finetune("fc.*", "stack3.*") + SGD,
        "MLPerf Tiny ResNet-8, last residual stack and classifier"),
    Row("mobilenet-v1/full", "mobilenet-v1", _finetune("*") + SGD,
        "MLPerf Tiny MobileNetV1-0.25 (VWW, 96x96x3), every layer", long=True),
    Row("mobilenet-v1/last-2", "mobilenet-v1", _finetune("fc.*", "features.26.*") + SGD,
        "MLPerf Tiny MobileNetV1-0.25, last pointwise conv and classifier"),
    Row("deep-ae-bn/full", "deep-ae-bn", _finetune("*") + SGD,
        "MLPerf Tiny Deep-AE with BatchNorm (640-128x4-8-128x4-640), every layer"),
    Row("deep-ae-bn/last-2", "deep-ae-bn", _finetune("out.*", "hidden.8.*") + SGD,
        "MLPerf Tiny Deep-AE with BatchNorm, last two layers"),
    Row("deep-ae-bn/lora", "deep-ae-bn", "train-lora{rank=4}," + SGD,
        "MLPerf Tiny Deep-AE with BatchNorm, LoRA rank 4 on every hidden linear layer"),
    Row("einsum-cct/full", "einsum-cct", _finetune("*") + SGD,
        "CCT written with torch.einsum attention and fused qkv (PyTorch export), every layer"),
    Row("einsum-cct/lora", "einsum-cct", "train-lora{rank=2}," + SGD,
        "CCT written with torch.einsum attention, LoRA rank 2 on the last block"),
]

TIERS = ("l1", "l2", "l3")
# DMA bytes per tier pair: CSV column -> counter (docs/cluster.md, Counters)
DMA_PAIRS = {
    f"DMA {s.upper()}>{d.upper()}": f"dma.{s}_to_{d}.bytes" for s in TIERS for d in TIERS
}
# CSV columns (the first ones as before, for scripts that read them by position)
COLUMNS = [
    "row", "FLOPs", "cycles", "FLOP/cycle", "utilisation", "cycles/image", "images/s",
    "L1 bytes", "L2 bytes", "L3 bytes", *DMA_PAIRS, "trainable", "gradients",
    "strategy", "model", "dynamic bytes",
    # the least DMA the step's kernel calls need given L1 (analyses/dma_floor.py)
    # and the DMA bytes moved (every pair) over it
    "DMA floor", "DMA/floor",
]
# a sweep's CSV: the point's coordinates too
SWEEP_COLUMNS = ["row", "cores", "L1", "rank", *COLUMNS[1:]]
WIDTH = {"row": 22, "strategy": 16, "utilisation": 11, "L3 bytes": 8}
PEAK_FLOP_PER_CYCLE = 2 * CLUSTER.cores  # one fmadd.s (2 FLOPs) per core per cycle
DMA_BYTES_PER_CYCLE = CLUSTER.dma_bytes_per_cycle  # the L2 <-> L1 DMA port
# the DMA roof of each tier pair the tiles cross (bytes per cycle)
DMA_ROOFS = {"L2<->L1": CLUSTER.dma_bytes_per_cycle, "L3<->L1": CLUSTER.dma_l3_bytes_per_cycle}
PROFILE_COLUMNS = [
    "row", "call", "callee", "kind", "tiled", "tiles", "cycles", "FLOPs", "FLOP/cycle",
    "DMA in", "DMA out", "FLOP/byte",
]


def short_strategy(strategy: str) -> str:
    """A row's training passes, short: "forward", "full backprop",
    "finetune last=2", "lora rank=2"."""
    if not strategy:
        return "forward"
    parts = [
        p for p in strategy.split(",") if not p.startswith(("train-autodiff", "train-sgd"))
    ]
    if not parts:
        return "full backprop"
    return ", ".join(p.removeprefix("train-").replace("{", " ").replace("}", "") for p in parts)


def run_row(
    row: Row, work: str, cores: int, tile_l1: str | int | None = None, profile: bool = False,
    max_cycles: int | None = None, rank: int | None = None, jobs: int | None = None,
    cache: bool = False, paths: tuple[str, str] | None = None,
) -> dict[str, object]:
    """Compile, run on the RTL, check against the reference interpreter.
    `rank`: the LoRA rank instead of the row's; `jobs`: processes compiling
    the kernels (None: the machine's cores); `cache`: reuse a program
    compiled before (see run_on_rtl); `paths`: the row's model and inputs
    as `MODELS[row.model](work)` made them (None: make them here).
    `tile_l1`: the L1 size kernels are tiled through (None: the static
    L1/L2 placement, 128 KiB L1); `profile`: a second, profiled run gives
    per-call cycles, FLOPs and DMA bytes, under the key "calls" (a list of
    CallProfile); the row's figures are those of the plain run.
    `max_cycles`: None derives the limit from the static estimate."""
    from tdopt.dialects.weights import absolutize_weights, load_weights
    from tdopt.interpreter.reference import find_function, run_function
    from tdopt.lowering.pipeline import run_pipeline
    from tdopt.passes.train_stats import measure
    from tdopt.tools.context import make_context
    from tdopt.tools.diagnostics import parse_module
    from tdopt.tools.rtl_run import RtlResult, run_on_rtl
    from xdsl.dialects.builtin import ModuleOp

    from tdopt.runtime.cluster import parse_size
    from tdopt.tools.sweep import with_rank

    path, inputs_path = paths if paths is not None else MODELS[row.model](work)
    strategy = with_rank(row.strategy, rank)
    ctx = make_context()
    module = parse_module(ctx, open(path).read(), path)
    absolutize_weights(module, os.path.dirname(path))
    if strategy:
        run_pipeline(ctx, module, strategy)
    f = find_function(module)
    stats = measure(f) if row.strategy else None
    with np.load(inputs_path) as data:
        inputs = {k: data[k] for k in data.files}
    weights = load_weights(module, os.path.dirname(path))
    expected = run_function(module, inputs, weights)
    batch = next(iter(inputs.values())).shape[0]

    def rtl(m: ModuleOp, profile: bool) -> RtlResult:
        run = run_on_rtl(
            ctx, m, inputs, cores=cores, max_cycles=max_cycles,
            l1=tile_l1 or "128k", tile_l1=tile_l1 is not None, profile=profile,
            progress=row.name, jobs=machine_cores() if jobs is None else jobs, cache=cache,
        )
        for name, want in expected.items():
            if not np.allclose(run.results[name], want, rtol=1e-4, atol=1e-4):
                diff = float(np.abs(run.results[name] - want).max())
                raise AssertionError(
                    f"{row.name}: {name} differs from the reference (max |diff| {diff:.3g})"
                )
        return run

    # the figures come from the plain program; the profiled one (counter
    # reads around every call, ~20 cycles each) is a second run
    unprofiled = module.clone() if profile else None
    run = rtl(module, False)
    calls = rtl(unprofiled, True).profile if unprofiled is not None else None
    cycles = run.counters["cycles"]
    plan = memory_plan(module)

    def tier_bytes(key: str) -> int:
        return plan.get(key) if plan is not None else 0

    out: dict[str, object] = {
        "row": row.name,
        "cores": cores,
        "L1": f"{parse_size(tile_l1) // 1024}k" if tile_l1 is not None else "none",
        "rank": rank if rank is not None else "-",
        "model": row.model,
        "strategy": strategy,
        "FLOPs": run.flops,
        "cycles": cycles,
        "FLOP/cycle": round(run.flops / cycles, 4),
        "utilisation": f"{run.flops / cycles / PEAK_FLOP_PER_CYCLE:.2%}",
        "cycles/image": cycles // max(1, batch) if row.strategy else "-",
        # trained images per second at the paper's clock
        "images/s": round(CLUSTER.clock_hz / cycles * batch, 1) if row.strategy else "-",
        # peak bytes per tier of the static plan; L1 with the tile buffers
        "L1 bytes": tier_bytes("l1") + tier_bytes("tiles"),
        "L2 bytes": tier_bytes("l2"),
        "L3 bytes": tier_bytes("l3"),
        # the planned buffers (activations, gradients, scratch) at their
        # peak, wherever they live: the paper's dynamic memory
        "dynamic bytes": tier_bytes("arena"),
        "trainable": stats.trainable if stats else 0,
        "gradients": stats.gradient_elements if stats else 0,
    }
    for column, counter in DMA_PAIRS.items():
        out[column] = run.counters.get(counter, 0)
    out.update(floor_columns(module, dma_bytes(out)))
    if calls is not None:
        out["calls"] = calls
    return out


def run_point(point: Point, work: str, paths: dict[str, tuple[str, str]], profile: bool,
              max_cycles: int | None, cache: bool, jobs: int | None) -> dict[str, object]:
    """One row at one point of a sweep (a Dask task: everything it needs
    comes in its arguments)."""
    row = next(r for r in ROWS if r.name == point.row)
    return run_row(row, work, point.cores, point.tile_l1, profile=profile, max_cycles=max_cycles,
                   rank=point.rank, jobs=jobs, cache=cache, paths=paths[row.model])


def dma_bytes(r: dict[str, object]) -> int:
    return sum(int(r[c]) for c in DMA_PAIRS)  # type: ignore[call-overload]


def floor_columns(module: ModuleOp, moved: int) -> dict[str, object]:
    """The DMA floor tier-tile-l1 recorded (bytes; "-" for an untiled
    build, which has none) and the DMA moved over it."""
    from tdopt.dialects.cluster import memory_plan

    plan = memory_plan(module)
    if plan is None or "dma_floor" not in plan.fields():
        return {"DMA floor": "-", "DMA/floor": "-"}
    floor = plan.get("dma_floor")
    return {"DMA floor": floor, "DMA/floor": round(moved / floor, 2) if floor else "-"}


def tile_l1_size(text: str) -> int | None:
    """--tile-l1: 64k, 128k, 256k or their bytes; none = no tiling."""
    from tdopt.tools.sweep import run_l1

    try:
        return run_l1(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(f"{text!r} is not an L1 size: {e}") from None


def _kib(n: int) -> str:
    return f"{n // 1024} KiB"


def header(cores: int, tile_l1: int | None) -> str:
    where = (
        f"every kernel tiled through a {_kib(tile_l1)} L1 (double-buffered DMA from L2)"
        if tile_l1 is not None
        else "no tiling: data placed statically in a 128 KiB L1 and L2"
    )
    return (
        f"tdbench: {cores} core{'s' if cores > 1 else ''}, {where}; "
        "cycles assume ideal single-cycle instruction fetch; "
        f"utilisation = FLOP/cycle / {PEAK_FLOP_PER_CYCLE}"
    )


def format_table(results: list[dict[str, object]], failed: list[tuple[str, str]],
                 sweep: bool = False) -> str:
    """The table: the DMA columns of the tier pairs that moved bytes in some
    row; with `sweep`, each point's cores, L1 and rank."""
    dma = [c for c in DMA_PAIRS if any(r[c] for r in results)]
    columns = [
        "row", "strategy", *(["cores", "L1", "rank"] if sweep else []), "FLOPs", "cycles",
        "FLOP/cycle", "utilisation", "cycles/image", "images/s",
        "L1 bytes", "L2 bytes", "L3 bytes", "dynamic bytes", *dma, "DMA floor", "DMA/floor",
        "trainable", "gradients",
    ]

    def cell(c: str, v: object, i: int) -> str:
        w = WIDTH.get(c, max(10, len(c)))
        return f"{v!s:<{w}}" if i < 2 else f"{v!s:>{w}}"

    lines = ["  ".join(cell(c, c, i) for i, c in enumerate(columns))]
    for r in results:
        shown = dict(r, strategy=short_strategy(str(r["strategy"])))
        lines.append("  ".join(cell(c, shown[c], i) for i, c in enumerate(columns)))
    for name, message in failed:
        lines.append(f"{name:<{WIDTH['row']}}  FAILED: {message}")
    return "\n".join(lines)


def write_csv(path: str, columns: list[str], rows: list[dict[str, object]]) -> None:
    """A CSV written atomically (temporary file + rename)."""
    import io

    from tdopt.tools.diagnostics import write_text_output

    text = io.StringIO(newline="")
    w = csv.DictWriter(text, fieldnames=columns, extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
    write_text_output(path, text.getvalue())


def write_profile_csv(path: str, results: list[dict[str, object]]) -> None:
    rows: list[dict[str, object]] = []
    for r in results:
        for i, c in enumerate(r.get("calls", [])):  # type: ignore[arg-type]
            rows.append({
                "row": r["row"], "call": i, "callee": c.callee, "kind": c.kind,
                "tiled": int(c.tiled), "tiles": c.tiles, "cycles": c.cycles,
                "FLOPs": c.flops, "FLOP/cycle": round(c.flop_per_cycle, 4),
                "DMA in": c.dma_in, "DMA out": c.dma_out,
                "FLOP/byte": round(c.flops / c.dma_bytes, 4) if c.dma_bytes else "",
            })
    write_csv(path, PROFILE_COLUMNS, rows)


def plot_roofline(path: str, results: list[dict[str, object]], title: str) -> None:
    """Draw `roofline_figure` into `path`."""
    fig = roofline_figure(results, title)  # selects matplotlib's Agg backend
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=120)
    plt.close(fig)


def roofline_figure(results: list[dict[str, object]], title: str):  # -> Figure
    """Log-log roofline: x = FLOP per DMA byte, y = FLOP/cycle; one point
    per profiled contraction call (colour: op kind, marker: row) and one
    star per row for the whole step. Calls without DMA (operands resident
    in L1) have no intensity: drawn as open markers at the right edge.
    The roofs: compute, and the DMA of each tier pair (DMA_ROOFS: L2<->L1
    solid, L3<->L1 dashed)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    markers = ["o", "s", "^", "D", "v", "P", "X", "h"]
    kinds = sorted({c.kind for r in results for c in r.get("calls", []) if c.flops})  # type: ignore[attr-defined]
    colour = {k: f"C{i % 10}" for i, k in enumerate(kinds)}
    points = []  # (row index, kind or None, intensity or None, FLOP/cycle)
    for i, r in enumerate(results):
        for c in r.get("calls", []):  # type: ignore[attr-defined]
            if c.flops:
                x = c.flops / c.dma_bytes if c.dma_bytes else None
                points.append((i, c.kind, x, c.flop_per_cycle))
        total = dma_bytes(r)
        points.append((i, None, int(r["FLOPs"]) / total if total else None, float(r["FLOP/cycle"])))  # type: ignore[call-overload]
    xs = [p[2] for p in points if p[2]]
    ys = [p[3] for p in points if p[3] > 0] + [PEAK_FLOP_PER_CYCLE]
    ridges = [PEAK_FLOP_PER_CYCLE / bw for bw in DMA_ROOFS.values()]
    lo = min(xs + ridges) / 4
    hi = max(xs + ridges) * 4
    edge = hi / 1.6  # where the calls without DMA are drawn

    fig, ax = plt.subplots(figsize=(10.5, 6))
    ax.set_xscale("log")
    ax.set_yscale("log")
    grid = np.geomspace(lo, hi, 200)
    ax.plot(grid, np.minimum(PEAK_FLOP_PER_CYCLE, DMA_BYTES_PER_CYCLE * grid), "k-", lw=1.5)
    # the slower DMA roofs (L3 on one side), dashed, each up to its ridge
    for pair, bw in DMA_ROOFS.items():
        if bw == DMA_BYTES_PER_CYCLE:
            continue
        ax.plot(grid, np.minimum(PEAK_FLOP_PER_CYCLE, bw * grid), color="grey", ls="--", lw=1.2,
                label=f"DMA {pair}")
        ax.text(lo * 1.3, bw * lo * 1.6, f"DMA {bw} B/cycle ({pair})", rotation=30, fontsize=8,
                color="grey", rotation_mode="anchor")
    ax.axhline(PEAK_FLOP_PER_CYCLE, color="k", ls=":", lw=0.8)
    ax.text(hi / 1.1, PEAK_FLOP_PER_CYCLE * 1.08, f"compute {PEAK_FLOP_PER_CYCLE} FLOP/cycle "
            f"({CLUSTER.cores} cores x fmadd.s)", ha="right", va="bottom", fontsize=8)
    ax.text(lo * 1.3, DMA_BYTES_PER_CYCLE * lo * 1.6, f"DMA {DMA_BYTES_PER_CYCLE} B/cycle "
            "(L2<->L1)", rotation=30, fontsize=8, rotation_mode="anchor")
    for i, kind, x, y in points:
        m = markers[i % len(markers)]
        if kind is None:  # the whole step
            ax.plot(x or edge, y, marker="*", ms=16, mfc="gold" if x else "none", mec="k",
                    ls="none", zorder=3)
            ax.annotate(str(results[i]["row"]), (x or edge, y), textcoords="offset points",
                        xytext=(8, 4), fontsize=8)
        else:
            ax.plot(x or edge, y, marker=m, ms=6, ls="none", alpha=0.8, zorder=2,
                    mfc=colour[kind] if x else "none", mec=colour[kind])
    if any(p[2] is None for p in points):
        ax.axvline(edge, color="grey", ls="--", lw=0.6)
        ax.text(edge * 1.05, min(ys) / 3 * 1.1, "no DMA\n(in L1)", fontsize=7, color="grey")
    ax.set_xlim(lo, hi)
    ax.set_ylim(min(ys) / 3, PEAK_FLOP_PER_CYCLE * 3)
    for axis in (ax.xaxis, ax.yaxis):  # plain numbers at the powers of two
        axis.set_major_locator(LogLocator(base=2))
        axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("arithmetic intensity [FLOP / DMA byte]")
    ax.set_ylabel("FLOP / cycle")
    ax.set_title(title, fontsize=9)
    handles = [Line2D([], [], color=colour[k], marker="o", ls="none", label=k) for k in kinds]
    handles += [
        Line2D([], [], color="k", marker=markers[i % len(markers)], ls="none", mfc="none",
               label=str(r["row"]))
        for i, r in enumerate(results)
    ]
    handles.append(Line2D([], [], color="k", marker="*", mfc="gold", ms=12, ls="none",
                          label="whole step"))
    ax.legend(handles=handles, fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1))
    ax.grid(True, which="both", lw=0.3, alpha=0.5)
    fig.tight_layout()
    return fig


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tdbench", description=__doc__.splitlines()[0])
    p.add_argument("--rows", help="comma-separated row names (default: all)")
    p.add_argument("--cores", type=int, default=CLUSTER.cores,
                   help=f"cluster cores (1..{CLUSTER.cores}, default {CLUSTER.cores})")
    p.add_argument(
        "--tile-l1", type=tile_l1_size, default=128 * 1024, metavar="SIZE",
        help="tile every kernel through an L1 of SIZE (64k, 128k, 256k; default 128k) "
        "with double-buffered DMA; none: static L1/L2 placement, no tiling",
    )
    p.add_argument("--csv", help="also write the table to this CSV file (all nine DMA pairs)")
    p.add_argument("--plot", metavar="OUT.png",
                   help="profile every kernel call and draw a roofline to this file")
    p.add_argument("--profile-csv", metavar="OUT.csv",
                   help="profile every kernel call and write the per-call figures here")
    p.add_argument(
        "--max-cycles", type=int,
        help="stop a row's RTL run after this many cycles (default: 4 x the compiler's "
        "static estimate + 1 M, at least 20 M)",
    )
    p.add_argument(
        "--sweep", metavar="SPEC",
        help="run every row at every point of SPEC, e.g. 'l1=64k,128k,256k cores=1,2,4,8 "
        "rank=2,4,8' (axes l1, cores, rank; rank for LoRA rows only); the table and --csv "
        "get the point's cores, L1 and rank",
    )
    p.add_argument("--sweep-plot", metavar="OUT.png",
                   help="with --sweep: draw FLOP/cycle against cores, per row and L1/rank")
    p.add_argument(
        "-j", "--jobs", type=int, default=1, metavar="N",
        help="run rows (sweep points) in N worker processes of a local Dask cluster "
        "(default 1: one after another in this process, each compiled with the machine's cores)",
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS",
        help="submit the rows to the Dask scheduler at ADDRESS (e.g. tcp://host:8786, a "
        "dask-jobqueue cluster on SLURM) instead; its workers need tdopt installed and "
        "--work on a shared file system",
    )
    p.add_argument("--work", metavar="DIR",
                   help="folder for the rows' models and inputs (default: a temporary one)")
    p.add_argument("--no-cache", action="store_true",
                   help="compile every program even if an identical one is in the cache")
    p.add_argument("--list", action="store_true", help="list the rows and exit")
    p.add_argument("--quick", action="store_true", help="skip the long rows (corpus CCT2)")
    return p


def check_plot_format(path: str, flag: str = "--plot") -> None:
    """--plot (or `flag`): matplotlib picks the format from the extension;
    one it cannot write would fail only after every row ran."""
    from matplotlib.backend_bases import FigureCanvasBase

    from tdopt.tools.diagnostics import Diagnostic

    formats = FigureCanvasBase.get_supported_filetypes()
    ext = os.path.splitext(path)[1].lstrip(".").lower()
    if ext and ext not in formats:  # no extension: matplotlib's default (png)
        raise Diagnostic(
            f"{flag} {path}: .{ext} is not an image format matplotlib writes; the "
            f"extension picks one of: {', '.join(sorted(formats))}"
        )


def main(argv: Sequence[str] | None = None) -> int:
    from tdopt.tools.diagnostics import run_tool

    # a failure after the rows ran is one diagnostic too, never a traceback
    return run_tool(lambda: _main(argv))


def _main(argv: Sequence[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    why = CLUSTER.check_cores(args.cores)
    if why is not None:
        p.error(f"argument --cores: {why}")
    if args.list:
        for r in ROWS:
            print(f"{r.name:<24} {r.description}{'  [long]' if r.long else ''}")
        return 0
    rows = [r for r in ROWS if not (args.quick and r.long)]
    if args.rows is not None:
        # `--rows ''` (an unset shell variable) names no row: not "all rows"
        wanted = [w.strip() for w in args.rows.split(",") if w.strip()]
        valid = ", ".join(r.name for r in ROWS)
        if not wanted:
            print(f"error: --rows {args.rows!r} names no row; the rows are: {valid}",
                  file=sys.stderr)
            return 2
        unknown = [w for w in wanted if w not in {r.name for r in ROWS}]
        if unknown:
            print(f"error: unknown rows {', '.join(unknown)}; the rows are: {valid}",
                  file=sys.stderr)
            return 2
        rows = [r for r in ROWS if r.name in wanted]
    # output paths are checked before any row runs (a row may take minutes)
    from tdopt.tools.diagnostics import Diagnostic, check_output_path

    try:
        for flag in ("csv", "profile_csv", "plot"):
            path = getattr(args, flag)
            if path is not None:
                check_output_path(path, [], "--" + flag.replace("_", "-"))
        if args.plot is not None:
            check_plot_format(args.plot)
    except Diagnostic as d:
        print(d, file=sys.stderr)
        return 2
    from tdopt.tools.sweep import Point, SweepError, parse_sweep, sweep_points

    if args.jobs < 1:
        print(f"error: -j {args.jobs}: the number of processes is at least 1", file=sys.stderr)
        return 2
    if args.sweep_plot and not args.sweep:
        print("error: --sweep-plot draws a --sweep; give --sweep SPEC", file=sys.stderr)
        return 2
    if args.work is not None and not os.path.isdir(args.work):
        print(f"error: --work {args.work}: not a folder", file=sys.stderr)
        return 2
    try:
        if args.sweep_plot:
            check_output_path(args.sweep_plot, [], "--sweep-plot")
        if args.sweep:
            lora = {r.name for r in rows if "train-lora" in r.strategy}
            points = sweep_points([r.name for r in rows], parse_sweep(args.sweep), args.cores,
                                  args.tile_l1, lora)
        else:
            points = [Point(r.name, args.cores, args.tile_l1) for r in rows]
    except SweepError as e:
        print(f"error: --sweep: {e}", file=sys.stderr)
        return 2
    except Diagnostic as d:
        print(d, file=sys.stderr)
        return 2
    profile = bool(args.plot or args.profile_csv)
    parallel = args.jobs > 1 or args.scheduler is not None
    print(f"tdbench sweep of {len(points)} points: {args.sweep}" if args.sweep
          else header(args.cores, args.tile_l1), flush=True)
    results: list[dict[str, object]] = []
    failed: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="tdbench-") as tmp:
        work = args.work or tmp
        by_name = {r.name: r for r in rows}
        # each model made once, here, before any row runs (workers share it)
        paths: dict[str, tuple[str, str]] = {}
        unmade: dict[str, str] = {}
        for r in rows:
            if r.model not in paths and r.model not in unmade:
                try:
                    paths[r.model] = MODELS[r.model](work)
                except Exception as e:  # its rows fail, the others still run
                    unmade[r.model] = str(e).splitlines()[0] if str(e) else type(e).__name__
        for point in [p for p in points if by_name[p.row].model in unmade]:
            failed.append((point.label() if args.sweep else point.row, unmade[by_name[point.row].model]))
        points = [p for p in points if by_name[p.row].model not in unmade]
        task = functools.partial(
            run_point, work=work, paths=paths, profile=profile, max_cycles=args.max_cycles,
            cache=not args.no_cache, jobs=1 if parallel else None,
        )
        if parallel:
            from tdopt.tools.sweep import progress, run_points

            outcomes = run_points(task, points, args.jobs, args.scheduler, progress(len(points)))
        else:
            outcomes = []
            for n, point in enumerate(points, 1):
                print(f"[{n}/{len(points)}] {point.label() if args.sweep else point.row} ...",
                      file=sys.stderr, flush=True)
                try:
                    outcomes.append(task(point))
                except Exception as e:  # a failed row is reported, the others still run
                    outcomes.append(e)
        for point, outcome in zip(points, outcomes):
            if isinstance(outcome, BaseException):
                text = str(outcome).splitlines()[0] if str(outcome) else type(outcome).__name__
                failed.append((point.label() if args.sweep else point.row, text))
            else:
                results.append(outcome)
    print(format_table(results, failed, sweep=bool(args.sweep)), flush=True)
    if args.csv:
        write_csv(args.csv, SWEEP_COLUMNS if args.sweep else COLUMNS, results)
    if args.sweep_plot and results:
        from tdopt.tools.sweep import plot_sweep

        plot_sweep(args.sweep_plot, results)
    if args.profile_csv:
        write_profile_csv(args.profile_csv, results)
    if args.plot and results:
        where = (f"kernels tiled through a {_kib(args.tile_l1)} L1" if args.tile_l1
                 else "no tiling (static L1/L2)")
        plot_roofline(args.plot, results, f"tdbench roofline: {args.cores} cores, {where}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
