"""Accuracy of `expand-math-rv32f`: the generated arith IR, executed op by op
in float32 (f32_eval), against numpy float64 on dense ranges."""

from __future__ import annotations

import math

import numpy as np
import pytest
from f32_eval import evaluate
from rv32f_pipeline import functions, run

F32 = np.float32
N = 200_001  # points per range: dense, still well under a second per test

MODULE = "\n".join(
    f"""func.func @{name}(%x: f32) -> f32 {{
  %y = math.{name} %x : f32
  func.return %y : f32
}}"""
    for name in ("exp", "log", "erf", "tanh")
)

REFERENCE = {
    "exp": np.exp,
    "log": np.log,
    "erf": np.vectorize(math.erf, otypes=[float]),
    "tanh": np.tanh,
}


@pytest.fixture(scope="module")
def expanded():
    return functions(run(MODULE, "expand-math-rv32f"))


def errors(fn, name: str, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(result, abs error, rel error) of the expansion at float32 points x."""
    x = x.astype(F32)
    (y,) = evaluate(fn, x)
    ref = REFERENCE[name](x.astype(np.float64))
    abs_err = np.abs(y.astype(np.float64) - ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        # an exact zero (log 1) must be hit exactly
        rel_err = np.where(ref == 0, np.where(abs_err == 0, 0.0, np.inf), abs_err / np.abs(ref))
    return y, abs_err, rel_err


def test_only_lowerable_ops_left(expanded):
    # arith, plus the two math ops convert-arith-extra-to-riscv maps to fsgnj*.s
    extra = {"math.absf", "math.copysign"}
    for fn in expanded.values():
        names = {op.name for op in fn.body.walk()}
        assert all(n.split(".")[0] in ("arith", "func") or n in extra for n in names), names


# ranges and bounds: measured maxima (module docstring) with a small margin
@pytest.mark.parametrize(
    "name, x, max_abs, max_rel",
    [
        ("exp", np.linspace(-87.3, 88.7, N), None, 1.2e-7),
        ("exp", np.linspace(-1, 1, N), None, 1.2e-7),
        ("log", np.geomspace(1e-30, 1e30, N), None, 1.2e-7),
        ("log", np.linspace(0.5, 2, N), 1e-7, None),
        ("erf", np.linspace(-6, 6, N), 1e-7, None),
        ("erf", np.geomspace(1e-30, 6, N), None, 1.2e-7),
        ("tanh", np.linspace(-20, 20, N), 1.2e-7, 2.5e-7),
        ("tanh", -np.geomspace(1e-30, 20, N), None, 2.5e-7),
    ],
)
def test_accuracy(expanded, name, x, max_abs, max_rel):
    _, abs_err, rel_err = errors(expanded[name], name, x)
    if max_abs is not None:
        assert abs_err.max() <= max_abs
    if max_rel is not None:
        assert rel_err.max() <= max_rel


def test_exp_gradual_underflow_and_overflow(expanded):
    x = np.linspace(-103.9, -87.4, N).astype(F32)
    y, abs_err, _ = errors(expanded["exp"], "exp", x)
    # subnormal results: within one subnormal step of the true value
    assert abs_err.max() <= 2.0**-149
    assert np.all(y > 0)
    (edges,) = evaluate(
        expanded["exp"], np.array([-np.inf, -1e30, -104, 0, 88.72, 88.73, 89, 1e30, np.inf], F32)
    )
    assert edges[:3].tolist() == [0, 0, 0]
    assert edges[3] == 1
    assert np.isfinite(edges[4]) and edges[4] > 3.3e38
    assert np.all(np.isposinf(edges[5:]))


def test_log_special_values_and_subnormals(expanded):
    x = np.geomspace(2.0**-149, 2.0**-126, N)
    _, _, rel_err = errors(expanded["log"], "log", x)
    assert rel_err.max() <= 1.5e-7
    (y,) = evaluate(expanded["log"], np.array([0.0, -0.0, -1.0, -np.inf, np.inf, np.nan, 1.0], F32))
    assert np.isneginf(y[0]) and np.isneginf(y[1])
    assert np.all(np.isnan(y[[2, 3, 5]]))
    assert np.isposinf(y[4])
    assert y[6] == 0


@pytest.mark.parametrize("name", ["erf", "tanh"])
def test_odd_functions_are_exactly_odd_and_saturate(expanded, name):
    x = np.linspace(0, 10, 20_001).astype(F32)
    (pos,) = evaluate(expanded[name], x)
    (neg,) = evaluate(expanded[name], -x)
    assert np.array_equal(pos, -neg)
    (y,) = evaluate(expanded[name], np.array([np.inf, -np.inf, 30, -30], F32))
    assert y.tolist() == [1, -1, 1, -1]


def test_other_types_are_left_alone():
    text = """func.func @f(%x: f64, %v: vector<4xf32>) -> (f64, vector<4xf32>) {
      %y = math.exp %x : f64
      %w = math.tanh %v : vector<4xf32>
      func.return %y, %w : f64, vector<4xf32>
    }"""
    names = [op.name for op in run(text, "expand-math-rv32f").walk()]
    assert "math.exp" in names and "math.tanh" in names


SOFT = """func.func @div(%a: f32, %d: f32) -> f32 {
  %q = arith.divf %a, %d : f32
  func.return %q : f32
}
func.func @sqrt(%x: f32) -> f32 {
  %s = math.sqrt %x : f32
  func.return %s : f32
}
func.func @tanh(%x: f32) -> f32 {
  %t = math.tanh %x : f32
  func.return %t : f32
}"""


@pytest.fixture(scope="module")
def soft():
    return functions(run(SOFT, "expand-math-rv32f{soft-div-sqrt=true}"))


def random_operands(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numerators, divisors of either sign (1/d normal) and sqrt arguments."""
    rng = np.random.default_rng(5)
    a = np.exp(rng.uniform(-8, 8, n)).astype(F32)
    d = (np.exp(rng.uniform(-80, 80, n)) * rng.choice([-1, 1], n)).astype(F32)
    x = np.exp(rng.uniform(-87, 88, n)).astype(F32)
    return a, d, x


def test_soft_div_sqrt_leave_no_divf_or_sqrt(soft):
    names = {op.name for fn in soft.values() for op in fn.body.walk()}
    assert "arith.divf" not in names and "math.sqrt" not in names


def test_soft_div_sqrt_accuracy_unfused(soft):
    # without fused multiply-adds the residual correction is not exact: 2 ulp
    a, d, x = random_operands(N)
    with np.errstate(all="ignore"):
        (q,) = evaluate(soft["div"], a, d)
        (s,) = evaluate(soft["sqrt"], x)
    exact_q = a.astype(np.float64) / d
    normal = np.abs(exact_q) >= 2.0**-126
    assert (np.abs(q - exact_q)[normal] / np.abs(exact_q[normal])).max() <= 2.0**-23
    exact_s = np.sqrt(x.astype(np.float64))
    assert (np.abs(s - exact_s) / exact_s).max() <= 2.0**-23
    _, abs_err, rel_err = errors(soft["tanh"], "tanh", np.linspace(-20, 20, N))
    assert abs_err.max() <= 1.2e-7 and rel_err.max() <= 2.5e-7


def test_soft_div_sqrt_special_values(soft):
    (q,) = evaluate(
        soft["div"], np.array([1, -1, 0, 3, 2], F32), np.array([0, 0, 0, np.inf, -np.inf], F32)
    )
    assert q[0] == np.inf and q[1] == -np.inf and np.isnan(q[2])
    assert q[3] == 0 and not np.signbit(q[3]) and q[4] == 0 and np.signbit(q[4])
    (s,) = evaluate(soft["sqrt"], np.array([0.0, -0.0, np.inf, -1.0, np.nan, 4.0], F32))
    assert s[0] == 0 and np.signbit(s[1]) and s[2] == np.inf
    assert np.isnan(s[3]) and np.isnan(s[4]) and s[5] == 2


# -- floor / ceil ----------------------------------------------------------------

ROUNDING = """func.func @floor(%x: f32) -> f32 {
  %y = math.floor %x : f32
  func.return %y : f32
}
func.func @ceil(%x: f32) -> f32 {
  %y = math.ceil %x : f32
  func.return %y : f32
}"""


def rounding_points() -> np.ndarray:
    """Dense around the integers, every power-of-two magnitude up to f32's
    largest (beyond int32: 2^31 and up), the 2^23 edge, +-0, +-inf."""
    dense = np.linspace(-40, 40, N)
    steps = np.arange(-40, 41, dtype=np.float64)
    near = np.concatenate([steps, np.nextafter(steps.astype(F32), np.float32(np.inf)),
                           np.nextafter(steps.astype(F32), np.float32(-np.inf))])
    mags = np.geomspace(1e-30, 3e38, 4001)
    edge = np.array([2.0**23 - 0.5, 2.0**23, 2.0**23 + 1, 2.0**31, 2.0**31 + 256, 2.0**32, 1.5])
    special = np.array([0.0, -0.0, np.inf, -np.inf])
    xs = np.concatenate([dense, near, mags, -mags, edge, -edge, special])
    return xs.astype(F32)


@pytest.mark.parametrize("name, ref", [("floor", np.floor), ("ceil", np.ceil)])
def test_floor_ceil_are_exact(name, ref):
    fn = functions(run(ROUNDING, "expand-math-rv32f"))[name]
    assert {op.name for op in fn.body.walk()} <= {
        "arith.constant", "arith.fptosi", "arith.sitofp", "arith.cmpf", "arith.select",
        "arith.addf", "arith.subf", "math.absf", "math.copysign", "func.return"}
    x = rounding_points()
    (y,) = evaluate(fn, x)
    want = ref(x)
    assert np.array_equal(y, want)
    assert np.array_equal(np.signbit(y), np.signbit(want))  # -0 where numpy has it
    (nan,) = evaluate(fn, np.array([np.nan], F32))
    assert np.isnan(nan[0])
