"""Slicing and selection with static bounds: Slice, Split, Gather with
constant indices, Expand and Where with a constant condition. Every
selection becomes `train.slice` (a strided slice with normalised starts,
sizes and steps), followed by shape-only ops; nodes whose inputs are all
compile-time values never reach these converters (the importer folds them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from onnx import NodeProto
from xdsl.ir import SSAValue

from tdopt.dialects import train
from tdopt.frontend.onnx.context import Context, attributes, present
from tdopt.frontend.onnx.errors import Unsupported
from tdopt.frontend.onnx.ops import Result, converts, i64_attr, reshape


def shape_of(v: SSAValue) -> tuple[int, ...]:
    return tuple(v.type.get_shape())  # type: ignore[attr-defined]


def known(cx: Context, name: str) -> np.ndarray | None:
    """A compile-time value, or a one-element float initializer (exporters
    store scalar fills such as -inf that way; a model's parameters are never
    a scalar Where branch)."""
    if cx.is_static(name):
        return cx.static[name]
    if name in cx.initializers and name not in cx.values:
        value = cx.const(name, "branch")
        if value.size == 1:
            return value
    return None


def strided(
    cx: Context,
    x: SSAValue,
    dims: Sequence[int],
    bounds: dict[int, tuple[int, int, int]],
) -> SSAValue:
    """train.slice of x: `bounds` maps an axis to (start, size, step), the
    other axes are kept whole; no op when nothing is cut."""
    starts, sizes, steps = [0] * len(dims), list(dims), [1] * len(dims)
    for axis, (start, size, step) in bounds.items():
        starts[axis], sizes[axis], steps[axis] = start, size, step
    if sizes == list(dims) and all(s == 1 for s in steps):
        return x
    op = train.SliceOp.make(
        [x],
        starts=train.i64_array(starts),
        sizes=train.i64_array(sizes),
        steps=train.i64_array(steps),
    )
    return cx.emit(op)


def onnx_slice_bounds(dim: int, start: int, end: int, step: int) -> tuple[int, int, int]:
    """(start, size, step) of ONNX Slice on one axis: negative starts and
    ends count from the end, both are clamped (ONNX's rules, which differ for
    positive and negative steps), size = ceil((end - start) / step)."""
    if step == 0:
        raise Unsupported("a step of 0")
    start = start + dim if start < 0 else start
    end = end + dim if end < 0 else end
    if step > 0:
        start, end = min(max(start, 0), dim), min(max(end, 0), dim)
    else:
        start, end = min(max(start, 0), dim - 1), min(max(end, -1), dim - 1)
    size = max(0, -(-(end - start) // step))
    return start, size, step


@converts("Slice")
def slice_(cx: Context, node: NodeProto) -> Sequence[Result]:
    dims = cx.shape(node.input[0])
    a = attributes(node)
    if cx.opset < 10:  # starts, ends, axes as attributes
        starts = [int(v) for v in a["starts"]]  # type: ignore[union-attr]
        ends = [int(v) for v in a["ends"]]  # type: ignore[union-attr]
        axes = [int(v) for v in a.get("axes", range(len(starts)))]  # type: ignore[union-attr]
        steps = [1] * len(starts)
    else:
        starts = [int(v) for v in cx.const(node.input[1], "starts").reshape(-1)]
        ends = [int(v) for v in cx.const(node.input[2], "ends").reshape(-1)]
        axes = (
            [int(v) for v in cx.const(node.input[3], "axes").reshape(-1)]
            if present(node, 3)
            else list(range(len(starts)))
        )
        steps = (
            [int(v) for v in cx.const(node.input[4], "steps").reshape(-1)]
            if present(node, 4)
            else [1] * len(starts)
        )
    bounds: dict[int, tuple[int, int, int]] = {}
    for axis, start, end, step in zip(axes, starts, ends, steps):
        axis = train.normalize_axis("Slice", axis, len(dims))
        bounds[axis] = onnx_slice_bounds(dims[axis], start, end, step)
        if bounds[axis][1] == 0:
            raise Unsupported(
                f"the slice {start}:{end}:{step} of axis {axis} (size {dims[axis]}) is "
                "empty; tdopt has no empty tensors"
            )
    return [strided(cx, cx.value(node.input[0]), dims, bounds)]


def split_sizes(cx: Context, node: NodeProto, dim: int) -> list[int]:
    """The part sizes of a Split: the `split` input (opset 13) or attribute,
    else `num_outputs` parts (opset 18: ceil(dim / n) each, the last one
    smaller), else equal parts, one per output."""
    a = attributes(node)
    if present(node, 1):
        sizes = [int(v) for v in cx.const(node.input[1], "split").reshape(-1)]
    elif "split" in a:
        sizes = [int(v) for v in a["split"]]  # type: ignore[union-attr]
    else:
        n = int(a.get("num_outputs", len(node.output)))  # type: ignore[arg-type]
        part = -(-dim // n)
        sizes = [min(part, dim - k * part) for k in range(n)]
        if "num_outputs" not in a and dim % n:
            raise Unsupported(f"{dim} elements do not split into {n} equal parts")
    if sum(sizes) != dim or min(sizes) < 1:
        raise Unsupported(f"split sizes {sizes} do not partition the {dim} elements of the axis")
    return sizes


@converts("Split")
def split(cx: Context, node: NodeProto) -> Sequence[Result]:
    dims = cx.shape(node.input[0])
    axis = train.normalize_axis("Split", int(attributes(node).get("axis", 0)), len(dims))  # type: ignore[arg-type]
    x = cx.value(node.input[0])
    out, start = [], 0
    for size in split_sizes(cx, node, dims[axis]):
        out.append(strided(cx, x, dims, {axis: (start, size, 1)}))
        start += size
    return out


@converts("Gather")
def gather(cx: Context, node: NodeProto) -> Sequence[Result]:
    """Gather with constant indices: a progression of indices is one strided
    slice, any other list a concatenation of one-element slices; a scalar
    index removes the axis, an index tensor of shape S replaces it by S."""
    dims = cx.shape(node.input[0])
    axis = train.normalize_axis("Gather", int(attributes(node).get("axis", 0)), len(dims))  # type: ignore[arg-type]
    idx = cx.const(node.input[1], "indices")
    n = dims[axis]
    flat = [int(i) for i in idx.reshape(-1)]
    if not flat:
        raise Unsupported("empty indices")
    for i in flat:
        if not -n <= i < n:
            raise Unsupported(f"index {i} is out of range for axis {axis} of size {n}")
    flat = [i % n for i in flat]
    x = cx.value(node.input[0])
    step = flat[1] - flat[0] if len(flat) > 1 else 1
    if step != 0 and all(b - a == step for a, b in zip(flat, flat[1:])):
        picked = strided(cx, x, dims, {axis: (flat[0], len(flat), step)})
    else:
        parts = [strided(cx, x, dims, {axis: (i, 1, 1)}) for i in flat]
        picked = cx.emit(train.ConcatOp.make(parts, axis=i64_attr(axis)))
    target = [*dims[:axis], *idx.shape, *dims[axis + 1 :]]
    if target != list(shape_of(picked)):
        picked = reshape(cx, picked, target)
    return [picked]


@converts("Expand")
def expand(cx: Context, node: NodeProto) -> Sequence[Result]:
    """Broadcast to a static shape: x + zeros(result shape), whose gradient
    sums back over the broadcast dimensions like any broadcasting add."""
    dims = cx.shape(node.input[0])
    spec = tuple(int(v) for v in cx.const(node.input[1], "shape").reshape(-1))
    out = train.broadcast_shapes("Expand", dims, spec)
    x = cx.value(node.input[0])
    if out == dims:
        return [x]
    if int(np.prod(out)) == int(np.prod(dims)):  # only leading 1s added
        return [reshape(cx, x, out)]
    et = train.numpy_dtype(cx.tensor_type(node.input[0]).element_type)
    zeros = cx.emit(train.ConstantOp(train.dense_from_numpy(np.zeros(out, dtype=et))))
    return [cx.emit(train.AddOp.make([x, zeros]))]


@converts("Where")
def where(cx: Context, node: NodeProto) -> Sequence[Result]:
    """Where with a constant condition (a mask): x * m + y * (1 - m), where a
    constant branch is selected at compile time instead (so a -inf fill
    never meets a multiplication by 0)."""
    if not cx.is_static(node.input[0]):
        raise Unsupported("a condition computed at run time (only a constant mask)")
    cond = cx.static[node.input[0]].astype(bool)
    branches = [(name, known(cx, name)) for name in node.input[1:]]
    dynamic = [name for name, value in branches if value is None]
    if not dynamic:  # constant float initializers on both sides
        value = np.where(cond, branches[0][1], branches[1][1])  # type: ignore[arg-type]
        return [value]
    et = train.numpy_dtype(cx.tensor_type(dynamic[0]).element_type)
    out_shape = tuple(np.broadcast_shapes(cond.shape, *(cx.shape(n) if v is None else v.shape for n, v in branches)))
    terms: list[SSAValue] = []
    for (name, value), mask in zip(branches, (cond, ~cond)):
        if value is not None:
            picked = np.where(mask, value, 0).astype(et)
            if picked.any():
                terms.append(cx.emit(train.ConstantOp(train.dense_from_numpy(picked))))
        elif mask.all():
            terms.append(cx.value(name))
        elif mask.any():
            m = cx.emit(train.ConstantOp(train.dense_from_numpy(mask.astype(et))))
            terms.append(cx.emit(train.MulOp.make([cx.value(name), m])))
    zeros = np.zeros(out_shape, dtype=et)
    if not terms:
        return [cx.emit(train.ConstantOp(train.dense_from_numpy(zeros)))]
    y = terms[0]
    for t in terms[1:]:
        y = cx.emit(train.AddOp.make([y, t]))
    if shape_of(y) != out_shape:  # the condition broadcasts the branches
        y = cx.emit(train.AddOp.make([y, cx.emit(train.ConstantOp(train.dense_from_numpy(zeros)))]))
    return [y]
