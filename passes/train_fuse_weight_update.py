"""`train-fuse-weight-update`: a weight gradient computed by a matrix
product and used only by its SGD update becomes one accumulation into the
weight, so the gradient never exists in memory.

    dW = alpha op(A) op(B)            (train.gemm without C, or a 2-D train.matmul)
    W_updated = W - lr * dW           (train-sgd: train.sub(W, train.mul(dW, lr)))
->
    A' = (-lr * alpha) * A            (the smaller operand scaled: a cheap kernel)
    W_updated = gemm(A', op(B), C = W)   (alpha = beta = 1)

Contract:
- runs after `train-schedule-updates` (the update sits after every other
  reader of W) and before `convert-train-to-linalg`, which writes such a
  gemm in place over W as one contraction whose output operand is W
  (`W += A' op(B)`, no fill, no dW buffer);
- fuses only updates that `convert-train-to-linalg` writes in place
  (`in_place_updates`: W has no reader after the update, is not itself
  returned), and only when the product and the `lr * dW` product have no
  other use (a momentum velocity, a returned gradient, a shared weight whose
  gradient is a sum all keep their separate kernels);
- the fused op stands where the update stood, so the order with the other
  readers of W is the one train-schedule-updates chose;
- the value is W - lr * dW up to rounding (the scale is applied to an
  operand before the products are summed, not to the sum).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType, UnitAttr
from xdsl.ir import Block, Operation, SSAValue
from xdsl.passes import ModulePass

from tdopt.dialects import train
from tdopt.lowering.train_to_linalg import ALIAS_OPS, _readers, in_place_updates


def _only_use(value: SSAValue, user: Operation) -> bool:
    uses = list(value.uses)
    return len(uses) == 1 and uses[0].operation is user


def _scalar(op: Operation | None) -> float | None:
    """The value of a constant whose elements are all the same number."""
    if not isinstance(op, train.ConstantOp):
        return None
    values = train.numpy_from_dense(op.value).reshape(-1)
    if values.size == 0 or not np.all(values == values[0]):
        return None
    return float(values[0])


def _product(value: SSAValue, user: Operation) -> train.GemmOp | train.MatMulOp | None:
    """The matrix product computing `value`, when `user` is its only reader."""
    op = value.owner
    if not _only_use(value, user):
        return None
    if isinstance(op, train.GemmOp) and op.c is None:
        return op
    if (
        isinstance(op, train.MatMulOp)
        and len(op.lhs.type.get_shape()) == 2  # type: ignore[attr-defined]
        and len(op.rhs.type.get_shape()) == 2  # type: ignore[attr-defined]
    ):
        return op
    return None


def aliases(value: SSAValue) -> set[SSAValue]:
    """`value` and the reshape-like views of its buffer."""
    return {value, *(u.operation.results[0] for u in _readers(value) if isinstance(u.operation, ALIAS_OPS))}


def _size(v: SSAValue) -> int:
    t = v.type
    assert isinstance(t, TensorType)
    return int(np.prod(t.get_shape()))


def fuse(block: Block) -> int:
    """Rewrite every fusable update of `block`; returns how many."""
    ret = block.last_op
    if not isinstance(ret, func.ReturnOp):
        return 0
    fused = 0
    for value, param in in_place_updates(block, ret).items():
        sub = value.owner
        assert isinstance(sub, train.SubOp)
        step = sub.rhs.owner
        if not isinstance(step, train.MulOp) or not _only_use(sub.rhs, sub):
            continue
        for grad_v, lr_v in ((step.lhs, step.rhs), (step.rhs, step.lhs)):
            lr = _scalar(lr_v.owner)
            product = _product(grad_v, step) if lr is not None else None
            if product is not None:
                break
        else:
            continue
        assert lr is not None and product is not None
        if isinstance(product, train.GemmOp):
            a, b = product.a, product.b
            ta, tb = product.trans_a is not None, product.trans_b is not None
            alpha = 1.0 if product.alpha is None else product.alpha.value.data
        else:
            a, b, ta, tb, alpha = product.lhs, product.rhs, False, False, 1.0
        if grad_v.type != param.result.type:
            continue  # e.g. a gradient broadcast to the weight: not a plain product
        if {a, b} & aliases(param.result):
            continue  # the product reads W: W would be overwritten while read
        factor = -lr * alpha
        # scale the smaller operand (for batch 1 both are vectors)
        scaled_a = _size(a) <= _size(b)
        small = a if scaled_a else b
        et = small.type.element_type  # type: ignore[attr-defined]
        const = train.ConstantOp(
            train.dense_from_numpy(np.asarray(factor, train.numpy_dtype(et)))
        )
        scaled = train.MulOp.make([small, const.result])
        gemm = train.GemmOp.make(
            [scaled.result, b, param.result] if scaled_a else [a, scaled.result, param.result],
            trans_a=UnitAttr() if ta else None,
            trans_b=UnitAttr() if tb else None,
        )
        for new in (const, scaled, gemm):
            new.location = sub.location
        block.insert_ops_before([const, scaled, gemm], sub)
        gemm.result.name_hint = sub.result.name_hint
        sub.result.replace_all_uses_with(gemm.result)
        block.erase_op(sub)
        lr_owner = lr_v.owner
        block.erase_op(step)
        if isinstance(lr_owner, Operation) and not list(lr_owner.results[0].uses):
            block.erase_op(lr_owner)
        block.erase_op(product)
        fused += 1
    return fused


@dataclass(frozen=True)
class TrainFuseWeightUpdatePass(ModulePass):
    """Fold each matrix-product weight gradient into its in-place SGD update."""

    name = "train-fuse-weight-update"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in op.ops:
            if isinstance(f, func.FuncOp) and f.body.blocks:
                fuse(f.body.block)
