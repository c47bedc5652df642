"""The math expansions after lowering to rv32imf: the unallocated riscv IR,
fused by `riscv-fuse-fmadd`, executed by rv_eval, keeps the accuracy; the
allocated code fits the register file and assembles."""

from __future__ import annotations

import io
import math
import shutil
import subprocess

import numpy as np
import pytest
from rv32f_pipeline import ALLOCATE, FUSE, TO_RISCV, functions, run
from rv_eval import evaluate
from xdsl.dialects.riscv.abstract_ops import print_assembly

F32 = np.float32
N = 100_001

MODULE = "\n".join(
    f"""func.func @{name}(%x: f32) -> f32 {{
  %y = math.{name} %x : f32
  func.return %y : f32
}}"""
    for name in ("exp", "log", "erf", "tanh", "sqrt")
) + """
func.func @div(%x: f32, %y: f32) -> f32 {
  %q = arith.divf %x, %y : f32
  func.return %q : f32
}"""

REFERENCE = {
    "exp": np.exp,
    "log": np.log,
    "erf": np.vectorize(math.erf, otypes=[float]),
    "tanh": np.tanh,
    "sqrt": np.sqrt,
}


@pytest.fixture(scope="module")
def lowered():
    return functions(run(MODULE, f"{TO_RISCV},{FUSE}"))


def test_only_riscv_left_and_fused(lowered):
    for name, fn in lowered.items():
        dialects = {op.dialect_name() for op in fn.walk()}
        assert dialects <= {"riscv", "rv32", "riscv_func"}, (name, dialects)
    exp_ops = [op.name for op in lowered["exp"].walk()]
    assert exp_ops.count("riscv.fmadd.s") >= 6  # the Horner chain
    assert "riscv.fnmsub.s" in exp_ops  # x - n * ln2
    assert [op.name for op in lowered["sqrt"].walk()].count("riscv.fsqrt.s") == 1
    assert [op.name for op in lowered["div"].walk()].count("riscv.fdiv.s") == 1


@pytest.mark.parametrize(
    "name, x, max_abs, max_rel",
    [
        ("exp", np.linspace(-87.3, 88.7, N), None, 1.2e-7),
        ("log", np.geomspace(2.0**-149, 1e38, N), None, 1.2e-7),
        ("erf", np.linspace(-6, 6, N), 1e-7, None),
        ("erf", np.geomspace(1e-30, 6, N), None, 1.2e-7),
        ("tanh", np.linspace(-20, 20, N), 1.2e-7, 2.5e-7),
        ("tanh", np.geomspace(1e-30, 20, N), None, 2.5e-7),
        ("sqrt", np.geomspace(1e-30, 1e30, N), None, 6e-8),  # correctly rounded
    ],
)
def test_lowered_accuracy(lowered, name, x, max_abs, max_rel):
    x = x.astype(F32)
    (y,) = evaluate(lowered[name], x)
    ref = REFERENCE[name](x.astype(np.float64))
    abs_err = np.abs(y - ref)
    if max_abs is not None:
        assert abs_err.max() <= max_abs
    if max_rel is not None:
        nonzero = ref != 0
        assert np.all(abs_err[~nonzero] == 0)
        assert (abs_err[nonzero] / np.abs(ref[nonzero])).max() <= max_rel


def test_lowered_special_values(lowered):
    (y,) = evaluate(lowered["log"], np.array([0.0, -1.0, np.inf, np.nan], F32))
    assert np.isneginf(y[0]) and np.isnan(y[1]) and np.isposinf(y[2]) and np.isnan(y[3])
    (y,) = evaluate(lowered["exp"], np.array([-np.inf, -200, 100, np.inf], F32))
    assert y.tolist() == [0, 0, np.inf, np.inf]
    (y,) = evaluate(lowered["tanh"], np.array([-np.inf, -0.0, np.inf], F32))
    assert y.tolist() == [-1, 0, 1] and np.signbit(y[1])


def test_div_is_correctly_rounded(lowered):
    rng = np.random.default_rng(0)
    x, d = (rng.standard_normal(10_000).astype(F32) for _ in range(2))
    (q,) = evaluate(lowered["div"], x, d)
    assert np.array_equal(q, (x.astype(np.float64) / d).astype(F32))


