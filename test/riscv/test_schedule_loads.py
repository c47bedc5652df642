"""`schedule_loads` (run by riscv-allocate-registers-full before allocating):
loads of innermost loop bodies sink towards their first use, never across a
store, so a register-blocked contraction keeps two or three loaded values
live instead of one per copy, and every kernel still computes the same bytes."""

from __future__ import annotations

from rv32f_pipeline import run as run_pipeline
from test_strength_reduce import (
    PROGRAMS,
    REDUCED,
    SHARED,
    _functions,
    _functions_any,
    _innermost,
    _to_riscv_before_reduction,
    assert_same_memory,
    run_pipeline_module,
)
from xdsl.dialects import riscv, riscv_func

from tdopt.lowering.pipeline import STRENGTH_REDUCE, TO_RISCV_PASSES, reduce_then
from tdopt.backend.riscv_allocation import schedule_loads

# every kernel of the pipeline computes the same bytes once scheduled:
# test_strength_reduce.test_kernels_same_memory_before_allocation


def _same_memory(function: riscv_func.FuncOp) -> list[str]:
    """Run `function` unscheduled and scheduled: same bytes, same number of
    accesses. Returns the op names of its innermost body once scheduled."""
    scheduled = assert_same_memory(function, schedule_loads)
    return [op.name for op in _innermost(scheduled).body.block.ops]


def test_hand_written_nest_same_memory():
    module = run_pipeline(SHARED, "riscv-scf-strength-reduce,canonicalize,cse")
    names = _same_memory(_functions_any(module)["blocked"])
    # the stores stay after every load (all of them may alias)
    assert max(i for i, n in enumerate(names) if n == "riscv.flw") < names.index("riscv.fsw")


ALIASING = """
riscv_func.func @k_alias(%p: !riscv.reg, %q: !riscv.reg) {
  %zero = rv32.get_register : !riscv.reg<zero>
  %c0 = riscv.mv %zero : (!riscv.reg<zero>) -> !riscv.reg
  %n = rv32.li 64 : !riscv.reg
  riscv_scf.for %i : !riscv.reg = %c0 : !riscv.reg to %n : !riscv.reg step 4 : si12 {
    %pi = riscv.add %p, %i : (!riscv.reg, !riscv.reg) -> !riscv.reg
    %qi = riscv.add %q, %i : (!riscv.reg, !riscv.reg) -> !riscv.reg
    %x = riscv.flw %pi, 0 : (!riscv.reg) -> !riscv.freg
    %y = riscv.flw %qi, 0 : (!riscv.reg) -> !riscv.freg
    %w = riscv.flw %qi, 4 : (!riscv.reg) -> !riscv.freg
    %d = riscv.fadd.s %y, %y : (!riscv.freg, !riscv.freg) -> !riscv.freg
    riscv.fsw %pi, %d, 0 : (!riscv.reg, !riscv.freg) -> ()
    %e = riscv.fsub.s %d, %y : (!riscv.freg, !riscv.freg) -> !riscv.freg
    %s = riscv.fadd.s %x, %w : (!riscv.freg, !riscv.freg) -> !riscv.freg
    %t = riscv.fadd.s %s, %e : (!riscv.freg, !riscv.freg) -> !riscv.freg
    riscv.fsw %qi, %t, 4 : (!riscv.reg, !riscv.freg) -> ()
  }
  riscv_func.return
}
"""


def test_loads_stay_before_stores():
    """%x and %w are first used after the store to p[i]: they must still be
    loaded before it (the store overwrites what %x reads)."""
    function = _functions_any(run_pipeline(ALIASING, "canonicalize"))["k_alias"]
    names = _same_memory(function)
    store = names.index("riscv.fsw")
    assert [i for i, n in enumerate(names) if n == "riscv.flw"] == [i for i in range(store) if names[i] == "riscv.flw"]
    assert names.count("riscv.flw") == 3


# an 8x8 output: 4x4 blocks (16 columns would take 4x6 and a 4x4 remainder)
MATMUL_8X8 = """
func.func @main(%a: tensor<8x12xf32>, %b: tensor<12x8xf32>) -> tensor<8x8xf32> {
  %c = train.matmul %a, %b : (tensor<8x12xf32>, tensor<12x8xf32>) -> tensor<8x8xf32>
  func.return %c : tensor<8x8xf32>
}"""


