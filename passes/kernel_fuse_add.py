"""`kernel-fuse-add` (linalg level, after `convert-train-to-linalg`, before
`plan-memory`): `R = P + Q`, where Q is a sum of products computed from zero
(a zero fill of Q, then a kernel accumulating into Q: a matmul, a
convolution) and P is complete before Q's fill, becomes that kernel
accumulating into P, and R is P (what a BLAS gemm does with beta = 1). The
add's call, Q's fill and the buffers of Q and R are gone: a LoRA layer's
`W x + B (A x)` is one accumulation of `W x` into `B (A x)`.

The sum is formed in another order: P + (t1 + t2 + ...) becomes
((P + t1) + t2) + ..., so results agree to float rounding, not bit for bit.

Fused when, in the entry function (plain calls: before plan-memory and
tier-tile-l1):
- the add kernel is one `linalg.generic` adding its two inputs elementwise
  into its output, all three of one type (seen through views of the same
  element count);
- Q's uses are, in order, a call of a kernel filling it with 0.0, a call of
  a kernel whose single generic sums into Q (its body yields `Q + x`, x not
  depending on Q), and the add;
- P, Q and R are buffers of the step (`memref.alloc`) of one type; nothing
  uses P from Q's fill to the add (the accumulation now reads and writes it
  there), nor after the add; R's uses become P's.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import FloatAttr, ModuleOp
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter

from tdopt.analyses.kernel_forms import arg_of, fill_value, kernel_functions, single_generic, sums_into
from tdopt.dialects.cluster import ENTRY


def _is_elementwise_add(kernel: func.FuncOp) -> bool:
    """out = in0 + in1 over the whole of three buffers of one type."""
    g = single_generic(kernel)
    if g is None or len(g.inputs) != 2 or len(g.outputs) != 1:
        return False
    if len(kernel.args) != 3 or len({a.type for a in kernel.args}) != 1:
        return False
    if [arg_of(kernel, v) for v in (*g.inputs, *g.outputs)] != [0, 1, 2]:
        return False
    if not all(m.data == AffineMap.identity(m.data.num_dims) for m in g.indexing_maps.data):
        return False
    ops = list(g.body.block.ops)
    args = g.body.block.args
    return (
        len(ops) == 2
        and isinstance(ops[0], arith.AddfOp)
        and {ops[0].lhs, ops[0].rhs} == {args[0], args[1]}
        and isinstance(ops[1], linalg_ops.YieldOp)
        and ops[1].operands[0] is ops[0].result
    )


def _users(v: SSAValue) -> list[Operation]:
    return [u.operation for u in v.uses]


def _uses(v: SSAValue, skip: Operation) -> list[Operation]:
    """The ops of the entry using `v` or a view of it (the users of a view
    op's results, transitively), but `skip`."""
    out: list[Operation] = []
    for u in _users(v):
        if u is skip:
            continue
        out.append(u)
        if not isinstance(u, func.CallOp):
            for r in u.results:
                out += _uses(r, skip)
    return out


@dataclass(frozen=True)
class KernelFuseAddPass(ModulePass):
    """R = P + Q with Q a sum of products from zero -> the sum accumulates
    into P."""

    name = "kernel-fuse-add"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = kernel_functions(op)
        for entry in [f for f in op.ops if isinstance(f, func.FuncOp) and ENTRY in f.attributes]:
            for add in [o for o in entry.body.block.ops if isinstance(o, func.CallOp)]:
                kernel = kernels.get(add.callee.string_value())
                if kernel is None or len(add.arguments) != 3 or not _is_elementwise_add(kernel):
                    continue
                a, b, r = add.arguments
                for q, p in ((b, a), (a, b)):
                    if q is not p and self._fuse(entry, kernels, add, p, q, r):
                        break

    def _fuse(self, entry: func.FuncOp, kernels: dict[str, func.FuncOp], add: func.CallOp,
              p: SSAValue, q: SSAValue, r: SSAValue) -> bool:
        if not all(isinstance(v.owner, memref.AllocOp) for v in (p, q, r)):
            return False
        if not p.type == q.type == r.type:
            return False
        block = entry.body.block
        users = _users(q)
        if len(users) != 3 or users.count(add) != 1:
            return False
        fill, acc = sorted((u for u in users if u is not add), key=block.get_operation_index)
        if not (isinstance(fill, func.CallOp) and isinstance(acc, func.CallOp)):
            return False
        order = [block.get_operation_index(o) for o in (fill, acc, add)]
        if not order[0] < order[1] < order[2]:
            return False
        fill_kernel = kernels.get(fill.callee.string_value())
        acc_kernel = kernels.get(acc.callee.string_value())
        if fill_kernel is None or acc_kernel is None or list(fill.arguments) != [q]:
            return False
        positions = [k for k, v in enumerate(acc.arguments) if v is q]
        zero = fill_value(fill_kernel)
        if not (isinstance(zero, FloatAttr) and zero.value.data == 0.0):
            return False
        if len(positions) != 1 or not sums_into(acc_kernel, positions[0]):
            return False
        if any(v is p for v in acc.arguments):
            return False
        # P: nothing uses it (or a view of it) from Q's fill to the add, nor after
        if any(block.get_operation_index(u) >= order[0] for u in _uses(p, add)):
            return False
        args = [p if v is q else v for v in acc.arguments]
        Rewriter.replace_op(acc, func.CallOp(acc.callee, args, []))
        Rewriter.erase_op(fill)
        Rewriter.erase_op(add)
        r.replace_all_uses_with(p)
        for v in (q, r):
            if not v.uses:
                Rewriter.erase_op(v.owner)  # type: ignore[arg-type]
        return True
