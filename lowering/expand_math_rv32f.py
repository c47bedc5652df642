"""`expand-math-rv32f`: f32 `math.exp/log/erf/tanh/floor/ceil` as branch-free `arith` code.

rv32imf has no transcendental instructions, and xDSL 0.74 lowers no `math`
op to RISC-V, so each op becomes a straight-line sequence of `arith` ops
(plus `math.absf` / `math.copysign`, one `fsgnj*.s` each).  Everything
produced is lowered by xDSL's `convert-arith-to-riscv` together with
`convert-arith-extra-to-riscv` (`lowering/arith_extra_to_riscv.py`: bitcast,
select, absf, copysign, sqrt), which must run first.  `math.sqrt` is left
alone: it maps to one `fsqrt.s`, and `arith.divf` to `fdiv.s`, both exact
(unless `soft-div-sqrt`, below).
Polynomials are in Horner form, so a product feeding an addition becomes an
`fmadd.s` after `riscv-fuse-fmadd` and few floats are live at once (xDSL's
register allocator cannot spill).  Only scalar f32 ops are rewritten.

Designs
- exp(x): x clamped to [-104, 89]; n = round(x / ln 2) via the 1.5 * 2^23
  trick (its low mantissa bits are n: no fcvt, whose rounding mode xDSL does
  not print); r = x - n*ln2_hi - n*ln2_lo (Cody-Waite, exact product);
  e^r = 1 + r + r^2 P(r) with the Cephes `expf` polynomial; 2^n applied as
  2^(n>>1) * 2^(n - n>>1) so that n = 128 (x up to 88.72) and gradual
  underflow (x down to -103.97) need no special case.  x >= 88.73 gives +inf,
  x <= -103.98 gives 0, results below 2^-126 are IEEE subnormals.
- log(x): subnormals are scaled by 2^23 first; the bits are split as
  x = 2^k * m with m in [sqrt(1/2), sqrt(2)) by integer arithmetic (musl's
  trick, no compare); log(m) = f - f^2/2 + f^3 P(f), f = m - 1, with the
  Cephes `logf` polynomial; + k*ln2 in hi/lo parts.  log(0) = -inf,
  log(x < 0) = NaN, log(+inf) = +inf, log(NaN) = NaN by integer selects.
- erf(x): |x| <= 0.9: x + x R(x^2), R of degree 5; else
  sign(x) (1 - exp(Q(min(|x|, 4)))), Q of degree 6; both are near-minimax
  fits (Lawson) against float64 erf/erfc, see
  `test/lowering/fit_erf_coefficients.py`; a select picks the branch.
- tanh(x) = sign(x) * em / (em + 2), em = expm1(min(2|x|, 40)), expm1 from
  the exp reduction as 2^n expm1(r) + (2^n - 1) with expm1(r) = r + r^2 P(r):
  no cancellation near 0, so the relative error stays small for tiny |x|.
- floor(x), ceil(x): truncation by `arith.fptosi` (fcvt.w.s with RTZ, see
  `convert-arith-extra-to-riscv`) and back, corrected by one where it went
  the wrong way, sign copied from x (-0 stays -0); |x| >= 2^23 (already an
  integer, maybe beyond int32), inf and NaN pass through.  Exact.
- `soft-div-sqrt=true` (off by default): f32 `arith.divf`, `math.sqrt` and
  the division in tanh become Newton-Raphson code of multiply-adds, for an
  FPU without fdiv.s / fsqrt.s (on this cluster the hardware ones are about
  twice as fast, see below).  Reciprocal from the bit-level guess
  0x7EF311C3 - bits(d), 3 steps, one residual correction: with
  `riscv-fuse-fmadd` every quotient of 1e5 random operands equals IEEE a/d;
  unfused within 2 ulp.  rsqrt from 0x5F3759DF - bits(x)/2, 2 steps,
  sqrt = x*rsqrt with one correction: within 1 ulp (99.9 % exact fused).
  Exact special cases: d = +-0, +-inf; sqrt of +-0, +inf, x < 0.  Domain
  otherwise: 2^-126 <= |d| <= 2^126 with finite a, and normal x.

NaN inputs: log returns NaN; exp, erf and tanh clamp with `fmin.s`/`fmax.s`,
which return the non-NaN operand on the target, so NaN is not propagated there.

Measured error against numpy float64 (IR executed op by op in float32 by
`test/lowering/f32_eval.py`; 2^-24 = 6e-8 is half an ulp).  "arith" is the
expanded IR before lowering, "riscv" the lowered IR after `riscv-fuse-fmadd`
(fused multiply-adds, `test/riscv/rv_eval.py`):

| function | points (400 001, dense) | max abs error (arith / riscv) | max rel error (arith / riscv) |
|---|---|---|---|
| exp  | [-87.3, 88.7] linear | (relative is the metric) | 7.8e-8 / 8.3e-8 |
| log  | [1e-30, 1e30] geometric | 3.8e-6 / 3.8e-6 (at log x = 67; 3.9e-8 on [0.5, 2]) | 7.6e-8 / 7.6e-8 |
| erf  | [-6, 6] linear; [1e-30, 6] geometric | 7.6e-8 / 6.2e-8 | 8.8e-8 / 7.9e-8 |
| tanh | [-20, 20] linear; [1e-30, 20] geometric | 8.8e-8 / 8.8e-8 | 1.7e-7 / 1.6e-7 |

Also: exp of [-103.9, -87.4] (subnormal results) within 2^-149 absolute;
log of subnormals within 1.5e-7 relative; sqrt and division correctly
rounded (single `fsqrt.s` / `fdiv.s`).
On the cluster RTL (CV32E40P with CVFPU, one core, data in L2, 256
elements per kernel; `test/riscv/test_math_rtl.py` checks the accuracy):
max relative error <= 7.1e-8 for every function, subnormal and special
results as above.  Cycles per element: exp 94, log 144, erf 164, tanh 108
(fdiv.s) / 148 (soft), sqrt 35 (fsqrt.s) / 71 (soft), 1/x 37 (fdiv.s) /
73 (soft), measured with every float constant recomputed (li + fmv.w.x) in
the loop body, about a third of the instructions.  The standard pipeline
now runs this pass before the loop-level `licm`, so the constants leave the
loop as far as the float registers hold them: the allocator recomputes in
the loop only as many as it must (`riscv-allocate-registers-full`; a GELU
body goes from ~100 to ~60 instructions per element).

The bounds are enforced by `test/lowering/test_math_accuracy.py` (arith) and
`test/riscv/test_math_rv32f.py` (riscv, also register allocation and assembly).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, math
from xdsl.dialects.builtin import Float32Type, FloatAttr, IntegerAttr, ModuleOp, f32, i32
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    GreedyRewritePatternApplier,
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)

# Cody-Waite split of ln 2: ln2_hi has 9 significant bits, so n * ln2_hi is
# exact for |n| < 2^15 and x - n * ln2_hi is exact (Sterbenz).
_LN2_HI = 0.693359375
_LN2_LO = -2.12194440e-4
_LOG2E = 1.44269504088896341
# Adding 1.5 * 2^23 rounds to an integer (ulp 1) and leaves it in the low
# mantissa bits: bits(t) = bits(1.5 * 2^23) + n for |n| < 2^22.
_ROUND_MAGIC = 12582912.0
_EXPONENT_BIAS = 127
_MANTISSA_BITS = 23

# Cephes expf: e^r = 1 + r + r^2 * P(r), |r| <= ln2/2, coefficients low to high.
_EXP_P = [
    5.0000001201e-1,
    1.6666665459e-1,
    4.1665795894e-2,
    8.3334519073e-3,
    1.3981999507e-3,
    1.9875691500e-4,
]
# Cephes logf: log(1+f) = f - f^2/2 + f^3 * P(f), f in [sqrt(1/2)-1, sqrt(2)-1].
_LOG_P = [
    3.3333331174e-1,
    -2.4999993993e-1,
    2.0000714765e-1,
    -1.6668057665e-1,
    1.4249322787e-1,
    -1.2420140846e-1,
    1.1676998740e-1,
    -1.1514610310e-1,
    7.0376836292e-2,
]
_SQRT_HALF = 0.70710677  # its f32 bits split the mantissa range
_MIN_NORMAL = 2.0**-126

# erf fits, see test/lowering/fit_erf_coefficients.py (low to high).
_ERF_SPLIT = 0.9
_ERF_TOP = 4.0  # erf(4) rounds to 1.0f
_ERF_SMALL = [
    0.12837915122509003,
    -0.3761252462863922,
    0.11282140761613846,
    -0.02677891217172146,
    0.0050119673833251,
    -0.0006090379902161658,
]
_ERF_LARGE = [
    -0.00017749449762050062,
    -1.1277495622634888,
    -0.63705974817276,
    -0.10403735935688019,
    0.022277086973190308,
    -0.003055607434362173,
    0.000197181710973382,
]

# Clamps: exp underflows to 0 below -103.98 and overflows above 88.73; the
# bounds keep n in [-150, 129], where both half-scales are normal numbers.
_EXP_MIN = -104.0
_EXP_MAX = 89.0
# tanh(x) rounds to 1.0f for x > 9.01; 2|x| <= 40 keeps 2^n below 2^58.
_TANH_2X_MAX = 40.0

# Newton-Raphson division / square root (`soft-div-sqrt`): bit-level first
# guesses and the iteration counts that reach f32 precision from them
_RECIP_MAGIC = 0x7EF311C3
_RECIP_STEPS = 3
_RSQRT_MAGIC = 0x5F3759DF
_RSQRT_STEPS = 2

_F32_POS_INF_BITS = 0x7F800000
_F32_NEG_INF_BITS = -0x00800000  # 0xFF800000 as a signed 32-bit value
_F32_NAN_BITS = 0x7FC00000


class _Emitter:
    """Inserts scalar f32 / i32 arith ops before the op being expanded.

    With `soft_div_sqrt`, `div` emits a Newton-Raphson quotient instead of
    `arith.divf` (see `emit_soft_div`)."""

    def __init__(self, rewriter: PatternRewriter, soft_div_sqrt: bool = False):
        self.rewriter = rewriter
        self.soft_div_sqrt = soft_div_sqrt

    def _emit(self, op: Operation) -> SSAValue:
        self.rewriter.insert(op)  # before the op being rewritten
        return op.results[0]

    # constants
    def f(self, value: float) -> SSAValue:
        return self._emit(arith.ConstantOp(FloatAttr(value, f32)))

    def i(self, value: int) -> SSAValue:
        return self._emit(arith.ConstantOp(IntegerAttr(value, i32)))

    # f32 arithmetic
    def add(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.AddfOp(a, b))

    def sub(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.SubfOp(a, b))

    def mul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.MulfOp(a, b))

    def div(self, a: SSAValue, b: SSAValue) -> SSAValue:
        if self.soft_div_sqrt:
            return emit_soft_div(self, a, b)
        return self._emit(arith.DivfOp(a, b))

    def madd(self, a: SSAValue, b: SSAValue, c: SSAValue) -> SSAValue:
        """a * b + c as two ops with a single-use product (an fmadd.s later)."""
        return self.add(self.mul(a, b), c)

    def min(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.MinimumfOp(a, b))

    def max(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.MaximumfOp(a, b))

    def abs(self, a: SSAValue) -> SSAValue:
        return self._emit(math.AbsFOp(a))

    def copysign(self, magnitude: SSAValue, sign: SSAValue) -> SSAValue:
        return self._emit(math.CopySignOp(magnitude, sign))

    def cmp(self, predicate: str, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.CmpfOp(a, b, predicate))

    def select(self, cond: SSAValue, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.SelectOp(cond, a, b))

    def horner(self, x: SSAValue, coefficients: Sequence[float]) -> SSAValue:
        """c0 + x*(c1 + x*(...)), coefficients low to high."""
        acc = self.f(coefficients[-1])
        for c in reversed(coefficients[:-1]):
            acc = self.madd(acc, x, self.f(c))
        return acc

    # i32 arithmetic and bit moves
    def bits(self, a: SSAValue) -> SSAValue:
        return self._emit(arith.BitcastOp(a, i32))

    def bits_of(self, value: float) -> SSAValue:
        """The bits of an f32 constant, as `fmv.x.w` of the float constant.

        Not an `arith.constant : i32`: xDSL 0.74's riscv canonicalization
        folds `add`/`sub` of an `li` into `addi` without checking the 12-bit
        immediate range, which fails on constants such as 0x4B400000.
        """
        return self.bits(self.f(value))

    def from_bits(self, a: SSAValue) -> SSAValue:
        return self._emit(arith.BitcastOp(a, f32))

    def iadd(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.AddiOp(a, b))

    def isub(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.SubiOp(a, b))

    def iand(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.AndIOp(a, b))

    def ior(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._emit(arith.OrIOp(a, b))

    def shl(self, a: SSAValue, amount: int) -> SSAValue:
        return self._emit(arith.ShLIOp(a, self.i(amount)))

    def sra(self, a: SSAValue, amount: int) -> SSAValue:
        return self._emit(arith.ShRSIOp(a, self.i(amount)))

    def srl(self, a: SSAValue, amount: int) -> SSAValue:
        return self._emit(arith.ShRUIOp(a, self.i(amount)))

    def to_float(self, a: SSAValue) -> SSAValue:
        return self._emit(arith.SIToFPOp(a, f32))


def _round_to_int(e: _Emitter, x: SSAValue) -> tuple[SSAValue, SSAValue]:
    """(n as f32, n as i32) for n = round(x * log2 e), |n| < 2^22."""
    t = e.madd(x, e.f(_LOG2E), e.f(_ROUND_MAGIC))
    n_float = e.sub(t, e.f(_ROUND_MAGIC))
    # the distance in bits to the magic constant (its bits are too large
    # for an immediate, see `_Emitter.bits_of`)
    n_int = e.isub(e.bits(t), e.bits_of(_ROUND_MAGIC))
    return n_float, n_int


def _reduce(e: _Emitter, x: SSAValue, n_float: SSAValue) -> SSAValue:
    """r = x - n ln 2 in two exact-product steps (Cody-Waite)."""
    r = e.sub(x, e.mul(n_float, e.f(_LN2_HI)))
    return e.sub(r, e.mul(n_float, e.f(_LN2_LO)))


def _pow2(e: _Emitter, n: SSAValue) -> SSAValue:
    """2^n as f32 for n in [-126, 127]."""
    return e.from_bits(e.shl(e.iadd(n, e.i(_EXPONENT_BIAS)), _MANTISSA_BITS))


def _expm1_reduced(e: _Emitter, r: SSAValue) -> SSAValue:
    """e^r - 1 = r + r^2 P(r) for |r| <= ln2/2."""
    q = e.horner(r, _EXP_P)
    return e.madd(e.mul(q, r), r, r)


def emit_exp(e: _Emitter, x: SSAValue, clamp: bool = True) -> SSAValue:
    """exp(x); without `clamp` the caller guarantees x in [-87, 88]."""
    if clamp:
        x = e.min(e.max(x, e.f(_EXP_MIN)), e.f(_EXP_MAX))
    n_float, n = _round_to_int(e, x)
    r = _reduce(e, x, n_float)
    p = e.add(_expm1_reduced(e, r), e.f(1.0))
    if not clamp:
        return e.mul(p, _pow2(e, n))
    # two half-scales so that 2^128 and 2^-150 need no special case
    half = e.sra(n, 1)
    return e.mul(e.mul(p, _pow2(e, half)), _pow2(e, e.isub(n, half)))


def emit_log(e: _Emitter, x: SSAValue) -> SSAValue:
    tiny = e.cmp("olt", x, e.f(_MIN_NORMAL))
    # subnormals: scale by 2^23 and take 23 off the exponent
    scale = e.from_bits(
        e.select(tiny, e.i((_EXPONENT_BIAS + 23) << 23), e.i(_EXPONENT_BIAS << 23))
    )
    xs = e.mul(x, scale)
    # x = 2^k * m with m in [sqrt(1/2), sqrt(2)): offset the bits by sqrt(1/2)
    offset = e.bits_of(_SQRT_HALF)
    ix = e.isub(e.bits(xs), offset)
    k = e.isub(e.sra(ix, _MANTISSA_BITS), e.select(tiny, e.i(23), e.i(0)))
    m = e.from_bits(e.iadd(e.iand(ix, e.i((1 << _MANTISSA_BITS) - 1)), offset))
    f = e.sub(m, e.f(1.0))
    kf = e.to_float(k)
    z = e.mul(f, f)
    y = e.mul(e.mul(f, z), e.horner(f, _LOG_P))
    y = e.madd(kf, e.f(_LN2_LO), y)
    y = e.madd(z, e.f(-0.5), y)
    result = e.madd(kf, e.f(_LN2_HI), e.add(f, y))
    # special inputs, patched in the integer domain (a select there is 4 ops)
    bits = e.bits(result)
    bits = e.select(e.cmp("oeq", x, e.f(float("inf"))), e.i(_F32_POS_INF_BITS), bits)
    bits = e.select(e.cmp("oeq", x, e.f(0.0)), e.i(_F32_NEG_INF_BITS), bits)
    bits = e.select(e.cmp("ult", x, e.f(0.0)), e.i(_F32_NAN_BITS), bits)
    return e.from_bits(bits)


def emit_erf(e: _Emitter, x: SSAValue) -> SSAValue:
    a = e.abs(x)
    near_zero = e.madd(e.horner(e.mul(x, x), _ERF_SMALL), x, x)
    q = e.horner(e.min(a, e.f(_ERF_TOP)), _ERF_LARGE)  # q in [-17.3, 0]: no clamp needed
    tail = e.copysign(e.sub(e.f(1.0), emit_exp(e, q, clamp=False)), x)
    return e.select(e.cmp("ole", a, e.f(_ERF_SPLIT)), near_zero, tail)


def emit_tanh(e: _Emitter, x: SSAValue) -> SSAValue:
    a = e.abs(x)
    y = e.min(e.add(a, a), e.f(_TANH_2X_MAX))
    n_float, n = _round_to_int(e, y)
    s = _pow2(e, n)
    em = e.madd(s, _expm1_reduced(e, _reduce(e, y, n_float)), e.sub(s, e.f(1.0)))
    return e.copysign(e.div(em, e.add(em, e.f(2.0))), x)


def emit_soft_div(e: _Emitter, a: SSAValue, d: SSAValue) -> SSAValue:
    """a / d without fdiv.s: reciprocal by Newton-Raphson, then one residual
    correction (Markstein).  Correctly rounded on 1e6 random normal operands
    once multiply-adds are fused; d = +-0 and +-inf are exact by a select.
    Needs 2^-126 <= |d| <= 2^126 otherwise (1/d normal) and a finite."""
    # 0x7EF311C3 - bits(d): 1/d within 5 %, and the sign of d carries over
    y = e.from_bits(e.isub(e.i(_RECIP_MAGIC), e.bits(d)))
    one = e.f(1.0)
    for _ in range(_RECIP_STEPS):  # y += y (1 - d y): the error squares
        y = e.madd(y, e.sub(one, e.mul(d, y)), y)
    q = e.mul(a, y)
    q = e.madd(e.sub(a, e.mul(d, q)), y, q)
    # 1/d is +-inf or +-0 exactly for d = +-0 or +-inf
    ad = e.abs(d)
    zero = e.cmp("oeq", ad, e.f(0.0))
    special = e.ior(zero, e.cmp("oeq", ad, e.f(float("inf"))))
    exact = e.copysign(e.select(zero, e.f(float("inf")), e.f(0.0)), d)
    return e.select(special, e.mul(a, exact), q)


def emit_soft_sqrt(e: _Emitter, x: SSAValue) -> SSAValue:
    """sqrt(x) without fsqrt.s: 1/sqrt by Newton-Raphson from the bit-level
    guess, sqrt = x / sqrt(x) with one residual correction; within 1 ulp
    (99.9 % correctly rounded when fused).  +-0, +inf and x < 0 (NaN) are
    exact; subnormal x are outside the domain."""
    y = e.from_bits(e.isub(e.i(_RSQRT_MAGIC), e.srl(e.bits(x), 1)))
    half_x = e.mul(e.f(0.5), x)
    for _ in range(_RSQRT_STEPS):  # y *= 1.5 - x/2 y^2
        # (x/2 y) y, not x/2 (y y): y^2 overflows for x = 0 (y ~ 1e19)
        y = e.mul(y, e.sub(e.f(1.5), e.mul(e.mul(half_x, y), y)))
    s = e.mul(x, y)
    s = e.madd(e.sub(x, e.mul(s, s)), e.mul(e.f(0.5), y), s)
    bits = e.bits(s)
    bits = e.select(e.cmp("oeq", x, e.f(float("inf"))), e.i(_F32_POS_INF_BITS), bits)
    bits = e.select(e.cmp("ult", x, e.f(0.0)), e.i(_F32_NAN_BITS), bits)
    return e.from_bits(bits)


# |x| >= 2^23: every f32 is an integer already (and may not fit an int32)
_INTEGRAL_FROM = 8388608.0


def emit_round_down_or_up(e: _Emitter, x: SSAValue, up: bool) -> SSAValue:
    """floor(x) (up False) or ceil(x): the truncation fcvt.w.s (RTZ) back to
    float, one step towards -inf (floor) or +inf (ceil) where it moved x
    the other way; copysign keeps -0 (ceil(-0.5) = -0). |x| >= 2^23, inf
    and NaN are returned as they are (an unordered compare), so the
    conversion's saturation outside int32 is never used. Exact."""
    t = e.to_float(e._emit(arith.FPToSIOp(x, i32)))
    if up:
        r = e.add(t, e.select(e.cmp("olt", t, x), e.f(1.0), e.f(0.0)))
    else:
        r = e.sub(t, e.select(e.cmp("ogt", t, x), e.f(1.0), e.f(0.0)))
    integral = e.cmp("uge", e.abs(x), e.f(_INTEGRAL_FROM))
    return e.select(integral, x, e.copysign(r, x))