def test_blocked_body_interleaves_loads():
    """Blocked 4x4, the body loads %a's first row value and the first two of
    %b, then each further value one instruction ahead of the fmadd.s that
    first needs it: %b's four values stay live for the four rows, each row
    of %a is loaded one product before its row starts. The k loop is
    unrolled by 4 (kernel-unroll-innermost): four such steps in a row."""
    module = run_pipeline(MATMUL_8X8, _to_riscv_before_reduction(16))
    run_pipeline_module(module, REDUCED)
    kernel = next(f for f in _functions(module).values() if any(isinstance(o, riscv.FMAddSOp) for o in f.walk()))
    names = [n.removeprefix("riscv.") for n in _same_memory(kernel)]
    body = [n for n in names if n in ("flw", "fmadd.s")]
    first_row = ["flw", "flw", "flw", "fmadd.s", "flw", "fmadd.s", "flw", "fmadd.s", "flw", "fmadd.s"]
    middle_row = ["fmadd.s", "fmadd.s", "fmadd.s", "flw", "fmadd.s"]
    assert body == (first_row + middle_row * 2 + ["fmadd.s"] * 4) * 4


def test_blocked_by_16_allocates():
    """The same 16 copies through the full pipeline: 16 accumulators, four
    values of %b, two of %a and the zero the accumulators start from (the
    result's fill is fused into the kernel, kernel-fuse-fill) fit the float
    registers."""
    module = run_pipeline(MATMUL_8X8, _to_riscv_before_reduction(16))
    rest = ",".join(reduce_then(TO_RISCV_PASSES[TO_RISCV_PASSES.index(STRENGTH_REDUCE) :]))
    run_pipeline_module(module, rest)
    kernel = next(f for f in _functions(module).values() if any(isinstance(o, riscv.FMAddSOp) for o in f.walk()))
    fmadds = [o for o in kernel.walk() if isinstance(o, riscv.FMAddSOp)]
    assert len(fmadds) == 16 * 4  # the k loop unrolled by 4 (kernel-unroll-innermost)
    floats = {r.type for o in kernel.walk() for r in o.results if isinstance(r.type, riscv.FloatRegisterType)}
    assert len(floats) <= 23


STRAIGHT = """
riscv_func.func @k_straight(%p: !riscv.reg, %q: !riscv.reg) {
  %a0 = riscv.flw %p, 0 : (!riscv.reg) -> !riscv.freg
  %a1 = riscv.flw %p, 4 : (!riscv.reg) -> !riscv.freg
  %b0 = riscv.flw %q, 0 : (!riscv.reg) -> !riscv.freg
  %b1 = riscv.flw %q, 4 : (!riscv.reg) -> !riscv.freg
  %s0 = riscv.fmul.s %a0, %b0 : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %s1 = riscv.fmul.s %a1, %b0 : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %s2 = riscv.fmul.s %a0, %b1 : (!riscv.freg, !riscv.freg) -> !riscv.freg
  %s3 = riscv.fmul.s %a1, %b1 : (!riscv.freg, !riscv.freg) -> !riscv.freg
  riscv.fsw %q, %s0, 8 : (!riscv.reg, !riscv.freg) -> ()
  riscv.fsw %q, %s1, 12 : (!riscv.reg, !riscv.freg) -> ()
  riscv.fsw %q, %s2, 16 : (!riscv.reg, !riscv.freg) -> ()
  riscv.fsw %q, %s3, 20 : (!riscv.reg, !riscv.freg) -> ()
  riscv_func.return
}
"""


def test_a_kernel_without_loops_is_scheduled():
    """A kernel whose loops all had one trip is one straight-line block (a
    3x9 output blocked 3x8 + 3x1 with its 4-step reduction unrolled needed
    35 float registers with every load first). Its loads sink towards their
    users, those used by the next op first: %a0 and %b0 (for %s0), then
    %a1 one op ahead of %s1, then %b1 one op ahead of %s2."""
    function = _functions_any(run_pipeline(STRAIGHT, "canonicalize"))["k_straight"]
    scheduled = assert_same_memory(function, schedule_loads)
    names = [op.name.removeprefix("riscv.") for op in scheduled.body.block.ops]
    assert names[:8] == ["flw", "flw", "flw", "fmul.s", "flw", "fmul.s", "fmul.s", "fmul.s"]
    loads = [op for op in scheduled.body.block.ops if isinstance(op, riscv.FLwOp)]
    assert [(op.rs1.name_hint, op.immediate.value.data) for op in loads] == [
        ("p", 0), ("q", 0), ("p", 4), ("q", 4)
    ]
