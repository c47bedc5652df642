"""`python -m tdopt.tools.compilebench`: how long `tdopt` takes to compile
each tdbench row's training step to assembly.

    python -m tdopt.tools.compilebench [--rows NAME[,NAME...]] [--tile-l1 128k]
        [-j N] [--repeat R] [--work DIR] [--tdopt PYTHONPATH]...

For each row, the row's model is made as tdbench makes it and its training
strategy applied (train-level passes, a fraction of a second), then
`tdopt STEP.mlir --tile-l1=SIZE --emit asm -j N` runs in a fresh process,
as a user runs it. It prints the wall time, the CPU time of the process and
its workers, and the lines of assembly. `--tdopt` (repeatable) times the
tdopt found on that PYTHONPATH instead of this one, e.g. a checkout of an
older commit: the runs of the compilers alternate within each repetition,
so on a shared machine they see the same load.

A benchmark, not a test: it checks nothing but prints figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence


def prepare(row_name: str, work: str) -> str:
    """The row's step (model with its strategy applied) as work/<row>.mlir."""
    from tdopt.dialects.weights import absolutize_weights
    from tdopt.lowering.pipeline import run_pipeline
    from tdopt.tools.context import make_context
    from tdopt.tools.diagnostics import parse_module
    from tdopt.tools.tdbench import MODELS, ROWS

    rows = {r.name: r for r in ROWS}
    row = rows[row_name]
    path, _ = MODELS[row.model](work)
    ctx = make_context()
    module = parse_module(ctx, open(path).read(), path)
    absolutize_weights(module, os.path.dirname(path))
    if row.strategy:
        run_pipeline(ctx, module, row.strategy)
    out = os.path.join(work, row_name.replace("/", "_") + ".mlir")
    with open(out, "w") as f:
        f.write(str(module))
    return out


def time_compile(step: str, tile_l1: str, jobs: int, pythonpath: str | None) -> tuple[float, float, int]:
    """Wall and CPU seconds (the process and its workers) of one compile,
    and the lines of assembly."""
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = pythonpath
    out = step[: -len(".mlir")] + ".s"
    cmd = [sys.executable, "-m", "tdopt.tools.tdopt", step, f"--tile-l1={tile_l1}", "--emit", "asm",
           "-j", str(jobs), "-o", out]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{p.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(out) as f:
        lines = sum(1 for _ in f)
    return wall, cpu, lines


def main(argv: Sequence[str] | None = None) -> int:
    from tdopt.lowering.kernel_workers import machine_cores
    from tdopt.tools.tdbench import ROWS

    p = argparse.ArgumentParser(prog="compilebench", description=__doc__.splitlines()[0])
    p.add_argument("--rows", help="comma-separated tdbench rows (default: every row)")
    p.add_argument("--tile-l1", default="128k", help="L1 the kernels are tiled through (default 128k)")
    p.add_argument("-j", "--jobs", type=int, default=machine_cores(),
                   help="tdopt's -j (default: the machine's cores)")
    p.add_argument("--repeat", type=int, default=1, help="repetitions (default 1)")
    p.add_argument("--work", help="keep the steps and their assembly here (default: a temp dir)")
    p.add_argument("--tdopt", action="append", metavar="PYTHONPATH",
                   help="time the tdopt on this PYTHONPATH (repeatable; default: this one)")
    args = p.parse_args(argv)
    names = [r.name for r in ROWS]
    rows = args.rows.split(",") if args.rows else names
    unknown = [r for r in rows if r not in names]
    if unknown:
        p.error(f"--rows: unknown row(s) {', '.join(unknown)}; tdbench --list shows them")
    if args.jobs < 1:
        p.error(f"-j {args.jobs}: the number of processes is at least 1")
    compilers = args.tdopt or [None]
    with tempfile.TemporaryDirectory(prefix="compilebench-") as tmp:
        work = args.work or tmp
        os.makedirs(work, exist_ok=True)
        steps = {r: prepare(r, work) for r in rows}
        print(f"tdopt STEP --tile-l1={args.tile_l1} --emit asm -j {args.jobs}")
        print(f"{'row':<24} {'tdopt':<28} {'wall s':>8} {'cpu s':>8} {'asm lines':>10}")
        for _ in range(args.repeat):
            for r in rows:
                for c in compilers:
                    wall, cpu, lines = time_compile(steps[r], args.tile_l1, args.jobs, c)
                    name = "this one" if c is None else (c if len(c) <= 28 else "..." + c[-25:])
                    print(f"{r:<24} {name:<28} {wall:>8.2f} {cpu:>8.2f} {lines:>10}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