def test_allocates_and_assembles(tmp_path):
    module = run(MODULE, f"{TO_RISCV},{FUSE},{ALLOCATE}")
    out = io.StringIO()
    print_assembly(module, out)
    asm = out.getvalue()
    for mnemonic in ("fmadd.s", "fnmsub.s", "fsqrt.s", "fdiv.s", "fsgnjx.s", "fsgnj.s", "fmv.x.w"):
        assert mnemonic in asm, mnemonic
    assembler = shutil.which("riscv64-unknown-elf-as")
    if assembler is None:
        pytest.skip("riscv64-unknown-elf-as not installed")
    source = tmp_path / "math.s"
    source.write_text(asm)
    subprocess.run(
        [assembler, "-march=rv32imf_zicsr", "-mabi=ilp32f", str(source), "-o", str(tmp_path / "math.o")],
        check=True,
    )


SOFT_PIPELINE = TO_RISCV.replace("expand-math-rv32f", "expand-math-rv32f{soft-div-sqrt=true}")


def test_soft_div_sqrt_fused_rounding():
    """With fmadd.s/fnmsub.s, the Newton quotient is correctly rounded and
    the square root within one ulp (almost always correctly rounded)."""
    fns = functions(run(MODULE, f"{SOFT_PIPELINE},{FUSE}"))
    names = {op.name for fn in fns.values() for op in fn.walk()}
    assert "riscv.fdiv.s" not in names and "riscv.fsqrt.s" not in names
    rng = np.random.default_rng(6)
    a = np.exp(rng.uniform(-8, 8, N)).astype(F32)
    d = (np.exp(rng.uniform(-80, 80, N)) * rng.choice([-1, 1], N)).astype(F32)
    x = np.exp(rng.uniform(-87, 88, N)).astype(F32)
    with np.errstate(all="ignore"):
        (q,) = evaluate(fns["div"], a, d)
        assert np.array_equal(q, a / d)
        (s,) = evaluate(fns["sqrt"], x)
    exact = np.sqrt(x.astype(np.float64))
    assert (np.abs(s - exact) / exact).max() <= 2.0**-23
    assert np.mean(s == np.sqrt(x)) > 0.99


def test_soft_div_sqrt_allocates_and_assembles(tmp_path):
    module = run(MODULE, f"{SOFT_PIPELINE},{FUSE},{ALLOCATE}")
    out = io.StringIO()
    print_assembly(module, out)
    asm = out.getvalue()
    assert "fdiv.s" not in asm and "fsqrt.s" not in asm
    assembler = shutil.which("riscv64-unknown-elf-as")
    if assembler is None:
        pytest.skip("riscv64-unknown-elf-as not installed")
    (tmp_path / "soft.s").write_text(asm)
    subprocess.run(
        [assembler, "-march=rv32imf_zicsr", "-mabi=ilp32f", str(tmp_path / "soft.s"), "-o", str(tmp_path / "soft.o")],
        check=True,
    )


def test_floor_ceil_lowered_are_exact():
    # through fcvt.w.s (RTZ, saturating outside int32) as rv_eval executes it
    text = """func.func @floor(%x: f32) -> f32 {
  %y = math.floor %x : f32
  func.return %y : f32
}
func.func @ceil(%x: f32) -> f32 {
  %y = math.ceil %x : f32
  func.return %y : f32
}"""
    fns = functions(run(text, f"{TO_RISCV},{FUSE}"))
    steps = np.arange(-20, 21, dtype=F32)
    x = np.concatenate([np.linspace(-20, 20, N).astype(F32), steps, np.nextafter(steps, F32(np.inf)),
                        np.nextafter(steps, F32(-np.inf)),
                        np.array([0.0, -0.0, 2.0**23 - 0.5, 2.0**31, -2.0**31 - 256, 3e38, -3e38, np.inf, -np.inf], F32)])
    for name, ref in (("floor", np.floor), ("ceil", np.ceil)):
        (y,) = evaluate(fns[name], x)
        assert np.array_equal(y, ref(x)), name
        assert np.array_equal(np.signbit(y), np.signbit(ref(x))), name
