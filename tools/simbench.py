"""`python -m tdopt.tools.simbench`: simulation speed of the cluster RTL model
in cluster cycles per second, on a tdbench training step.

    python -m tdopt.tools.simbench [--row cct2/lora-last] [--cores 1,8] [--cycles N]
        [--tile-l1 128k] [--binary PATH]... [--repeat R] [--work DIR] [--build-time]

For each simulator binary (default: the model the runtime uses for that
many cores, cached or built: one of one core for a one-core run, the full
cluster's otherwise) and each core count, runs the row's program (compiled
once per core count and kept in `--work`) for its first `--cycles` cycles
(0: to the end) and prints the wall time, the CPU time of the simulator
process (user + system, from the kernel's accounting of the child) and
cluster cycles per second of each. The runs of the binaries alternate within each repetition, so on a
shared machine they see the same load. The `state` column is a digest of
every counter at the end of the run (cycles, per-core events, DMA bytes):
two binaries that simulate the same cluster print the same digest.
`--build-time` first builds the model from scratch in a temporary cache and
prints how long it took.

A benchmark, not a test: it checks nothing but prints figures.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from tdopt.target import CLUSTER

DEFAULT_ROW = "cct2/lora-last"
DEFAULT_CYCLES = 2_000_000


def prepare(row_name: str, cores: int, tile_l1: str, work: Path) -> Path:
    """Compile `row_name` for `cores` (split over the cores when > 1, as
    tdbench does) into work/<key>/: step.elf and inputs.npz (symbol ->
    bytes to write before the run). Reused when already there."""
    from tdopt.dialects.weights import absolutize_weights
    from tdopt.lowering.pipeline import compile_to_asm, run_pipeline
    from tdopt.runtime.cluster import parse_size
    from tdopt.runtime.toolchain import assemble_and_link
    from tdopt.tools.context import make_context
    from tdopt.tools.diagnostics import parse_module
    from tdopt.tools.tdbench import MODELS, ROWS

    key = f"{row_name.replace('/', '_')}-{'par' if cores > 1 else 'seq'}-{tile_l1}"
    out = work / key
    if (out / "step.elf").exists() and (out / "inputs.npz").exists():
        return out
    rows = {r.name: r for r in ROWS}
    if row_name not in rows:
        raise SystemExit(f"unknown row {row_name!r}; the rows are: {', '.join(rows)}")
    row = rows[row_name]
    out.mkdir(parents=True, exist_ok=True)
    path, inputs_path = MODELS[row.model](str(out))
    ctx = make_context()
    module = parse_module(ctx, open(path).read(), path)
    absolutize_weights(module, os.path.dirname(path))
    if row.strategy:
        run_pipeline(ctx, module, row.strategy)
    asm, symbols = compile_to_asm(
        ctx, module, parallel=cores > 1, tile_l1=parse_size(tile_l1), poison=True,
    )
    (out / "step.s").write_text(asm)
    with np.load(inputs_path) as data:
        inputs = {k: data[k] for k in data.files}
    writes = {
        s.symbol: np.ascontiguousarray(np.asarray(inputs[s.tensor]).astype(s.dtype))
        for s in symbols if s.role == "input"
    }
    np.savez(out / "inputs.npz", **writes)
    assemble_and_link([str(out / "step.s")], str(out / "step.elf"))
    return out


def run_once(binary: Path, program: Path, cores: int, l1: str, cycles: int) -> dict[str, object]:
    """One run of `binary` on the program: cycles, wall and CPU seconds, and
    a digest of the final counters."""
    from tdopt.runtime.cluster import ClusterError, run_elf
    from tdopt.runtime.model import Model

    with np.load(program / "inputs.npz") as data:
        writes = {k: data[k] for k in data.files}
    model = Model(binary, CLUSTER.cores, 0.0)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        counters = run_elf(
            program / "step.elf", cores=cores, l1_size=l1, write_symbols=writes, model=model,
            max_cycles=cycles or 1 << 40,
        ).counters
        status = "exit"
    except ClusterError as e:
        if e.kind != "timeout" or not cycles:
            raise
        counters, status = e.counters, "stopped"
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    digest = hashlib.sha256(json.dumps(counters, sort_keys=True).encode()).hexdigest()[:12]
    n = int(counters["cycles"])
    return {"cycles": n, "wall": wall, "cpu": cpu, "status": status, "state": digest}


def build_time() -> float:
    """Seconds to build the model from scratch (in a temporary cache)."""
    from tdopt.runtime.cluster import build_model

    old = os.environ.get("TDOPT_CACHE")
    with tempfile.TemporaryDirectory(prefix="simbench-cache-") as tmp:
        os.environ["TDOPT_CACHE"] = tmp
        try:
            return build_model().build_seconds
        finally:
            if old is None:
                del os.environ["TDOPT_CACHE"]
            else:
                os.environ["TDOPT_CACHE"] = old


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="simbench", description=__doc__.splitlines()[0])
    p.add_argument("--row", default=DEFAULT_ROW, help=f"tdbench row (default {DEFAULT_ROW})")
    p.add_argument("--cores", default="1,8", help="comma-separated core counts (default 1,8)")
    p.add_argument("--cycles", type=int, default=DEFAULT_CYCLES,
                   help=f"simulate the first N cycles (default {DEFAULT_CYCLES}; 0: the whole step)")
    p.add_argument("--tile-l1", default="128k", help="L1 the kernels are tiled through (default 128k)")
    p.add_argument("--binary", action="append", type=Path,
                   help="simulator binary to measure (repeatable; default: the current model)")
    p.add_argument("--repeat", type=int, default=1, help="repetitions (default 1)")
    p.add_argument("--work", type=Path, help="keep compiled programs here (default: a temp dir)")
    p.add_argument("--build-time", action="store_true",
                   help="first build the model from scratch and print the time")
    args = p.parse_args(argv)
    cores = [int(c) for c in args.cores.split(",")]
    for c in cores:
        why = CLUSTER.check_cores(c)
        if why is not None:
            p.error(f"--cores {c}: {why}")

    if args.build_time:
        print(f"model build from scratch: {build_time():.1f} s", flush=True)
    from tdopt.runtime.cluster import build_model, model_cores

    # default: the model a run on that many cores uses (tdrun, tdbench)
    default = {c: build_model(model_cores(c)).binary for c in cores} if not args.binary else {}
    with tempfile.TemporaryDirectory(prefix="simbench-") as tmp:
        work = args.work or Path(tmp)
        programs = {c: prepare(args.row, c, args.tile_l1, work) for c in cores}
        print(f"row {args.row}, L1 tiling {args.tile_l1}, "
              f"{'whole step' if not args.cycles else f'first {args.cycles} cycles'}")
        print(f"{'binary':<40} {'cores':>5} {'cycles':>10} {'wall s':>8} {'cpu s':>8} "
              f"{'cycles/s':>9} {'cyc/cpu-s':>9} {'state':>12}")
        for _ in range(args.repeat):
            for c in cores:
                for b in args.binary or [default[c]]:
                    r = run_once(b, programs[c], c, args.tile_l1, args.cycles)
                    name = str(b) if len(str(b)) <= 40 else "..." + str(b)[-37:]
                    print(f"{name:<40} {c:>5} {r['cycles']:>10} {r['wall']:>8.2f} "
                          f"{r['cpu']:>8.2f} {r['cycles'] / r['wall']:>9.0f} "
                          f"{r['cycles'] / max(r['cpu'], 1e-9):>9.0f} {r['state']:>12}",
                          flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
