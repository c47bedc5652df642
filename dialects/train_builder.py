"""`Emitter`: builds train ops at an insertion point (train-autodiff's
backward ops in front of the function's return, the other training passes'
updates and adapters), with the small tensor algebra they share
(constants, negation, broadcast reductions, transposes)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from xdsl.builder import Builder
from xdsl.dialects.builtin import (
    BytesAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerAttr,
    TensorType,
    UnitAttr,
    i64,
)
from xdsl.dialects.builtin import LocationAttr
from xdsl.ir import Attribute, Operation, SSAValue
from xdsl.pattern_rewriter import PatternRewriter
from xdsl.rewriter import InsertPoint

from tdopt.dialects import train

Shape = tuple[int, ...]


def shape_of(v: SSAValue) -> Shape:
    assert isinstance(v.type, TensorType)
    return tuple(v.type.get_shape())


def element_type(v: SSAValue) -> Attribute:
    assert isinstance(v.type, TensorType)
    return v.type.element_type


def splat_zeros(shape: Shape, element: Attribute) -> DenseIntOrFPElementsAttr:
    """A zero tensor stored as one element (a splat), whatever its size."""
    dtype = train.numpy_dtype(element).newbyteorder("<")
    data = BytesAttr(np.zeros(1, dtype).tobytes())
    return DenseIntOrFPElementsAttr(train.tensor(shape, element), data)


class Emitter:
    """Inserts ops at a fixed point (before an op, by default) and returns
    their (first) result."""

    def __init__(self, at: Operation | InsertPoint, rewriter: PatternRewriter | None = None):
        self.point = at if isinstance(at, InsertPoint) else InsertPoint.before(at)
        # inside a rewrite pattern, insert through its rewriter (a Builder) so
        # the pattern driver is notified
        self.builder: Builder = rewriter if rewriter is not None else Builder(self.point)
        self.one: SSAValue | None = None  # the seed dL/dL, when known
        # the location given to the ops emitted (the forward op's, while its
        # rule runs), so later failures point at the source op
        self.location: LocationAttr | None = None

    def op(self, op: Operation) -> Operation:
        if self.location is not None:
            op.location = self.location
        self.builder.insert(op, self.point)
        return op

    def emit(self, op: Operation) -> SSAValue:
        return self.op(op).results[0]

    # -- constants ----------------------------------------------------------

    def scalar(self, value: float, like: SSAValue) -> SSAValue:
        """A rank-0 constant with `like`'s element type (broadcasts anywhere)."""
        dtype = train.numpy_dtype(element_type(like))
        return self.emit(train.ConstantOp(train.dense_from_numpy(np.asarray(value, dtype))))

    def zeros(self, shape: Shape, like: SSAValue) -> SSAValue:
        return self.emit(train.ConstantOp(splat_zeros(shape, element_type(like))))

    # -- arithmetic ---------------------------------------------------------

    def add(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(train.AddOp.make([a, b]))

    def sub(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(train.SubOp.make([a, b]))

    def mul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(train.MulOp.make([a, b]))

    def div(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self.emit(train.DivOp.make([a, b]))

    def scale(self, a: SSAValue, factor: float) -> SSAValue:
        if factor == 1.0:
            return a
        return self.mul(a, self.scalar(factor, a))

    def times(self, a: SSAValue, gy: SSAValue) -> SSAValue:
        """a * gy, skipping the product with the seed gradient 1."""
        return a if gy is self.one else self.mul(a, gy)

    def neg(self, a: SSAValue) -> SSAValue:
        return self.scale(a, -1.0)

    # -- shapes -------------------------------------------------------------

    def reshape(self, v: SSAValue, shape: Sequence[int]) -> SSAValue:
        if shape_of(v) == tuple(shape):
            return v
        return self.emit(train.ReshapeOp.make_to(v, shape))

    def transpose(self, v: SSAValue, perm: Sequence[int]) -> SSAValue:
        if list(perm) == list(range(len(perm))):
            return v
        return self.emit(
            train.TransposeOp.make([v], perm=DenseArrayBase.from_list(i64, list(perm)))
        )

    def swap_last(self, v: SSAValue) -> SSAValue:
        """Transpose of the two innermost dimensions (matmul operands)."""
        r = len(shape_of(v))
        return self.transpose(v, [*range(r - 2), r - 1, r - 2])

    def reduce_sum(self, v: SSAValue, axes: Sequence[int], keepdims: bool) -> SSAValue:
        return self.emit(
            train.ReduceSumOp.make(
                [v],
                axes=DenseArrayBase.from_list(i64, list(axes)),
                keepdims=UnitAttr() if keepdims else None,
            )
        )

    def unbroadcast(self, g: SSAValue, shape: Shape) -> SSAValue:
        """Sum a gradient over the dimensions numpy broadcasting expanded, so
        it gets the operand's `shape` back."""
        gs = shape_of(g)
        if gs == shape:
            return g
        lead = len(gs) - len(shape)
        axes = [i for i in range(len(gs)) if i < lead or (shape[i - lead] == 1 and gs[i] != 1)]
        if lead and axes == list(range(lead)):  # only new leading dims: no reshape
            return self.reduce_sum(g, axes, keepdims=False)
        if axes:
            g = self.reduce_sum(g, axes, keepdims=True)
        return self.reshape(g, shape)

    def int_attr(self, value: int) -> IntegerAttr:
        return IntegerAttr(value, i64)
