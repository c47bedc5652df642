"""`analyses/contractions.py`: which loop nests accumulate products into
their output, and how many multiply-accumulates they run (hand-derived)."""

from __future__ import annotations

import pytest
from xdsl.dialects.linalg import ops as linalg_ops

from tdopt.analyses.contractions import accumulates_products, is_sum_of_products, multiply_accumulates
from tdopt.lowering.kernel_builder import (
    PARALLEL,
    REDUCTION,
    KernelBuilder,
    amap,
    d,
    memref,
    multiply_accumulate,
)


def _matmul_like(body, m: int = 4, n: int = 5, k: int = 6) -> linalg_ops.GenericOp:
    """C[m, n] = body over A[m, k], B[k, n], C[m, n]."""
    kb = KernelBuilder("k", [memref((m, k)), memref((k, n)), memref((m, n))])
    a, b, c = kb.args
    kb.generic(
        [a, b], [c],
        [amap(3, [d(0), d(2)]), amap(3, [d(2), d(1)]), amap(3, [d(0), d(1)])],
        [PARALLEL, PARALLEL, REDUCTION], body,
    )
    ((f, _),) = kb.finish()
    return next(o for o in f.walk() if isinstance(o, linalg_ops.GenericOp))


CASES = {
    # out + x * y: a matrix product
    "matmul": (multiply_accumulate, True, True),
    # out + y * x: the operands of the product and the sum either way round
    "swapped": (lambda s, a: [s.add(s.mul(a[1], a[0]), a[2])], True, True),
    # out + max(x, 0) * y: a producer fused into the product
    "fused": (lambda s, a: [s.add(a[2], s.mul(s.max(a[0], s.const(0.0)), a[1]))], True, False),
    # out + (x - y) * (x - y): a product, of a difference
    "squared difference": (lambda s, a: [s.add(a[2], s.mul(s.sub(a[0], a[1]), s.sub(a[0], a[1])))], True, False),
    # out + x: a sum, no product
    "sum": (lambda s, a: [s.add(a[2], a[0])], False, False),
    # max(out, x * y): no accumulation
    "max": (lambda s, a: [s.max(a[2], s.mul(a[0], a[1]))], False, False),
    # out * x + y: the output is not what is added to
    "scaled": (lambda s, a: [s.add(s.mul(a[2], a[0]), a[1])], False, False),
}


@pytest.mark.parametrize("case", CASES)
def test_contractions(case: str) -> None:
    body, accumulates, plain = CASES[case]
    g = _matmul_like(body)
    assert accumulates_products(g) is accumulates
    assert is_sum_of_products(g) is plain
    # 4 x 5 outputs, 6 products each
    assert multiply_accumulates(g) == (4 * 5 * 6 if accumulates else 0)
