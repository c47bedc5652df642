"""Einsum as transposes, reshapes, sums and one matmul.

Accepted: one or two operands, every label at most once per operand and in
the output (no diagonals or traces), every output label in some operand, an
explicit `->` output (or the implicit one: labels used once, sorted), and
`...` for the same leading or trailing dimensions in every term. Two
operands are a batched contraction: labels in both operands and the output
are batch dimensions, labels in both operands only are contracted, labels
in one operand and the output are that operand's free dimensions, and a
label in one operand only is summed first. Operand A is transposed to
[batch, free A, contracted] and viewed as [batch, M, K], B to [batch,
contracted, free B] as [batch, K, N]; the matmul's [batch, M, N] is viewed
as [batch, free A, free B] and transposed to the output's order. Transposes
and reshapes that would not move anything are left out, so
'bhid,bhjd->bhij' is one transpose of B and a matmul.
"""

from __future__ import annotations

import string
from collections.abc import Sequence

from onnx import NodeProto
from xdsl.ir import SSAValue

from tdopt.dialects import train
from tdopt.frontend.onnx.context import Context, attributes
from tdopt.frontend.onnx.errors import Unsupported
from tdopt.frontend.onnx.ops import Result, converts, reshape
from tdopt.frontend.onnx.slicing import shape_of


def parse_equation(equation: str, ranks: Sequence[int]) -> tuple[list[str], str]:
    """The operands' label strings and the output's, `...` replaced by fresh
    labels (upper-case letters the equation does not use)."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks):
        raise Unsupported(f"equation '{equation}' has {len(terms)} operands, the node {len(ranks)}")
    used = set(eq)
    fresh = [c for c in string.ascii_uppercase + string.ascii_lowercase if c not in used]
    ell = ""
    if "..." in eq:
        width = max(r - len(t.replace("...", "")) for t, r in zip(terms, ranks) if "..." in t)
        ell = "".join(fresh[:width])
        out_terms = []
        for t, r in zip(terms, ranks):
            if "..." in t:
                n = r - len(t.replace("...", ""))
                t = t.replace("...", ell[width - n :])  # numpy aligns them on the right
            out_terms.append(t)
        terms = out_terms
    for t, r in zip(terms, ranks):
        if not all(c.isalpha() for c in t):
            raise Unsupported(f"equation '{equation}': term '{t}' has characters other than letters")
        if len(t) != r:
            raise Unsupported(f"equation '{equation}': term '{t}' for an operand of rank {r}")
        if len(set(t)) != len(t):
            raise Unsupported(
                f"equation '{equation}': a label repeats within '{t}' (diagonals and "
                "traces are not supported; only batched contractions with transposes)"
            )
    if arrow:
        out = out.replace("...", ell)
    else:  # implicit output: the ellipsis, then labels used once, sorted
        once = sorted(c for c in set("".join(terms)) if "".join(terms).count(c) == 1 and c not in ell)
        out = ell + "".join(once)
    if len(set(out)) != len(out) or not set(out) <= set("".join(terms)):
        raise Unsupported(
            f"equation '{equation}': every output label must appear once and in an operand"
        )
    return terms, out


def transpose_to(cx: Context, x: SSAValue, have: str, want: str) -> SSAValue:
    if have == want:
        return x
    perm = [have.index(c) for c in want]
    return cx.emit(train.TransposeOp.make([x], perm=train.i64_array(perm)))


def sum_out(cx: Context, x: SSAValue, term: str, keep: set[str]) -> tuple[SSAValue, str]:
    """Sum the labels of `term` outside `keep` (labels only this operand has)."""
    axes = [i for i, c in enumerate(term) if c not in keep]
    if not axes:
        return x, term
    y = cx.emit(train.ReduceSumOp.make([x], axes=train.i64_array(axes)))
    return y, "".join(c for c in term if c in keep)


def view(cx: Context, x: SSAValue, shape: Sequence[int]) -> SSAValue:
    return x if tuple(shape) == shape_of(x) else reshape(cx, x, shape)


def einsum2(cx: Context, equation: str, a: SSAValue, b: SSAValue, ta: str, tb: str, out: str) -> SSAValue:
    size: dict[str, int] = {}
    for t, v in ((ta, a), (tb, b)):
        for c, n in zip(t, shape_of(v)):
            if size.setdefault(c, n) != n:
                raise Unsupported(
                    f"equation '{equation}': label '{c}' has sizes {size[c]} and {n} "
                    "(broadcasting a label is not supported)"
                )
    a, ta = sum_out(cx, a, ta, set(tb) | set(out))
    b, tb = sum_out(cx, b, tb, set(ta) | set(out))
    batch = [c for c in out if c in ta and c in tb]
    free_a = [c for c in out if c in ta and c not in tb]
    free_b = [c for c in out if c in tb and c not in ta]
    contracted = [c for c in ta if c in tb and c not in out]

    def prod(labels: Sequence[str]) -> int:
        p = 1
        for c in labels:
            p *= size[c]
        return p

    bs = [size[c] for c in batch]
    a = transpose_to(cx, a, ta, "".join(batch + free_a + contracted))
    a = view(cx, a, [*bs, prod(free_a), prod(contracted)])
    b = transpose_to(cx, b, tb, "".join(batch + contracted + free_b))
    b = view(cx, b, [*bs, prod(contracted), prod(free_b)])
    y = cx.emit(train.MatMulOp.make([a, b]))
    mid = batch + free_a + free_b
    y = view(cx, y, [size[c] for c in mid])
    return transpose_to(cx, y, "".join(mid), out)


@converts("Einsum")
def einsum(cx: Context, node: NodeProto) -> Sequence[Result]:
    equation = str(attributes(node)["equation"])
    names = [n for n in node.input if n]
    if len(names) not in (1, 2):
        raise Unsupported(
            f"equation '{equation}' has {len(names)} operands (only one or two)"
        )
    terms, out = parse_equation(equation, [len(cx.shape(n)) for n in names])
    xs = [cx.value(n) for n in names]
    if len(xs) == 1:
        x, t = sum_out(cx, xs[0], terms[0], set(out))
        return [transpose_to(cx, x, t, out)]
    return [einsum2(cx, equation, xs[0], xs[1], terms[0], terms[1], out)]
