"""fdiv.s and fsqrt.s on the cluster (the FPU's T-Head divide/sqrt unit).

Program: programs/fpu_divsqrt.S. Expected results come from numpy float32
(IEEE, round to nearest even) and, for every rounding mode, from an exact
rational reference below; neither is taken from the simulator.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from tdopt.runtime.cluster import run_elf

f32, u32 = np.float32, np.uint32
RNE, RTZ, RDN, RUP, RMM = range(5)
NV, DZ, OF, UF, NX = 0x10, 0x08, 0x04, 0x02, 0x01
CANONICAL_NAN = 0x7FC00000
DIVSQRT_LATENCY = 19  # issue-to-use cycles of an inexact fdiv.s / fsqrt.s (docs/cluster.md)
OUTPUTS = ["div_q", "div_flags", "div_cyc", "sqrt_r", "sqrt_flags", "sqrt_cyc", "cyc_nop", "cyc_fadd"]


def run(model, program, a, b, x, cores=1, frm=RNE):
    a, b, x = (np.asarray(v, f32) for v in (a, b, x))
    assert len(a) == len(b) == len(x) <= 512
    r = run_elf(program("fpu_divsqrt.S"), cores=cores, model=model, max_cycles=10**6,
                write_symbols={"n": u32(len(a)), "frm": u32(frm), "div_a": a, "div_b": b, "sqrt_x": x},
                read_symbols=OUTPUTS)
    assert r.exit_code == cores
    n = len(a)
    return {k: np.frombuffer(v, u32)[:n] for k, v in r.symbols.items()}


def bits(v) -> np.ndarray:
    """float32 bit patterns, NaNs replaced by RISC-V's canonical NaN."""
    v = np.asarray(v, f32)
    return np.where(np.isnan(v), u32(CANONICAL_NAN), v.view(u32))


def random_operands(seed: int, n: int):
    """Normal float32 values of both signs, magnitudes 1e-18 .. 1e18 (so quotients stay
    normal), and sqrt operands in [1e-30, 1e30]."""
    rng = np.random.default_rng(seed)

    def signed(k):
        return (rng.choice([-1.0, 1.0], k) * rng.uniform(1, 10, k) * 10.0 ** rng.uniform(-18, 17, k)).astype(f32)

    a, b = signed(n), signed(n)
    x = (10.0 ** rng.uniform(-30, 30, n)).astype(f32)
    x[:2] = [1e-30, 1e30]
    return a, b, x


# --- exact reference for every rounding mode --------------------------------

_INF_BITS = 0x7F800000


def _value(b: int) -> Fraction:
    """Value of a positive float32 bit pattern; the infinity pattern counts as 2**128,
    which makes the overflow threshold the midpoint between the largest float and it."""
    return Fraction(2**128) if b == _INF_BITS else Fraction(float(np.array(b, u32).view(f32)))


def round_exact(negative: bool, below, mode: int) -> int:
    """float32 bits of a nonzero real number with sign `negative` and magnitude m, rounded
    with `mode`. below(v) compares a positive rational v with m: -1, 0, +1 for v <, =, > m."""
    lo, hi = 0, _INF_BITS  # largest pattern with value <= m, by bisection
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if below(_value(mid)) <= 0:
            lo = mid
        else:
            hi = mid - 1
    if below(_value(lo)) == 0 or lo == _INF_BITS:
        mag = lo
    else:
        up = lo + 1
        away = {RTZ: False, RDN: negative, RUP: not negative}.get(mode)
        if away is None:  # to nearest: compare the midpoint
            c = below((_value(lo) + _value(up)) / 2)
            away = c < 0 or (c == 0 and (mode == RMM or lo % 2 == 1))
        mag = up if away else lo
    if mag == _INF_BITS and mode in (RTZ, RDN if not negative else RUP):
        mag = _INF_BITS - 1  # directed away from infinity: the largest finite value
    return mag | (0x80000000 if negative else 0)


def exact_div(a: f32, b: f32, mode: int) -> int:
    fa, fb = Fraction(float(a)), Fraction(float(b))
    q = abs(fa / fb)
    return round_exact((fa < 0) != (fb < 0), lambda v: (v > q) - (v < q), mode)


def exact_sqrt(x: f32, mode: int) -> int:
    fx = Fraction(float(x))
    return round_exact(False, lambda v: (v * v > fx) - (v * v < fx), mode)


# --- tests ----------------------------------------------------------------------


def test_fdiv_reproducer_from_bug_report(model, tmp_path):
    """3.0 / 2.0 used to hang the core: the FPU was never reset (see tb_main.cpp)."""
    from tdopt.runtime.toolchain import assemble_and_link

    src = tmp_path / "fdiv.S"
    src.write_text(
        ".text\n.globl main\nmain:\n"
        "    li t0, 0x40400000\n    fmv.w.x ft0, t0\n    li t0, 0x40000000\n    fmv.w.x ft1, t0\n"
        "    fdiv.s ft2, ft0, ft1\n    fsqrt.s ft3, ft2\n"
        "    fmv.x.w a0, ft2\n    fmv.x.w a1, ft3\n    srli a0, a0, 20\n    slli a0, a0, 20\n"
        "    srli a1, a1, 12\n    or a0, a0, a1\n    ret\n")
    r = run_elf(assemble_and_link([src], tmp_path / "fdiv.elf"), cores=1, model=model, max_cycles=100_000)
    # top 12 bits of 1.5f, then the top 20 bits of sqrt(1.5f)
    assert r.exit_code == 0x3FC00000 | int(bits(np.sqrt(f32(1.5)))) >> 12


