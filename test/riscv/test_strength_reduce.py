"""`riscv-scf-strength-reduce` keeps what every kernel loads and stores: the
reduced loops run (scf_eval, on a flat memory) to the same bytes as the
index arithmetic they replace, and pointers a constant apart share one
register (the difference moves into the load/store immediates). The same
kernels, reduced, also check riscv-allocate-registers-full's rewrites before
allocating (`schedule_loads`, `hardware_loops`) for test_schedule_loads and
test_hardware_loops."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rv32f_pipeline import run as run_pipeline
from scf_eval import Memory, run
from xdsl.ir import SSAValue
from xdsl.dialects import riscv, riscv_func, riscv_scf
from xdsl.dialects.builtin import ModuleOp

import tdopt.lowering.pipeline as pipeline  # noqa: F401
from tdopt.dialects.rvx import HardwareLoopSetupOp
from tdopt.lowering.pipeline import CLUSTER_PASSES, STRENGTH_REDUCE, TO_LINALG, TO_RISCV_PASSES, UNTIL_ALLOCATION
from tdopt.backend.riscv_allocation import hardware_loops, is_allocated, schedule_loads

BASE = 0x1000_0000
REGION = 0x4000  # bytes per pointer argument
REDUCE = "riscv-scf-strength-reduce,canonicalize,cse"
# the pipeline up to riscv-allocate-registers-full: strength reduction runs
# the passes before allocation itself (its `then`); here without keeping
# its trial's allocation (`allocate`), so that the tests see its output as
# the allocator's input
REDUCED = next(p for p in UNTIL_ALLOCATION if p.startswith(STRENGTH_REDUCE))
assert "allocate=true " in REDUCED
KEPT, REDUCED = REDUCED, REDUCED.replace("allocate=true ", "")


def _memory_after(function: riscv_func.FuncOp, seed: int = 0) -> Memory:
    n_args = len(function.body.block.args)
    memory = Memory(BASE, REGION * n_args)
    rng = np.random.default_rng(seed)
    memory.data[:] = rng.standard_normal(len(memory.data) // 4).astype(np.float32).view(np.uint8)
    run(function, memory, *(BASE + REGION * i for i in range(n_args)))
    return memory


def assert_same_memory(function: riscv_func.FuncOp, transform) -> riscv_func.FuncOp:
    """Run `function` and a copy changed in place by `transform`: same bytes,
    same number of accesses. Returns the changed copy."""
    changed = function.clone()
    transform(changed)
    want, got = _memory_after(function), _memory_after(changed)
    assert got.accesses == want.accesses
    np.testing.assert_array_equal(got.data, want.data)
    return changed


def _functions(module: ModuleOp) -> dict[str, riscv_func.FuncOp]:
    return {
        op.sym_name.data: op
        for op in module.walk()
        if isinstance(op, riscv_func.FuncOp) and op.body.blocks and op.sym_name.data.startswith("k_")
    }


def _innermost(function: riscv_func.FuncOp) -> riscv_scf.ForOp:
    loops = [op for op in function.walk() if isinstance(op, riscv_scf.ForOp)]
    return next(l for l in loops if not any(isinstance(o, riscv_scf.ForOp) for o in l.body.walk() if o is not l))


def _int_iter_args(loop: riscv_scf.ForOp) -> int:
    return sum(isinstance(v.type, riscv.IntRegisterType) for v in loop.iter_args)


# ---- a hand-written blocked loop nest -------------------------------------

SHARED = (Path(__file__).parent / "inputs" / "shared_pointers.mlir").read_text()


@pytest.mark.parametrize("levels", [1, 2])
def test_shared_pointers_same_memory(levels):
    before = _functions_any(run_pipeline(SHARED, "canonicalize"))["blocked"]
    after = _functions_any(run_pipeline(SHARED, f"riscv-scf-strength-reduce{{levels={levels}}},canonicalize,cse"))[
        "blocked"
    ]
    want, got = _memory_after(before), _memory_after(after)
    assert got.accesses == want.accesses
    np.testing.assert_array_equal(got.data, want.data)


def test_shared_pointers_one_register():
    """b at columns j..j+3 (loads and stores to o alike): one pointer each;
    b at column j+1024 (4096 bytes away) and b with another stride keep
    their own."""
    after = _functions_any(run_pipeline(SHARED, "riscv-scf-strength-reduce{levels=1},canonicalize,cse"))["blocked"]
    loop = _innermost(after)
    # %a folded into the counter; b (shared), b far, b stride 128, o (shared), o far
    assert _int_iter_args(loop) == 5
    loads = [op for op in loop.body.block.ops if isinstance(op, riscv.FLwOp)]
    stores = [op for op in loop.body.block.ops if isinstance(op, riscv.FSwOp)]
    assert len({op.rs1 for op in loads[1:5]}) == 1
    assert [op.immediate.value.data for op in loads[1:5]] == [0, 4, 8, 20]
    assert len({op.rs1 for op in stores[:4]}) == 1
    assert [op.immediate.value.data for op in stores[:4]] == [0, 4, 8, 8]
    advances = [op for op in loop.body.block.ops if isinstance(op, riscv.AddiOp)]
    assert len(advances) == 5


def _functions_any(module: ModuleOp) -> dict[str, riscv_func.FuncOp]:
    return {op.sym_name.data: op for op in module.walk() if isinstance(op, riscv_func.FuncOp)}


# ---- kernels of the full pipeline ------------------------------------------

PROGRAMS = {
    "matmul": """
