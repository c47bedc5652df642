"""Explicit DMA (`tier.dma_start` / `tier.dma_wait` / `tier.dma_wait_all`,
lowered by `convert-tier-dma-to-riscv` inside the project's TO_RISCV
pipeline) on the cluster RTL: a hand-written program at the func / linalg
level with its globals placed by `#tier.space` copies

* a vector L2 -> L1 and another L3 -> L1 (whole memrefs, 1-D),
* a 4x8 block of an 8x16 matrix (a `memref.subview`: 2-D from the layout)
  and the first four columns of it (explicit `bytes` / `rows` / strides),

computes on L1 while the block is still in flight, and copies back: to L2
(whole, and the block into a strided view of another matrix), to L3 (the
first half only, explicit `bytes`). The results are compared with numpy,
and the DMA byte counters per tier pair with the hand-counted transfers.
A run that trips the testbench's hazard checker (a core touching bytes of
an in-flight transfer) raises, so passing also means every wait was in
place; the last test removes two waits and expects exactly that error."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from xdsl.dialects.riscv import print_assembly
from xdsl.parser import Parser

from tdopt.lowering.pipeline import run_pipeline, to_riscv
from tdopt.runtime.cluster import ClusterError, RunResult, run_elf
from tdopt.runtime.toolchain import assemble_and_link
from tdopt.tools.context import make_context

GLOBALS = {  # name: memref type (the tier is its memory space)
    "a": "memref<64xf32, #tier.space<l2>>",
    "w": "memref<64xf32, #tier.space<l3>>",
    "m": "memref<8x16xf32, #tier.space<l2>>",
    "a1": "memref<64xf32, #tier.space<l1>>",
    "w1": "memref<64xf32, #tier.space<l1>>",
    "blk": "memref<4x8xf32, #tier.space<l1>>",
    "cols": "memref<8x4xf32, #tier.space<l1>>",
    "out": "memref<64xf32, #tier.space<l2>>",
    "mout": "memref<8x16xf32, #tier.space<l2>>",
    "wout": "memref<64xf32, #tier.space<l3>>",
    "cout": "memref<8x4xf32, #tier.space<l2>>",
}

# kernels take at most 8 buffers (a0..a7): one kernel copies in and
# computes, the other copies out
KERNELS = """
!v2 = memref<64xf32, #tier.space<l2>>
!v3 = memref<64xf32, #tier.space<l3>>
!v1 = memref<64xf32, #tier.space<l1>>
!m2 = memref<8x16xf32, #tier.space<l2>>
!b1 = memref<4x8xf32, #tier.space<l1>>
!c1 = memref<8x4xf32, #tier.space<l1>>
!c2 = memref<8x4xf32, #tier.space<l2>>
!in_view = memref<4x8xf32, strided<[16, 1], offset: 36>, #tier.space<l2>>
!out_view = memref<4x8xf32, strided<[16, 1], offset: 22>, #tier.space<l2>>

func.func @load_compute(%a: !v2, %w: !v3, %m: !m2, %a1: !v1, %w1: !v1, %blk: !b1, %cols: !c1) {
  %ia = tier.dma_start %a to %a1 : !v2 to !v1
  %iw = tier.dma_start %w to %w1 : !v3 to !v1
  %sub = memref.subview %m[2, 4] [4, 8] [1, 1] : !m2 to !in_view
  %ib = tier.dma_start %sub to %blk : !in_view to !b1
  %ic = tier.dma_start %m to %cols bytes 16 rows 8 src_stride 64 dst_stride 16 : !m2 to !c1
  tier.dma_wait %ia  // WAIT-IN
  tier.dma_wait %iw  // WAIT-IN
  %two = arith.constant 2.0 : f32
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%w1 : !v1) outs(%a1 : !v1) {
  ^bb0(%x: f32, %y: f32):
    %p = arith.mulf %y, %two : f32
    %s = arith.addf %p, %x : f32
    linalg.yield %s : f32
  }
  tier.dma_wait %ib
  %three = arith.constant 3.0 : f32
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} outs(%blk : !b1) {
  ^bb0(%y: f32):
    %p = arith.mulf %y, %three : f32
    linalg.yield %p : f32
  }
  tier.dma_wait_all
  func.return
}

