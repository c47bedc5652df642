"""How kernels reach their buffers: the root of a chain of views, and the
linear coefficients of an affine map result."""

from __future__ import annotations

from xdsl.dialects.memref import MemorySpaceCastOp
from xdsl.ir import BlockArgument, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
)

from tdopt.analyses.views import VIEW_OPS


def view_root(v: SSAValue) -> SSAValue:
    """The value a chain of views (`analyses/views.py`, memory space casts)
    starts from."""
    while not isinstance(v, BlockArgument):
        owner = v.owner
        if not isinstance(owner, (*VIEW_OPS, MemorySpaceCastOp)):
            return v
        v = owner.operands[0]
    return v


def linear_coefficients(expr: AffineExpr) -> dict[int, int] | None:
    """{dim: coefficient} of an expression `sum c_k * d_k + constant`, or
    None for anything else (mod, div, products of dims, symbols)."""
    if isinstance(expr, AffineDimExpr):
        return {expr.position: 1}
    if isinstance(expr, AffineConstantExpr):
        return {}
    if isinstance(expr, AffineBinaryOpExpr):
        lhs, rhs = linear_coefficients(expr.lhs), linear_coefficients(expr.rhs)
        if lhs is None or rhs is None:
            return None
        if expr.kind == AffineBinaryOpKind.Add:
            out = dict(lhs)
            for k, c in rhs.items():
                out[k] = out.get(k, 0) + c
            return out
        if expr.kind == AffineBinaryOpKind.Mul:
            for const, other, e in ((lhs, rhs, expr.lhs), (rhs, lhs, expr.rhs)):
                if not const and isinstance(e, AffineConstantExpr):
                    return {k: c * e.value for k, c in other.items()}
    return None


def dims_used(exprs) -> set[int]:
    """The loop dimensions the affine expressions `exprs` read."""
    used: set[int] = set()
    for e in exprs:
        for sub in e.dfs():
            if isinstance(sub, AffineDimExpr):
                used.add(sub.position)
    return used
