"""Views: one buffer seen with another shape, as MLIR's memref ops.

tdopt's kernels and steps see a buffer through another shape in three ways
(convert-train-to-linalg's reshapes, a kernel's view of an argument,
kernel-squeeze-unit-dims' dropped unit dimensions, a fused producer's
operand). All start at the buffer's first element and read it row-major:

* the same elements, the new dimensions groups of consecutive old ones:
  `memref.collapse_shape`;
* the same elements, the old dimensions groups of consecutive new ones:
  `memref.expand_shape`;
* anything else (another grouping, fewer elements: a prefix of the buffer,
  or a shape-only operand that gives a loop nest its bounds):
  `memref.reinterpret_cast` at offset 0 with row-major strides.

`view_op` makes the one that fits; passes and analyses see through
`VIEW_OPS` (the source is operand 0, as of a memory space cast).
`convert-memref-views-to-riscv` lowers them to their source's address, and
the reference interpreter runs them, where `starts_at_source` holds.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from xdsl.dialects import memref
from xdsl.dialects.builtin import ArrayAttr, DenseArrayBase, IntegerAttr, MemRefType, i64
from xdsl.ir import Operation, SSAValue

VIEW_OPS = (memref.CollapseShapeOp, memref.ExpandShapeOp, memref.ReinterpretCastOp)


def starts_at_source(op: Operation) -> bool:
    """Whether view `op` starts at its source's first element: always for a
    collapse or expand, for a reinterpret_cast when its offset is 0 and its
    sizes and strides are static (as `view_op` makes it)."""
    if not isinstance(op, memref.ReinterpretCastOp):
        return isinstance(op, VIEW_OPS)
    return not (op.offsets or op.sizes or op.strides) and tuple(op.static_offsets.get_values()) == (0,)


def _groups(wide: Sequence[int], narrow: Sequence[int]) -> list[list[int]] | None:
    """The dimensions of `wide` that make up each dimension of `narrow`
    (consecutive runs whose sizes multiply to it), or None."""
    if not wide or not narrow or math.prod(wide) != math.prod(narrow):
        return None
    groups: list[list[int]] = []
    k = 0
    for n, size in enumerate(narrow):
        if k == len(wide):
            return None  # `wide` used up by the groups before (1x2 as 2x1)
        group = [k]
        product = wide[k]
        k += 1
        # a dimension of one after the last group joins it
        last = n == len(narrow) - 1
        while k < len(wide) and (product < size or product % size or (last and product == size)):
            if product > size:
                return None
            group.append(k)
            product *= wide[k]
            k += 1
        if product != size:
            return None
        groups.append(group)
    return groups if k == len(wide) else None


def _reassociation(groups: list[list[int]]) -> ArrayAttr:
    return ArrayAttr(ArrayAttr(IntegerAttr(d, i64) for d in g) for g in groups)


def view_op(source: SSAValue, result_type: MemRefType) -> Operation:
    """The op that views `source` (a memref) as `result_type` (see the module
    docstring)."""
    src = source.type
    assert isinstance(src, MemRefType)
    old, new = tuple(src.get_shape()), tuple(result_type.get_shape())
    if len(new) <= len(old) and (groups := _groups(old, new)) is not None:
        return memref.CollapseShapeOp.build(
            operands=[source],
            result_types=[result_type],
            properties={"reassociation": _reassociation(groups)},
        )
    if len(new) > len(old) and (groups := _groups(new, old)) is not None:
        return memref.ExpandShapeOp.build(
            operands=[source, []],
            result_types=[result_type],
            properties={
                "reassociation": _reassociation(groups),
                "static_output_shape": DenseArrayBase.from_list(i64, new),
            },
        )
    strides = [math.prod(new[k + 1:]) for k in range(len(new))]
    return memref.ReinterpretCastOp(source, [], [], [], [0], new, strides, result_type)