@pytest.mark.parametrize("cores", [1, 8])
def test_random_fdiv_fsqrt_match_numpy(model, program, cores):
    a, b, x = random_operands(seed=cores, n=512)
    out = run(model, program, a, b, x, cores=cores)
    assert np.array_equal(out["div_q"], bits(a / b)), "fdiv.s is not correctly rounded"
    assert np.array_equal(out["sqrt_r"], bits(np.sqrt(x))), "fsqrt.s is not correctly rounded"
    # The only flag is "inexact", exactly when the result is not exact.
    exact_q = [Fraction(float(q)) * Fraction(float(d)) == Fraction(float(n)) for n, d, q in zip(a, b, a / b)]
    exact_r = [Fraction(float(r)) ** 2 == Fraction(float(v)) for v, r in zip(x, np.sqrt(x))]
    assert out["div_flags"].tolist() == [0 if e else NX for e in exact_q]
    assert out["sqrt_flags"].tolist() == [0 if e else NX for e in exact_r]


@pytest.mark.parametrize("mode", [RNE, RTZ, RDN, RUP, RMM], ids=["rne", "rtz", "rdn", "rup", "rmm"])
def test_every_rounding_mode_is_exact(model, program, mode):
    a, b, x = random_operands(seed=100 + mode, n=160)
    # A quotient is halfway between two float32 values only when it is subnormal:
    # 1.5, -1.5, 2.5, 0.5, 0.25 units of 2**-149; then overflows of both signs.
    tiny, big = 2.0**-149, float(np.finfo(f32).max)
    a[:8] = [3 * tiny, -3 * tiny, 5 * tiny, tiny, -tiny, big, -big, 3 * tiny]
    b[:8] = [2.0, 2.0, 2.0, 2.0, 4.0, 0.5, 0.5, -6.0]
    out = run(model, program, a, b, x, frm=mode)
    assert out["div_q"].tolist() == [exact_div(p, q, mode) for p, q in zip(a, b)]
    assert out["sqrt_r"].tolist() == [exact_sqrt(v, mode) for v in x]


def test_special_values_and_flags(model, program):
    inf, nan = np.inf, np.nan
    mn = np.finfo(f32).tiny  # smallest normal
    sub = f32(1e-40)  # subnormal
    cases_div = [  # a, b, flags
        (3, 2, 0), (1, 0, DZ), (-1, 0, DZ), (0, 0, NV), (0, 5, 0), (-0.0, 5, 0),
        (inf, inf, NV), (inf, -2, 0), (1, inf, 0), (nan, 1, 0), (1, nan, 0),
        (np.finfo(f32).max, 0.5, OF | NX), (1, 2**-149, OF | NX),
        (mn, 3, UF | NX), (mn, 2, 0), (sub, 1, 0), (sub, sub, 0), (1e-30, 1e10, UF | NX),
        (-9, 3, 0), (7, -7, 0),
    ]
    cases_sqrt = [  # x, flags
        (4, 0), (2, NX), (0, 0), (-0.0, 0), (-1, NV), (inf, 0), (-inf, NV), (nan, 0),
        (mn, 0), (sub, NX), (2**-149, NX), (np.finfo(f32).max, NX), (-sub, NV), (0.25, 0),
    ]
    a = np.array([c[0] for c in cases_div], f32)
    b = np.array([c[1] for c in cases_div], f32)
    x = np.array([c[0] for c in cases_sqrt] + [1.0] * (len(a) - len(cases_sqrt)), f32)
    out = run(model, program, a, b, x)
    with np.errstate(all="ignore"):
        assert out["div_q"].tolist() == bits(a / b).tolist()
        assert out["sqrt_r"].tolist() == bits(np.sqrt(x)).tolist()
    assert out["div_flags"].tolist() == [c[2] for c in cases_div]
    assert out["sqrt_flags"][:len(cases_sqrt)].tolist() == [c[1] for c in cases_sqrt]


def test_divsqrt_latency(model, program):
    a, b, x = random_operands(seed=7, n=64)
    a[:3], b[:3], x[:3] = [1.0, 6.0, 1.0], [0.0, 3.0, 3.0], [-1.0, 4.0, 2.0]
    out = run(model, program, a, b, x)
    nop = int(out["cyc_nop"][0])
    assert int(out["cyc_fadd"][0]) - nop + 1 == 2  # the method: fadd.s has latency 2
    div_lat = out["div_cyc"].astype(int) - nop + 1
    sqrt_lat = out["sqrt_cyc"].astype(int) - nop + 1
    assert div_lat[0] == 3 and sqrt_lat[0] == 3  # special cases (x/0, sqrt(-1)) end early
    assert div_lat[1] < DIVSQRT_LATENCY and sqrt_lat[1] < DIVSQRT_LATENCY  # exact: early end
    assert div_lat[2] == sqrt_lat[2] == DIVSQRT_LATENCY  # 1/3, sqrt(2): inexact
    assert np.all(div_lat[3:] == DIVSQRT_LATENCY) and np.all(sqrt_lat[3:] == DIVSQRT_LATENCY)
