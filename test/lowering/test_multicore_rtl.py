"""Kernels split over the cluster's cores (`cluster-mark-parallel`,
`cluster-parallelize`, forks in the entry) give the reference interpreter's
results on 8 cores and on 3 (an uneven split), for train ops, grad ops and
training steps; the work is really spread (every core executes FP
operations, fewer cycles than on one core). A run that trips the hazard
checker, a bus error or a trap raises, so passing runs also mean the checker
reported nothing."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from helpers import make_module
from test_grad_ops_rtl import CASES as GRAD_CASES
from test_grad_ops_rtl import attention, conv_net, mlp, training_step
from test_ops_rtl import CASES as OP_CASES
from xdsl.dialects import func, memref_stream
from xdsl.dialects.builtin import ModuleOp

from tdopt.dialects.cluster import PARALLEL, parallel_of
from tdopt.interpreter.reference import run_function
from tdopt.dialects import train
from tdopt.lowering.pipeline import TO_LINALG, TO_RISCV_PASSES, run_pipeline
from tdopt.tools.context import make_context
from tdopt.tools.rtl_run import RtlResult, run_on_rtl

RTOL, ATOL = 1e-4, 1e-5


def run_and_compare(module: ModuleOp, inputs, cores: int) -> RtlResult:
    expected = run_function(module.clone(), inputs)
    run = run_on_rtl(make_context(), module.clone(), inputs, cores=cores, max_cycles=5_000_000)
    assert run.results.keys() == expected.keys()
    for name, want in expected.items():
        np.testing.assert_allclose(run.results[name], want, rtol=RTOL, atol=ATOL, err_msg=name)
    return run


@pytest.mark.parametrize("cores", [8, 3])
@pytest.mark.parametrize("case", sorted(OP_CASES))
def test_op_on_cores(case: str, cores: int) -> None:
    inputs, body = OP_CASES[case]
    run_and_compare(make_module(inputs, body), inputs, cores)


@pytest.mark.parametrize("cores", [8, 3])
@pytest.mark.parametrize("case", sorted(GRAD_CASES))
def test_grad_op_on_cores(case: str, cores: int) -> None:
    inputs, body = GRAD_CASES[case]
    run_and_compare(make_module(inputs, body), inputs, cores)


STEPS = {
    "conv_net": ({"x": (2, 1, 6, 6), "labels": [3, 0]}, conv_net, 3),
    "mlp": ({"x": (4, 3), "target": (4, 2)}, mlp, 4),
    "attention": ({"x": (4, 6), "labels": [2, 0, 1, 2]}, attention, 6),
}


def step_inputs(spec: dict, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        k: np.array(v, dtype=np.int64) if isinstance(v, list)
        else rng.standard_normal(v).astype(np.float32)
        for k, v in spec.items()
    }


@pytest.mark.parametrize("cores", [8, 3])
@pytest.mark.parametrize("name", sorted(STEPS))
def test_training_step_on_cores(name: str, cores: int) -> None:
    spec, forward, seed = STEPS[name]
    inputs = step_inputs(spec, seed)
    run_and_compare(training_step(inputs, forward), inputs, cores)


def test_work_is_split_over_the_cores() -> None:
    inputs, body = OP_CASES["conv"]
    one = run_and_compare(make_module(inputs, body), inputs, 1)
    eight = run_and_compare(make_module(inputs, body), inputs, 8)
    # the conv's 3 output channels x 6 rows x 6 columns: every core computes
    assert all(eight.counters[f"core{c}.fp_ops"] > 0 for c in range(8))
    # the same FP work, split: beyond it each core may move a float
    # constant hoisted out of a kernel's loops (licm) into a register once
    # per kernel it runs (5 kernels: pad fill and copy, im2col, fill, matmul)
    extra = eight.counters["fp_ops"] - one.counters["core0.fp_ops"]
    assert 0 <= extra <= 8 * 5
    # at least 2.5x faster: small kernels (pad fill and copy, im2col, output fill, matmul)
    # each pay a fork/join
    assert eight.counters["cycles"] * 2.5 < one.counters["cycles"]


def test_parallel_program_on_one_core() -> None:
    """The split program reads the core count at run time: on one core it
    runs every slice itself."""
    inputs, body = OP_CASES["matmul_batched"]
    module = make_module(inputs, body)
    expected = run_function(module.clone(), inputs)
    run = run_on_rtl(make_context(), module, inputs, cores=1, parallel=True)
    for name, want in expected.items():
        np.testing.assert_allclose(run.results[name], want, rtol=RTOL, atol=ATOL, err_msg=name)
    assert "call tdrt_parallel" in open(run.asm_path).read()


def marked(case: str) -> dict[str, list[int]]:
    inputs, body = OP_CASES[case]
    module = make_module(inputs, body)
    ctx = make_context()
    run_pipeline(ctx, module, f"{TO_LINALG},cluster-mark-parallel")
    return {
        f.sym_name.data: list(parallel_of(f))  # type: ignore[arg-type]
        for f in module.ops
        if isinstance(f, func.FuncOp) and PARALLEL in f.attributes
    }


def test_a_large_mse_sums_its_rows_on_every_core() -> None:
    """A full reduction has no parallel loop; a large mean squared error is
    summed as 64 rows in parallel (split over the cores), then the 64
    partial sums on one core."""
    split = marked("mse_two_stage")
    assert [64] == sorted({trips for _, trips in split.values()})
    assert any(name.startswith("k_mse") for name in split)


def test_which_kernels_are_split() -> None:
    # a full reduction to a scalar stays on core 0
    assert marked("reduce_sum_all") == {}
    # matmul 2x3x4 @ 4x5: no loop has 8 trips, the longest leading parallel
    # one is split (the 5 columns), in the product that starts from its
    # fill (kernel-fuse-fill)
    assert marked("matmul_batched") == {"k_matmul_0_1_from_fill": [2, 5]}
    # softmax of 3x6 over the last axis: the row maximum (starting from its
    # fill, kernel-fuse-fill) splits the rows (its reduction stays inside a
    # core), the elementwise parts the 6 columns
    split = marked("softmax")
    assert split["k_softmax_0_1_from_fill"] == [0, 3] and split["k_softmax_0_2"] == [1, 6]


ALIASED = """
builtin.module {
  "memref.global"() <{sym_name = "w", sym_visibility = "public", type = memref<4x4xf32>, initial_value}> : () -> ()
  "memref.global"() <{sym_name = "g", sym_visibility = "public", type = memref<4x4xf32>, initial_value}> : () -> ()
  func.func @step() attributes {cluster.entry} {
    %w = memref.get_global @w : memref<4x4xf32>
    %g = memref.get_global @g : memref<4x4xf32>
    func.call @k_update(%w, %g, %w) : (memref<4x4xf32>, memref<4x4xf32>, memref<4x4xf32>) -> ()
    func.call @k_transpose(%w, %w) : (memref<4x4xf32>, memref<4x4xf32>) -> ()
    func.return
  }
  func.func @k_update(%w: memref<4x4xf32>, %g: memref<4x4xf32>, %o: memref<4x4xf32>) attributes {cluster.kernel = "sub"} {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%w, %g : memref<4x4xf32>, memref<4x4xf32>) outs(%o : memref<4x4xf32>) {
    ^bb0(%a: f32, %b: f32, %c: f32):
      %d = arith.subf %a, %b : f32
      linalg.yield %d : f32
    }
    func.return
  }
  func.func @k_transpose(%x: memref<4x4xf32>, %o: memref<4x4xf32>) attributes {cluster.kernel = "transpose"} {
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : memref<4x4xf32>) outs(%o : memref<4x4xf32>) {
    ^bb0(%a: f32, %c: f32):
      linalg.yield %a : f32
    }
    func.return
  }
}
"""


def test_buffers_passed_twice() -> None:
    """A call that passes the same buffer as input and output: an
    elementwise update in place still splits, a transpose in place (another
    element read than written) does not."""
    from xdsl.parser import Parser

    ctx = make_context()
    module = Parser(ctx, ALIASED).parse_module()
    run_pipeline(ctx, module, "cluster-mark-parallel")
    kernels = {f.sym_name.data: f for f in module.ops if isinstance(f, func.FuncOp)}
    assert PARALLEL in kernels["k_update"].attributes
    assert PARALLEL not in kernels["k_transpose"].attributes


# matmuls (m, k, n) whose register block does not divide the columns:
# 16x64 (2 rows a core at 8 cores): 2x13 blocks over 52 columns, 2x12 over
# the last 12; 24x50: 3x8 over 48, 3x2 over 2; 64x64: 4x6 over 60, 4x4 over 4
# (shape, the first column of the remainder)
REMAINDER_SHAPES = [((16, 24, 64), 52), ((24, 20, 50), 48), ((64, 64, 64), 60)]


def _blocked_generics(module: ModuleOp) -> list[memref_stream.GenericOp]:
    upto = []
    for p in TO_RISCV_PASSES:
        upto.append(p)
        if p.startswith("interleave-contractions"):
            break
    run_pipeline(make_context(), module, ",".join([TO_LINALG, *upto]))
    return [
        g for g in module.walk()
        if isinstance(g, memref_stream.GenericOp)
        and memref_stream.IteratorTypeAttr.interleaved() in g.iterator_types
    ]


@pytest.mark.parametrize("cores", [8, 3])
@pytest.mark.parametrize("shape, split", REMAINDER_SHAPES)
def test_register_block_with_a_remainder(shape: tuple[int, int, int], split: int, cores: int) -> None:
    """The block is split off the columns it does not divide (two blocked
    generics, the second offset past the first's columns); the product on
    the RTL equals numpy's in float64 within float32 rounding."""
    m, k, n = shape
    rng = np.random.default_rng(m + k + n)
    inputs = {"a": rng.standard_normal((m, k)).astype(np.float32),
              "b": rng.standard_normal((k, n)).astype(np.float32)}
    body = lambda v: [train.MatMulOp.make(v)]  # noqa: E731
    parts = _blocked_generics(make_module(inputs, body))
    assert len(parts) == 2
    first, rest = (g.indexing_maps.data[-1].data.results[1] for g in parts)
    assert f"+ {split})" not in str(first) and str(rest).endswith(f"+ {split})")
    run = run_on_rtl(make_context(), make_module(inputs, body), inputs, cores=cores, max_cycles=5_000_000)
    want = inputs["a"].astype(np.float64) @ inputs["b"].astype(np.float64)
    (got,) = run.results.values()
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=1e-4)
