"""`tdbench`: compile and run a table of training steps on the cluster RTL,
check each against the reference interpreter, then print its figures.

    tdbench [--rows NAME[,NAME...]] [--cores N] [--csv OUT.csv] [--list]

A row whose RTL results differ from the reference interpreter is reported as
a mismatch (exit status 1) and its figures are not printed. Cycle counts
assume ideal single-cycle instruction fetch. FLOPs follow the design brief:
2 x MACs of every conv / matmul / gemm, forward and backward.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

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


def _deep_ae(work: str) -> tuple[str, str]:
    sys.path.insert(0, os.path.join(ROOT, "examples", "deep_ae"))
    import deep_ae  # type: ignore[import-not-found]

    path = deep_ae.write(os.path.join(work, "deep_ae"))
    return path, os.path.join(work, "deep_ae", "inputs.npz")


def _gemm(work: str, m: int = 64, k: int = 64, n: int = 64) -> tuple[str, str]:
    path = os.path.join(work, "gemm.mlir")
    with open(path, "w") as fh:
        fh.write(
            f"func.func @main(%a: tensor<{m}x{k}xf32>, %b: tensor<{k}x{n}xf32>) -> "
            f"tensor<{m}x{n}xf32> {{\n"
            f"  %c = train.matmul %a, %b : (tensor<{m}x{k}xf32>, tensor<{k}x{n}xf32>) "
            f"-> tensor<{m}x{n}xf32>\n  func.return %c : tensor<{m}x{n}xf32>\n}}\n"
        )
    rng = np.random.default_rng(0)
    inputs = os.path.join(work, "gemm_inputs.npz")
    np.savez(
        inputs,
        a=rng.standard_normal((m, k)).astype(np.float32),
        b=rng.standard_normal((k, n)).astype(np.float32),
    )
    return path, inputs


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


MODELS: dict[str, Callable[[str], tuple[str, str]]] = {
    "cct2-lp": _cct2("CCT2_LP"),
    "cct2-lora1": _cct2("CCT2_LoRA1"),
    "cct-block": _cct_block,
    "deep-ae": _deep_ae,
    "gemm64": _gemm,
}

SGD = "train-autodiff,train-sgd{lr=0.01}"
ROWS = [
    Row("cct-block/classifier", "cct-block", "train-finetune{last=1}," + SGD, "CCT block, classifier only"),
    Row("cct-block/last-2", "cct-block", "train-finetune{last=2}," + SGD, "CCT block, last two layers"),
    Row("cct-block/lora", "cct-block", "train-lora{rank=2}," + SGD, "CCT block, LoRA rank 2"),
    Row("deep-ae/full", "deep-ae", SGD, "Deep-AE, every layer"),
    Row("deep-ae/last-2", "deep-ae", "train-finetune{last=2}," + SGD, "Deep-AE, last two layers"),
    Row("gemm64", "gemm64", "", "fp32 GEMM 64x64x64, forward"),
    Row("cct2/classifier", "cct2-lp", SGD, "corpus CCT2, classifier only (CCT2_LP)", long=True),
    Row("cct2/lora-last", "cct2-lora1", SGD, "corpus CCT2, LoRA rank 4 on the last block (CCT2_LoRA1)", long=True),
]

COLUMNS = [
    "row", "FLOPs", "cycles", "FLOP/cycle", "utilisation", "cycles/image",
    "L1 bytes", "L2 bytes", "L3 bytes", "DMA bytes", "trainable", "gradients",
]


def run_row(row: Row, work: str, cores: int) -> dict[str, object]:
    from tdopt.dialects.weights import absolutize_weights, load_weights
    from tdopt.interpreter.reference import find_function, run_function
    from tdopt.lowering.pipeline import run_pipeline
    from tdopt.passes.train_stats import measure
    from tdopt.tools.context import make_context
    from tdopt.tools.diagnostics import parse_module
    from tdopt.tools.rtl_run import run_on_rtl

    path, inputs_path = MODELS[row.model](work)
    ctx = make_context()
    module = parse_module(ctx, open(path).read(), path)
    absolutize_weights(module, os.path.dirname(path))
    if row.strategy:
        run_pipeline(ctx, module, row.strategy)
    f = find_function(module)
    stats = measure(f) if row.strategy else None
    with np.load(inputs_path) as data:
        inputs = {k: data[k] for k in data.files}
    weights = load_weights(module, os.path.dirname(path))
    expected = run_function(module, inputs, weights)
    batch = next(iter(inputs.values())).shape[0]
    run = run_on_rtl(ctx, module, inputs, cores=cores, max_cycles=400_000_000)
    for name, want in expected.items():
        if not np.allclose(run.results[name], want, rtol=1e-4, atol=1e-4):
            diff = float(np.abs(run.results[name] - want).max())
            raise AssertionError(f"{row.name}: {name} differs from the reference (max |diff| {diff:.3g})")
    cycles = run.counters["cycles"]
    dma = sum(v for k, v in run.counters.items() if k.startswith("dma.") and k.endswith(".bytes"))
    attrs = module.attributes

    def tier_bytes(key: str) -> int:
        attr = attrs.get(key)
        return attr.value.data if attr is not None else 0  # type: ignore[attr-defined]

    return {
        "row": row.name,
        "FLOPs": run.flops,
        "cycles": cycles,
        "FLOP/cycle": round(run.flops / cycles, 4),
        "utilisation": f"{run.flops / cycles / 16:.2%}",
        "cycles/image": cycles // max(1, batch) if row.strategy else "-",
        "L1 bytes": tier_bytes("tdopt.l1_bytes"),
        "L2 bytes": tier_bytes("tdopt.l2_bytes"),
        "L3 bytes": 0,
        "DMA bytes": dma,
        "trainable": stats.trainable if stats else 0,
        "gradients": stats.gradient_elements if stats else 0,
    }


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tdbench", description=__doc__.splitlines()[0])
    p.add_argument("--rows", help="comma-separated row names (default: all)")
    p.add_argument("--cores", type=int, default=1, help="cluster cores (1..8, default 1)")
    p.add_argument("--csv", help="also write the table to this CSV file")
    p.add_argument("--list", action="store_true", help="list the rows and exit")
    p.add_argument("--quick", action="store_true", help="skip the long rows (corpus CCT2)")
    args = p.parse_args(argv)
    if args.list:
        for r in ROWS:
            print(f"{r.name:<24} {r.description}{'  [long]' if r.long else ''}")
        return 0
    rows = [r for r in ROWS if not (args.quick and r.long)]
    if args.rows:
        wanted = args.rows.split(",")
        unknown = [w for w in wanted if w not in {r.name for r in ROWS}]
        if unknown:
            print(f"error: unknown rows {', '.join(unknown)} (see tdbench --list)", file=sys.stderr)
            return 2
        rows = [r for r in ROWS if r.name in wanted]
    print("tdbench: cycles assume ideal single-cycle instruction fetch; "
          f"{args.cores} core(s), data placed statically in L1/L2 (no tiling or DMA yet)")
    print("  ".join(f"{c:>13}" if i else f"{c:<22}" for i, c in enumerate(COLUMNS)))
    results, failed = [], 0
    with tempfile.TemporaryDirectory(prefix="tdbench-") as work:
        for row in rows:
            try:
                r = run_row(row, work, args.cores)
            except Exception as e:  # a failed row is reported, the others still run
                failed += 1
                print(f"{row.name:<22}  FAILED: {str(e).splitlines()[0] if str(e) else type(e).__name__}")
                continue
            results.append(r)
            print("  ".join(f"{r[c]!s:>13}" if i else f"{r[c]!s:<22}" for i, c in enumerate(COLUMNS)), flush=True)
    if args.csv:
        with open(args.csv, "w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=COLUMNS)
            w.writeheader()
            w.writerows(results)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