def _is_scalar_f32(value: SSAValue) -> bool:
    return isinstance(value.type, Float32Type)


@dataclass(frozen=True)
class ExpandExp(RewritePattern):
    soft_div_sqrt: bool = False

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: math.ExpOp, rewriter: PatternRewriter) -> None:
        if _is_scalar_f32(op.operand):
            rewriter.replace(op, (), (emit_exp(_Emitter(rewriter, self.soft_div_sqrt), op.operand),))


@dataclass(frozen=True)
class ExpandLog(RewritePattern):
    soft_div_sqrt: bool = False

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: math.LogOp, rewriter: PatternRewriter) -> None:
        if _is_scalar_f32(op.operand):
            rewriter.replace(op, (), (emit_log(_Emitter(rewriter, self.soft_div_sqrt), op.operand),))


@dataclass(frozen=True)
class ExpandErf(RewritePattern):
    soft_div_sqrt: bool = False

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: math.ErfOp, rewriter: PatternRewriter) -> None:
        if _is_scalar_f32(op.operand):
            rewriter.replace(op, (), (emit_erf(_Emitter(rewriter, self.soft_div_sqrt), op.operand),))


@dataclass(frozen=True)
class ExpandTanh(RewritePattern):
    soft_div_sqrt: bool = False

    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: math.TanhOp, rewriter: PatternRewriter) -> None:
        if _is_scalar_f32(op.operand):
            rewriter.replace(op, (), (emit_tanh(_Emitter(rewriter, self.soft_div_sqrt), op.operand),))


