"""`python -m tdopt.tools.tilebench`: what the runtime's tile driver
(`tdrt_tiled`, runtime/lib/tdrt_tiled.c) costs per tile, on the cluster RTL.

    python -m tdopt.tools.tilebench [--operands 2,3,4] [--tiles 8,40] [--cores 8]

For each operand count, a tiled call of an empty kernel (operands: one
output, the others inputs, 64 bytes a tile each, every tile copied) runs
with two grid sizes, serial and forked over the cores; the difference per
extra tile is the driver's cost per tile: cycles, and instructions and L2
wait cycles of core 0 (which runs the driver). The kernel does nothing, so
what is printed is the floor a tiled call adds to its kernel's compute.

A benchmark, not a test: it checks nothing but prints figures.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path

PROGRAM = r"""
#include "tdrt.h"
#include "tdrt_tiled.h"
TDRT_L2 static float homes[OPERANDS][TILES * 16];
TDRT_L1 static float buffers[OPERANDS][2][16];
static void kernel(uint32_t x0, uint32_t x1, uint32_t x2, uint32_t x3, uint32_t x4, uint32_t x5,
                   uint32_t x6, uint32_t x7) {
    (void)x0; (void)x1; (void)x2; (void)x3; (void)x4; (void)x5; (void)x6; (void)x7;
}
static struct tdrt_tiled_call call;
int main(void) {
    call.kernel = (uint32_t)kernel;
    call.flags = PARALLEL ? TDRT_TILED_PARALLEL : 0;
    call.operands = OPERANDS;
    call.grid[0] = 1;
    call.grid[1] = 1;
    call.grid[2] = TILES;
    for (int k = 0; k < OPERANDS; k++) {
        struct tdrt_tiled_operand *o = &call.operand[k];
        o->mode = k == 0 ? TDRT_TILE_OUT : TDRT_TILE_IN;
        o->home = (uint32_t)homes[k];
        o->l1[0] = (uint32_t)buffers[k][0];
        o->l1[1] = (uint32_t)buffers[k][1];
        o->step[2] = 64;
        o->row_len = 64;
        o->rows = 1;
        o->row_stride = 64;
        o->planes = 1;
    }
    tdrt_tiled(&call);
    return 0;
}
"""


def _run(work: Path, operands: int, tiles: int, parallel: bool, cores: int) -> dict[str, int]:
    from tdopt.runtime.cluster import run_elf
    from tdopt.runtime.toolchain import assemble_and_link

    src = work / "tiles.c"
    src.write_text(PROGRAM)
    flags = [f"-DOPERANDS={operands}", f"-DTILES={tiles}", f"-DPARALLEL={int(parallel)}"]
    elf = assemble_and_link([src], work / f"t{operands}_{tiles}_{int(parallel)}.elf", extra_flags=flags)
    return run_elf(elf, cores=cores).counters


def _counts(text: str, low: int, high: int, n: int | None = None) -> list[int]:
    """Comma-separated integers in low..high (exactly n of them if given)."""
    try:
        values = [int(t) for t in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected comma-separated integers") from None
    if n is not None and len(values) != n:
        raise argparse.ArgumentTypeError(f"{text!r}: expected {n} integers, got {len(values)}")
    bad = [v for v in values if not low <= v <= high]
    if bad:
        raise argparse.ArgumentTypeError(f"{text!r}: {bad[0]} is outside {low}..{high}")
    return values


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="tilebench", description=__doc__.split("\n\n")[0])
    p.add_argument("--operands", default=[2, 3, 4], type=lambda t: _counts(t, 1, 8),
                   help="operand counts (comma-separated, 1..8; default 2,3,4)")
    p.add_argument("--tiles", default=[8, 40], type=lambda t: _counts(t, 1, 4096, 2),
                   help="the two grid sizes whose difference is measured (default 8,40)")
    p.add_argument("--cores", type=lambda t: _counts(t, 1, 8, 1)[0], default=8,
                   help="active cores, 1..8 (default 8)")
    args = p.parse_args(argv)
    small, large = args.tiles
    if small == large:
        p.error(f"--tiles {small},{large}: the two grid sizes must differ")
    print(f"tilebench: tile driver cost per tile ({args.cores} cores, {small} -> {large} tiles, "
          "empty kernel, 64 B per operand per tile)")
    print(f"{'operands':>8} {'kernel':>9} {'cycles/tile':>12} {'core0 instr/tile':>17} {'core0 L2 wait/tile':>19}")
    with tempfile.TemporaryDirectory(prefix="tilebench-") as tmp:
        work = Path(tmp)
        for operands in args.operands:
            for parallel in (False, True):
                a = _run(work, operands, small, parallel, args.cores)
                b = _run(work, operands, large, parallel, args.cores)

                def per(name: str) -> float:
                    return (b[name] - a[name]) / (large - small)

                print(f"{operands:>8} {'forked' if parallel else 'core 0':>9} {per('cycles'):>12.1f} "
                      f"{per('core0.instret'):>17.1f} {per('core0.wait_l2'):>19.1f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
