"""Views (`analyses/views.py`): a buffer seen with another shape is MLIR's
collapse_shape / expand_shape when the dimensions regroup, else a
reinterpret_cast at offset 0; every one verifies, and reads the buffer as
numpy's row-major reshape of its first elements does."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from xdsl.dialects import memref
from xdsl.dialects.builtin import Float32Type, MemRefType
from xdsl.ir import Block

from tdopt.analyses.views import starts_at_source, view_op
from tdopt.interpreter.program import _view

F32 = Float32Type()


def _memref(shape: tuple[int, ...]) -> MemRefType:
    return MemRefType(F32, shape)


def _make(old: tuple[int, ...], new: tuple[int, ...]):
    block = Block(arg_types=[_memref(old)])
    op = view_op(block.args[0], _memref(new))
    block.add_op(op)
    op.verify()
    assert op.operands[0] is block.args[0]
    assert starts_at_source(op)
    return op


def _groups(op) -> list[list[int]]:
    return [[int(d.value.data) for d in g] for g in op.reassociation]


def test_the_op_that_fits() -> None:
    op = _make((2, 3, 4), (6, 4))
    assert isinstance(op, memref.CollapseShapeOp) and _groups(op) == [[0, 1], [2]]
    op = _make((1, 4, 3), (4, 3))  # a leading unit dimension joins the next group
    assert isinstance(op, memref.CollapseShapeOp) and _groups(op) == [[0, 1], [2]]
    op = _make((4, 3, 1), (4, 3))  # a trailing one joins the last
    assert isinstance(op, memref.CollapseShapeOp) and _groups(op) == [[0], [1, 2]]
    op = _make((18, 16), (2, 3, 3, 4, 4))
    assert isinstance(op, memref.ExpandShapeOp) and _groups(op) == [[0, 1, 2], [3, 4]]
    assert tuple(op.static_output_shape.get_values()) == (2, 3, 3, 4, 4)
    # a regrouping that crosses dimensions, fewer elements, a shape-only operand
    for old, new in (((4, 6), (6, 4)), ((8,), (2, 2)), ((1, 2, 2), (3, 3))):
        op = _make(old, new)
        assert isinstance(op, memref.ReinterpretCastOp)
        assert tuple(op.static_offsets.get_values()) == (0,)
        assert tuple(op.static_sizes.get_values()) == new
        assert tuple(op.static_strides.get_values()) == tuple(math.prod(new[k + 1:]) for k in range(len(new)))


dims = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


@settings(max_examples=200, deadline=None)
@given(old=dims, new=dims)
def test_views_read_the_first_elements_row_major(old: tuple[int, ...], new: tuple[int, ...]) -> None:
    if math.prod(new) > math.prod(old):
        return  # (shape-only operands are never read)
    op = _make(old, new)
    buffer = np.arange(math.prod(old), dtype=np.float32).reshape(old)
    view = _view(buffer, op.results[0])
    np.testing.assert_array_equal(view, np.arange(math.prod(new), dtype=np.float32).reshape(new))
    assert np.shares_memory(view, buffer)
    if math.prod(new) == math.prod(old) and not isinstance(op, memref.ReinterpretCastOp):
        groups = _groups(op)
        wide, narrow = (old, new) if isinstance(op, memref.CollapseShapeOp) else (new, old)
        assert [d for g in groups for d in g] == list(range(len(wide)))
        assert [math.prod(wide[d] for d in g) for g in groups] == list(narrow)