class ExpandFloorCeil(RewritePattern):
    def match_and_rewrite(self, op: Operation, rewriter: PatternRewriter) -> None:
        if isinstance(op, (math.FloorOp, math.CeilOp)) and _is_scalar_f32(op.operand):
            y = emit_round_down_or_up(_Emitter(rewriter), op.operand, isinstance(op, math.CeilOp))
            rewriter.replace(op, (), (y,))


@dataclass(frozen=True)
class ExpandSoftDiv(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: arith.DivfOp, rewriter: PatternRewriter) -> None:
        if _is_scalar_f32(op.lhs):
            e = _Emitter(rewriter, soft_div_sqrt=True)
            rewriter.replace(op, (), (emit_soft_div(e, op.lhs, op.rhs),))


@dataclass(frozen=True)
class ExpandSoftSqrt(RewritePattern):
    @op_type_rewrite_pattern
    def match_and_rewrite(self, op: math.SqrtOp, rewriter: PatternRewriter) -> None:
        if _is_scalar_f32(op.operand):
            e = _Emitter(rewriter, soft_div_sqrt=True)
            rewriter.replace(op, (), (emit_soft_sqrt(e, op.operand),))


@dataclass(frozen=True)
class ExpandMathRv32fPass(ModulePass):
    """Expand scalar f32 math.exp/log/erf/tanh/floor/ceil into arith for rv32imf.

    `soft-div-sqrt=true` also replaces f32 `arith.divf` and `math.sqrt` (and
    the division inside tanh) by Newton-Raphson sequences of multiply-adds,
    for cores whose FPU lacks (or mis-simulates) fdiv.s / fsqrt.s."""

    name = "expand-math-rv32f"

    soft_div_sqrt: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        soft = self.soft_div_sqrt
        patterns: list[RewritePattern] = [
            ExpandExp(soft), ExpandLog(soft), ExpandErf(soft), ExpandTanh(soft),
            ExpandFloorCeil(),
        ]
        if soft:
            patterns += [ExpandSoftDiv(), ExpandSoftSqrt()]
        # not recursive: the expansions' own divisions are emitted soft already
        PatternRewriteWalker(
            GreedyRewritePatternApplier(patterns), apply_recursively=False
        ).rewrite_module(op)
