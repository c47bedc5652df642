"""The tile driver (`tdrt_tiled`, runtime/lib/tdrt_tiled.c) on a hand-written
descriptor (programs/tiled_driver.c), serial and forked over the cores: the
results are computed here with numpy from the descriptor's meaning (each
grid point's tile of each operand), and the testbench's hazard checker fails
the run if the driver lets a core touch a buffer the DMA is still moving (a
second call, of an output-only kernel writing to L3, needs the driver to
wait for a copy out before reusing its buffer)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tdopt.runtime.cluster import run_elf
from tdopt.runtime.toolchain import assemble_and_link

PROGRAM = Path(__file__).parent / "programs" / "tiled_driver.c"
G0, G1, G2, E = 2, 3, 4, 8


def expected(
    a: np.ndarray, b: np.ndarray, out: np.ndarray, first: int
) -> tuple[np.ndarray, np.ndarray]:
    # with a first kernel, OUT's tiles start from zero at k = 0 (never read)
    out = np.zeros_like(out, np.float32) if first else out.astype(np.float32).copy()
    c = np.zeros((G0, G1, G2, E), np.float32)
    for i in range(G0):
        for j in range(G1):
            for k in range(G2):
                # A's tile: planes 2i, 2i+1; rows 2j, 2j+1; columns 2k, 2k+1 (plane-major)
                tile = a[2 * i:2 * i + 2, 2 * j:2 * j + 2, 2 * k:2 * k + 2].reshape(E)
                out[i, j] += tile * b[j] + np.float32(1)
                c[i, j, k] = tile - b[j]
    return out, c


@pytest.mark.parametrize("parallel,first", [(0, 0), (1, 0), (0, 1), (1, 1)])
def test_tile_driver_against_numpy(model, tmp_path, parallel, first):
    elf = assemble_and_link(
        [PROGRAM], tmp_path / "t.elf", extra_flags=[f"-DPARALLEL={parallel}", f"-DFIRST={first}"]
    )
    rng = np.random.default_rng(7)
    a = rng.standard_normal((4, 6, 8)).astype(np.float32)
    b = rng.standard_normal((G1, E)).astype(np.float32)
    out = rng.standard_normal((G0, G1, E)).astype(np.float32)
    r = run_elf(elf, cores=8, model=model, read_symbols=["out_home", "c_home", "d_home"],
                write_symbols={"a_home": a, "b_home": b, "out_home": out})
    want_out, want_c = expected(a, b, out, first)
    got_out = np.frombuffer(r.symbols["out_home"], np.float32).reshape(G0, G1, E)
    got_c = np.frombuffer(r.symbols["c_home"], np.float32).reshape(G0, G1, G2, E)
    np.testing.assert_allclose(got_out, want_out, rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(got_c, want_c)
    # copies: A and C every tile, B once per j (kept over k), OUT in (unless a
    # first kernel starts it) and out once per (i, j)
    tile = 4 * E
    # and each call's operand descriptors (12 words an operand), copied into L1 once
    descriptors = 48 * 4 + 48 * 1
    assert r.counters["dma.l2_to_l1.bytes"] == (
        G0 * G1 * G2 * tile + G0 * G1 * tile + (0 if first else G0 * G1 * tile) + descriptors
    )
    assert r.counters["dma.l1_to_l2.bytes"] == G0 * G1 * G2 * tile + G0 * G1 * tile
    # the output-only call: 8 tiles of d[e] = e copied out to L3
    got_d = np.frombuffer(r.symbols["d_home"], np.float32).reshape(8, 256)
    np.testing.assert_array_equal(got_d, np.tile(np.arange(256, dtype=np.float32), (8, 1)))
    assert r.counters["dma.l1_to_l3.bytes"] == 8 * 256 * 4
