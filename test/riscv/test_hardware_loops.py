"""`hardware_loops` (riscv-allocate-registers-full, before allocating):
innermost loops become CORE-V hardware loops. The loops still compute the
same bytes when the body repeats as the core repeats it (scf_eval), loops
the hardware cannot run stay, and the `.word` encoding assembles to the
`cv.setup` of the runtime's TDRT_HWLOOP macro."""

from __future__ import annotations

import subprocess

import numpy as np
import pytest
from rv32f_pipeline import run as run_pipeline
from test_strength_reduce import _functions_any, hwloop_setups, run_pipeline_module
from xdsl.dialects import riscv, riscv_scf

from tdopt.backend.riscv_allocation import hardware_loops

# every kernel of the pipeline computes the same bytes with hardware loops:
# test_strength_reduce.test_kernels_same_memory_before_allocation


# a loop with bounds known at run time only: %n bytes from %p, step %s
DYNAMIC = """
riscv_func.func @k_scale(%p: !riscv.reg, %q: !riscv.reg) {
  %n = riscv.lw %q, 0 : (!riscv.reg) -> !riscv.reg
  %end = riscv.add %p, %n : (!riscv.reg, !riscv.reg) -> !riscv.reg
  %acc0 = riscv.flw %q, 4 : (!riscv.reg) -> !riscv.freg
  %init = riscv.parallel_mov %acc0 [32] : (!riscv.freg) -> !riscv.freg
  %sum = riscv_scf.for %i : !riscv.reg = %p : !riscv.reg to %end : !riscv.reg step STEP : si12 iter_args(%acc = %init) -> (!riscv.freg) {
    %x = riscv.flw %i, 0 : (!riscv.reg) -> !riscv.freg
    %y = riscv.fadd.s %x, %x : (!riscv.freg, !riscv.freg) -> !riscv.freg
    riscv.fsw %i, %y, 0 : (!riscv.reg, !riscv.freg) -> ()
    %a = riscv.fadd.s %acc, %x : (!riscv.freg, !riscv.freg) -> !riscv.freg
    riscv_scf.yield %a : !riscv.freg
  }
  riscv.fsw %q, %sum, 8 : (!riscv.reg, !riscv.freg) -> ()
  riscv_func.return
}
"""


@pytest.mark.parametrize("step", [4, 8])
@pytest.mark.parametrize("n", [-8, 0, 4, 8, 12, 60])
def test_dynamic_trip_count(step, n):
    """count = (end - p + step - 1) >> log2(step): empty and negative ranges
    are skipped, a partial last step still runs."""
    function = _functions_any(run_pipeline(DYNAMIC.replace("STEP", str(step)), "canonicalize"))["k_scale"]

    def with_n(memory):
        memory.data[0x4000:0x4004] = np.array([n], np.int32).view(np.uint8)

    from scf_eval import Memory, run

    results = []
    for f in (function, function.clone()):
        if results:
            hardware_loops(f)
            assert len(hwloop_setups(f)) == 1
        memory = Memory(0x1000_0000, 0x8000)
        memory.data[:] = np.random.default_rng(3).standard_normal(0x2000).astype(np.float32).view(np.uint8)
        with_n(memory)
        run(f, memory, 0x1000_0000, 0x1000_4000)
        results.append(memory)
    assert results[1].accesses == results[0].accesses
    np.testing.assert_array_equal(results[1].data, results[0].data)


NOT_CONVERTED = """
riscv_func.func @k_short(%p: !riscv.reg) {
  %end = riscv.addi %p, 64 : (!riscv.reg) -> !riscv.reg
  %x = riscv.flw %p, 0 : (!riscv.reg) -> !riscv.freg
  riscv_scf.for %i : !riscv.reg = %p : !riscv.reg to %end : !riscv.reg step 4 : si12 {
    riscv.fsw %i, %x, 4 : (!riscv.reg, !riscv.freg) -> ()
  }
  riscv_func.return
}
riscv_func.func @k_once(%p: !riscv.reg) {
  %end = riscv.addi %p, 4 : (!riscv.reg) -> !riscv.reg
  riscv_scf.for %i : !riscv.reg = %p : !riscv.reg to %end : !riscv.reg step 4 : si12 {
    %x = riscv.flw %i, 0 : (!riscv.reg) -> !riscv.freg
    %y = riscv.fadd.s %x, %x : (!riscv.freg, !riscv.freg) -> !riscv.freg
    riscv.fsw %i, %y, 4 : (!riscv.reg, !riscv.freg) -> ()
  }
  riscv_func.return
}
riscv_func.func @k_csr(%p: !riscv.reg) {
  %end = riscv.addi %p, 64 : (!riscv.reg) -> !riscv.reg
  %zero = rv32.get_register : !riscv.reg<zero>
  riscv_scf.for %i : !riscv.reg = %p : !riscv.reg to %end : !riscv.reg step 4 : si12 {
    %c = riscv.csrrs %zero, 3860, "r" : (!riscv.reg<zero>) -> !riscv.reg
    riscv.sw %i, %c, 0 : (!riscv.reg, !riscv.reg) -> ()
    riscv.sw %i, %c, 4 : (!riscv.reg, !riscv.reg) -> ()
  }
  riscv_func.return
}
riscv_func.func @k_step(%p: !riscv.reg) {
  %end = riscv.addi %p, 60 : (!riscv.reg) -> !riscv.reg
  riscv_scf.for %i : !riscv.reg = %p : !riscv.reg to %end : !riscv.reg step 12 : si12 {
    %x = riscv.flw %i, 0 : (!riscv.reg) -> !riscv.freg
    %y = riscv.fadd.s %x, %x : (!riscv.freg, !riscv.freg) -> !riscv.freg
    riscv.fsw %i, %y, 4 : (!riscv.reg, !riscv.freg) -> ()
  }
  riscv_func.return
}
"""