func.func @main(%a: tensor<8x12xf32>, %b: tensor<12x16xf32>) -> tensor<8x16xf32> {
  %c = train.matmul %a, %b : (tensor<8x12xf32>, tensor<12x16xf32>) -> tensor<8x16xf32>
  func.return %c : tensor<8x16xf32>
}""",
    "matmul_odd": """
func.func @main(%a: tensor<5x7xf32>, %b: tensor<7x12xf32>) -> tensor<5x12xf32> {
  %c = train.matmul %a, %b : (tensor<5x7xf32>, tensor<7x12xf32>) -> tensor<5x12xf32>
  func.return %c : tensor<5x12xf32>
}""",
    "gemm_tb": """
func.func @main(%a: tensor<6x10xf32>, %b: tensor<16x10xf32>, %c: tensor<16xf32>) -> tensor<6x16xf32> {
  %y = train.gemm %a, %b, %c {trans_b} : (tensor<6x10xf32>, tensor<16x10xf32>, tensor<16xf32>) -> tensor<6x16xf32>
  func.return %y : tensor<6x16xf32>
}""",
}


def _to_riscv_before_reduction(depth: int) -> str:
    passes = []
    for p in TO_RISCV_PASSES:
        if p in CLUSTER_PASSES:
            continue
        if p.startswith("interleave-contractions"):
            p = f"interleave-contractions{{pipeline_depth={depth}}}"
        if p == "riscv-scf-strength-reduce":
            break
        passes.append(p)
    return ",".join([TO_LINALG, *passes])


@pytest.mark.parametrize("depth", [4, 8])
@pytest.mark.parametrize("program", PROGRAMS)
def test_kernels_same_memory(program, depth):
    module = run_pipeline(PROGRAMS[program], _to_riscv_before_reduction(depth))
    before = _functions(module)
    assert before
    reduced = module.clone()
    run_pipeline_module(reduced, REDUCE)
    after = _functions(reduced)
    for name, function in before.items():
        want, got = _memory_after(function), _memory_after(after[name])
        np.testing.assert_array_equal(got.data, want.data, err_msg=name)


# ---- riscv-allocate-registers-full's rewrites before allocating ------------


def hwloop_setups(function: riscv_func.FuncOp) -> list[HardwareLoopSetupOp]:
    return [op for op in function.walk() if isinstance(op, HardwareLoopSetupOp)]


def _hardware_loops(function: riscv_func.FuncOp) -> None:
    hardware_loops(function)
    assert hwloop_setups(function)


# name: (run on the kernel first, the rewrite checked against it)
BEFORE_ALLOCATION = {
    "schedule_loads": (None, schedule_loads),
    # the loads sunk as riscv-allocate-registers-full does before converting
    "hardware_loops": (schedule_loads, _hardware_loops),
}


@pytest.mark.parametrize("depth", [4, 16])
@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("rewrite", BEFORE_ALLOCATION)
def test_kernels_same_memory_before_allocation(rewrite, program, depth):
    """Every reduced kernel computes the same bytes with the same number of
    accesses after `schedule_loads` (loads never cross a store) and after
    `hardware_loops` (scf_eval repeats the body as the core does; every
    kernel gets at least one hardware loop)."""
    prepare, transform = BEFORE_ALLOCATION[rewrite]
    module = run_pipeline(PROGRAMS[program], _to_riscv_before_reduction(depth))
    run_pipeline_module(module, REDUCED)
    for function in _functions(module).values():
        if prepare is not None:
            prepare(function)
        assert_same_memory(function, transform)


def run_pipeline_module(module: ModuleOp, spec: str) -> None:
    from xdsl.passes import PassPipeline
    from xdsl.universe import Universe

    from tdopt.tools.context import make_context

    PassPipeline.parse_spec(Universe.get_multiverse().all_passes, spec).apply(make_context(), module)
    module.verify()


def test_blocked_matmul_one_b_pointer():
    """The register-blocked matmul's inner loop (at depth 8, a 3x4 block
    over the first 6 of its 8 rows, 2x4 over the other 2): the A pointer is
    the loop counter, its three rows load at 0, 48 and 96 (12 floats
    apart), and the four B columns share one pointer (loads at 0..12). The k loop is unrolled by 4
    (kernel-unroll-innermost marks it, riscv-scf-unroll, among the passes
    strength reduction runs before allocation, makes the copies): the
    copies load at k + 1..3 from the same pointers, 4 bytes further along
    A's rows, one 64-byte row of B further."""
    module = run_pipeline(PROGRAMS["matmul"], _to_riscv_before_reduction(8))
    run_pipeline_module(module, REDUCED)
    kernel = next(f for f in _functions(module).values() if any(isinstance(o, riscv.FLwOp) for o in f.walk()))
    loop = _innermost(kernel)
    assert _int_iter_args(loop) == 1
    loads = [op for op in loop.body.block.ops if isinstance(op, riscv.FLwOp)]
    by_pointer: dict[SSAValue, list[int]] = {}
    for op in loads:
        by_pointer.setdefault(op.rs1, []).append(op.immediate.value.data)
    a_rows = sorted(r + 4 * k for r in (0, 48, 96) for k in range(4))
    b_cols = sorted(c + 64 * k for c in (0, 4, 8, 12) for k in range(4))
    assert sorted(sorted(v) for v in by_pointer.values()) == [a_rows, b_cols]

@pytest.mark.parametrize("program", PROGRAMS)
def test_kept_allocation_is_the_allocators(program):
    """With `allocate` (the standard pipeline), the kernels leave strength
    reduction allocated, and as riscv-allocate-registers-full allocates
    them without it: the same program either way."""
    kept = run_pipeline(PROGRAMS[program], _to_riscv_before_reduction(16))
    plain = kept.clone()
    run_pipeline_module(kept, KEPT)
    assert all(is_allocated(f) for f in _functions(kept).values())
    run_pipeline_module(kept, "riscv-allocate-registers-full")
    run_pipeline_module(plain, REDUCED)
    assert not any(is_allocated(f) for f in _functions(plain).values())
    run_pipeline_module(plain, "riscv-allocate-registers-full")
    assert str(kept) == str(plain)