func.func @store(%a1: !v1, %blk: !b1, %cols: !c1, %out: !v2, %mout: !m2, %wout: !v3, %cout: !c2) {
  %io = tier.dma_start %a1 to %out : !v1 to !v2
  %iw = tier.dma_start %a1 to %wout bytes 128 : !v1 to !v3
  %sub = memref.subview %mout[1, 6] [4, 8] [1, 1] : !m2 to !out_view
  %ib = tier.dma_start %blk to %sub : !b1 to !out_view
  %ic = tier.dma_start %cols to %cout : !c1 to !c2
  tier.dma_wait %io
  tier.dma_wait %ib
  tier.dma_wait_all
  func.return
}
"""


def program(keep_input_waits: bool = True) -> str:
    """The whole module: globals, the entry (`cluster.entry`: buffer
    addresses in a0..a7, then the kernel calls) and the kernels."""
    lines = [
        f'"memref.global"() <{{sym_name = "{n}", type = {t}, initial_value, '
        'sym_visibility = "public"}> : () -> ()'
        for n, t in GLOBALS.items()
    ]
    lines.append("func.func @step() attributes {cluster.entry} {")
    lines += [f"  %{n} = memref.get_global @{n} : {t}" for n, t in GLOBALS.items()]

    def call(name: str, args: list[str]) -> str:
        types = ", ".join(GLOBALS[a] for a in args)
        return f"  func.call @{name}({', '.join('%' + a for a in args)}) : ({types}) -> ()"

    lines.append(call("load_compute", ["a", "w", "m", "a1", "w1", "blk", "cols"]))
    lines.append(call("store", ["a1", "blk", "cols", "out", "mout", "wout", "cout"]))
    lines += ["  func.return", "}"]
    kernels = KERNELS
    if not keep_input_waits:
        kernels = "\n".join(x for x in kernels.splitlines() if "WAIT-IN" not in x)
    # aliases must come first in the module
    aliases = [x for x in kernels.splitlines() if x.startswith("!")]
    body = [x for x in kernels.splitlines() if not x.startswith("!")]
    return "\n".join(aliases + lines + body)


def compile_and_run(source: str, tmp_path: Path, inputs: dict[str, np.ndarray]) -> RunResult:
    ctx = make_context()
    module = Parser(ctx, source, "dma_program.mlir").parse_module()
    run_pipeline(ctx, module, to_riscv())
    asm = io.StringIO()
    print_assembly(module, asm)
    (tmp_path / "dma.s").write_text(asm.getvalue())
    elf = assemble_and_link([tmp_path / "dma.s"], tmp_path / "dma.elf")
    return run_elf(elf, write_symbols=inputs, read_symbols=["out", "mout", "wout", "cout"])


def inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(3)
    return {
        "a": rng.standard_normal(64).astype(np.float32),
        "w": rng.standard_normal(64).astype(np.float32),
        "m": rng.standard_normal((8, 16)).astype(np.float32),
    }


def test_dma_program(tmp_path: Path) -> None:
    x = inputs()
    run = compile_and_run(program(), tmp_path, x)

    def result(name: str, shape: tuple[int, ...]) -> np.ndarray:
        return np.frombuffer(run.symbols[name], np.float32).reshape(shape)

    a1 = 2 * x["a"] + x["w"]
    np.testing.assert_allclose(result("out", (64,)), a1, rtol=1e-6)
    wout = np.zeros(64, np.float32)
    wout[:32] = a1[:32]  # `bytes 128`: the first 32 elements
    np.testing.assert_allclose(result("wout", (64,)), wout, rtol=1e-6)
    mout = np.zeros((8, 16), np.float32)
    mout[1:5, 6:14] = 3 * x["m"][2:6, 4:12]
    np.testing.assert_allclose(result("mout", (8, 16)), mout, rtol=1e-6)
    np.testing.assert_array_equal(result("cout", (8, 4)), x["m"][:, :4])
    # bytes per tier pair: in a 256 + block 128 + columns 128, w 256;
    # out 256 + block 128 + columns 128, the half of a1 128
    c = run.counters
    assert c["dma.l2_to_l1.bytes"] == 512 and c["dma.l3_to_l1.bytes"] == 256
    assert c["dma.l1_to_l2.bytes"] == 512 and c["dma.l1_to_l3.bytes"] == 128
    assert c["dma.transfers"] == 8


def test_missing_wait_is_a_hazard(tmp_path: Path) -> None:
    """Without the waits for a and w, the compute reads L1 bytes the DMA is
    still writing: the testbench stops the run."""
    with pytest.raises(ClusterError) as err:
        compile_and_run(program(keep_input_waits=False), tmp_path, inputs())
    assert err.value.kind == "hazard", err.value