@pytest.mark.parametrize(
    "name",
    [
        "k_short",  # a store and the advance: CV32E40P wants three instructions in the body
        "k_once",  # one iteration: the set-up would cost more than it saves
        "k_csr",  # a CSR access
        "k_step",  # a step that is not a power of two
    ],
)
def test_not_converted(name):
    function = _functions_any(run_pipeline(NOT_CONVERTED, "canonicalize"))[name]
    hardware_loops(function)
    assert not hwloop_setups(function)


def test_static_count_and_carried_induction_variable():
    """k_once's loop over 16 elements: `li 16`, a loop that runs once (from
    0 to 16, step 16) and carries the pointer; the body ends with its
    advance and the end label."""
    text = NOT_CONVERTED.replace("%end = riscv.addi %p, 4 :", "%end = riscv.addi %p, 64 :")
    function = _functions_any(run_pipeline(text, "canonicalize"))["k_once"]
    hardware_loops(function)
    (setup,) = hwloop_setups(function)
    loop = next(op for op in function.walk() if isinstance(op, riscv_scf.ForOp))
    assert loop.stop is loop.step_val is setup.count
    assert setup.count.owner.immediate.value.data == 16
    names = [op.name for op in loop.body.block.ops]
    assert names[:2] == ["riscv.label", "rvx.hwloop_setup"]
    assert names[-3:] == ["riscv.addi", "riscv.label", "riscv_scf.yield"]
    assert not any(isinstance(op, riscv.AddiOp) and op.immediate.value.data == 64 for op in function.walk())


def test_encoding_matches_cv_setup(tmp_path):
    """The `.word` the allocated set-up prints assembles to the bytes of
    `.insn i 0x2b, 4, x14, rs1, body + 1` (runtime/include/tdrt.inc)."""
    from tdopt.runtime.toolchain import MABI, MARCH, gcc_path

    try:
        gcc = gcc_path()
    except Exception as e:  # noqa: BLE001
        pytest.skip(str(e))
    text = NOT_CONVERTED.replace("%end = riscv.addi %p, 4 :", "%end = riscv.addi %p, 64 :")
    module = run_pipeline(text, "canonicalize")
    run_pipeline_module(module, "riscv-allocate-registers-full,canonicalize")
    (setup,) = hwloop_setups(_functions_any(module)["k_once"])
    line = setup.assembly_line()
    reg = setup.count.type.register_name.data
    body = ["flw ft0, 0(a0)", "fadd.s ft0, ft0, ft0", "fsw ft0, 4(a0)", "addi a0, a0, 4"]
    words = f"{setup.start.data}:\n{line}\n" + "\n".join(body) + f"\n{setup.end.data}:\n"
    insn = f".insn i 0x2b, 4, x14, {reg}, {len(body) + 1}\n" + "\n".join(body) + "\n"
    dumps = []
    for name, text in (("w", words), ("i", insn)):
        (tmp_path / f"{name}.S").write_text(".text\n" + text)
        source, obj, binary = (tmp_path / f"{name}{ext}" for ext in (".S", ".o", ".bin"))
        subprocess.run([gcc, f"-march={MARCH}", f"-mabi={MABI}", "-c", str(source), "-o", str(obj)], check=True)
        objcopy = gcc.replace("gcc", "objcopy")
        subprocess.run([objcopy, "-O", "binary", "-j", ".text", str(obj), str(binary)], check=True)
        dumps.append(binary.read_bytes())
    assert dumps[0] == dumps[1]
    assert len(dumps[0]) == 4 * (len(body) + 1)
