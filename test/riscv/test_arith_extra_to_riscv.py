"""`convert-arith-extra-to-riscv`: the lowered ops, executed, match numpy
bit for bit (select keeps NaN payloads, signed zeros and infinities)."""

from __future__ import annotations

import numpy as np
from rv32f_pipeline import TO_RISCV, functions, run
from rv_eval import evaluate

F32 = np.float32

MODULE = """
func.func @select_f32(%x: f32, %y: f32) -> f32 {
  %c = arith.cmpf olt, %x, %y : f32
  %r = arith.select %c, %x, %y : f32
  func.return %r : f32
}
func.func @select_i32(%x: f32, %y: f32) -> f32 {
  %c = arith.cmpf ogt, %x, %y : f32
  %xi = arith.bitcast %x : f32 to i32
  %yi = arith.bitcast %y : f32 to i32
  %r = arith.select %c, %xi, %yi : i32
  %f = arith.bitcast %r : i32 to f32
  func.return %f : f32
}
func.func @sign_ops(%x: f32, %y: f32) -> f32 {
  %a = math.absf %x : f32
  %r = math.copysign %a, %y : f32
  func.return %r : f32
}
func.func @fma_minmax(%x: f32, %y: f32) -> f32 {
  %f = math.fma %x, %y, %x : f32
  %m = arith.maxnumf %f, %y : f32
  %r = arith.minnumf %m, %x : f32
  func.return %r : f32
}
"""

CONSTANT_CONDITIONS = """
func.func @constant_conditions(%x: f32, %y: f32) -> f32 {
  %t = arith.constant true
  %f = arith.constant false
  %a = arith.select %t, %x, %y : f32
  %b = arith.select %f, %x, %y : f32
  %r = arith.subf %a, %b : f32
  func.return %r : f32
}
"""

FPTOSI = """
func.func @fptosi(%x: f32) -> f32 {
  %i = arith.fptosi %x : f32 to i32
  %f = arith.sitofp %i : i32 to f32
  func.return %f : f32
}
"""

SPECIALS = np.array([0.0, -0.0, 1.5, -2.25, np.inf, -np.inf, np.nan, 1e-45, -3e38], F32)


def grid() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    x = np.concatenate([np.repeat(SPECIALS, len(SPECIALS)), rng.standard_normal(5000).astype(F32)])
    y = np.concatenate([np.tile(SPECIALS, len(SPECIALS)), rng.standard_normal(5000).astype(F32)])
    return x, y


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return np.array_equal(a.view(np.int32), b.astype(F32).view(np.int32))


def test_lowered_ops_match_numpy():
    fns = functions(run(MODULE, TO_RISCV))
    x, y = grid()
    with np.errstate(all="ignore"):
        assert same_bits(evaluate(fns["select_f32"], x, y)[0], np.where(x < y, x, y))
        assert same_bits(evaluate(fns["select_i32"], x, y)[0], np.where(x > y, x, y))
        assert same_bits(evaluate(fns["sign_ops"], x, y)[0], np.copysign(np.abs(x), y))
        fma = (x.astype(np.float64) * y + x).astype(F32)
        expected = np.fmin(np.fmax(fma, y), x)
    (got,) = evaluate(fns["fma_minmax"], x, y)
    assert np.array_equal(got, expected, equal_nan=True)


def test_fptosi_truncates():
    """arith.fptosi rounds toward zero (xDSL's lowering would round to nearest)."""
    (fn,) = functions(run(FPTOSI, TO_RISCV)).values()
    assert "riscv.fcvt.w.s" not in {op.name for op in fn.walk()}
    x = np.concatenate(
        [np.arange(-4, 4.25, 0.25), np.random.default_rng(4).uniform(-1e6, 1e6, 10_000)]
    ).astype(F32)
    (y,) = evaluate(fn, x)
    assert np.array_equal(y, np.trunc(x))


def test_select_on_constant_conditions():
    """xDSL lowers `arith.constant true` to li -1, cmpf to 0/1: both select."""
    (fn,) = functions(run(CONSTANT_CONDITIONS, TO_RISCV)).values()
    x, y = np.array([5.0, -1.0], F32), np.array([2.0, 3.0], F32)
    (r,) = evaluate(fn, x, y)
    assert np.array_equal(r, x - y)
