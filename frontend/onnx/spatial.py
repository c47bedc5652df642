"""Convolution and pooling. The dialect's ops are 2-D (NCHW); 1-D ONNX nodes
(NCL) are lifted to 2-D with a unit height and brought back afterwards."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from onnx import NodeProto
from xdsl.dialects.builtin import FloatAttr, UnitAttr, f32
from xdsl.ir import SSAValue

from tdopt.dialects import train
from tdopt.frontend.onnx.context import Context, attributes, present
from tdopt.frontend.onnx.errors import Unsupported
from tdopt.frontend.onnx.ops import Result, converts, i64_attr, reshape


def explicit_pads(
    a: dict[str, object],
    sizes: Sequence[int],
    kernel: Sequence[int],
    strides: Sequence[int],
    dilations: Sequence[int],
) -> list[int]:
    """ONNX pads [begin..., end...] with `auto_pad` resolved."""
    n = len(sizes)
    mode = str(a.get("auto_pad", "NOTSET"))
    if mode == "NOTSET":
        return [int(p) for p in a.get("pads", [0] * 2 * n)]  # type: ignore[union-attr]
    if mode == "VALID":
        return [0] * 2 * n
    if mode not in ("SAME_UPPER", "SAME_LOWER"):
        raise Unsupported(f"auto_pad = '{mode}'")
    begin, end = [], []
    for size, k, s, d in zip(sizes, kernel, strides, dilations):
        out = -(-size // s)
        total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
        small, big = total // 2, total - total // 2
        begin.append(small if mode == "SAME_UPPER" else big)
        end.append(big if mode == "SAME_UPPER" else small)
    return begin + end


class Spatial:
    """The geometry of a 1-D or 2-D sliding-window node, as 2-D attributes."""

    def __init__(self, cx: Context, node: NodeProto, kernel: Sequence[int] | None = None):
        a = attributes(node)
        self.dims = cx.shape(node.input[0])
        self.n = len(self.dims) - 2
        if self.n not in (1, 2):
            raise Unsupported(f"{self.n}-D {node.op_type} (only 1-D and 2-D)")
        k = list(kernel if kernel is not None else a["kernel_shape"])  # type: ignore[call-overload]
        s = [int(v) for v in a.get("strides", [1] * self.n)]  # type: ignore[union-attr]
        d = [int(v) for v in a.get("dilations", [1] * self.n)]  # type: ignore[union-attr]
        p = explicit_pads(a, self.dims[2:], k, s, d)
        if self.n == 1:
            k, s, d, p = [1, *k], [1, *s], [1, *d], [0, p[0], 0, p[1]]
        self.kernel, self.strides, self.dilations, self.pads = k, s, d, p
        if a.get("ceil_mode", 0) and self._ceil_changes_shape():
            raise Unsupported("ceil_mode = 1 where it changes the output shape")

    def _ceil_changes_shape(self) -> bool:
        sizes = [1, *self.dims[2:]] if self.n == 1 else list(self.dims[2:])
        for i in range(2):
            span = self.dilations[i] * (self.kernel[i] - 1) + 1
            room = sizes[i] + self.pads[i] + self.pads[i + 2] - span
            if room % self.strides[i]:
                return True
        return False

    def lift(self, cx: Context, x: SSAValue) -> SSAValue:
        if self.n == 2:
            return x
        return cx.emit(train.UnsqueezeOp.make([x], axes=train.i64_array([2])))

    def lower(self, cx: Context, y: SSAValue) -> SSAValue:
        if self.n == 2:
            return y
        return cx.emit(train.SqueezeOp.make([y], axes=train.i64_array([2])))

    def props(self, with_dilations: bool = True) -> dict[str, object]:
        p: dict[str, object] = {}
        if self.strides != [1, 1]:
            p["strides"] = train.i64_array(self.strides)
        if any(self.pads):
            p["pads"] = train.i64_array(self.pads)
        if with_dilations and self.dilations != [1, 1]:
            p["dilations"] = train.i64_array(self.dilations)
        return p


@converts("Conv")
def conv(cx: Context, node: NodeProto) -> Sequence[Result]:
    wdims = cx.shape(node.input[1])
    declared = attributes(node).get("kernel_shape")
    if declared is not None and [int(k) for k in declared] != list(wdims[2:]):  # type: ignore[union-attr]
        raise Unsupported(f"kernel_shape {list(declared)} differs from the weight's spatial shape "  # type: ignore[arg-type]
                          f"{list(wdims[2:])} (they must agree)")
    g = Spatial(cx, node, kernel=wdims[2:])
    w = cx.value(node.input[1])
    if g.n == 1:
        w = reshape(cx, w, [wdims[0], wdims[1], 1, wdims[2]])
    x = g.lift(cx, cx.value(node.input[0]))
    if g.n == 2:  # issue 13: a zero Pad before the conv becomes its pads
        x, g.pads = fold_zero_pad(x, g.pads)
    operands = [x, w]
    if present(node, 2):
        operands.append(cx.value(node.input[2]))
    group = int(attributes(node).get("group", 1))  # type: ignore[arg-type]
    props = g.props()
    if group != 1:
        props["group"] = i64_attr(group)
    y = cx.emit(train.Conv2dOp.make(operands, **props))  # type: ignore[arg-type]
    return [g.lower(cx, y)]


def _maxpool(cx: Context, g: Spatial, x: SSAValue) -> SSAValue:
    if g.dilations != [1, 1]:
        raise Unsupported(f"dilations {g.dilations}")
    op = train.MaxPool2dOp.make(
        [g.lift(cx, x)], kernel=train.i64_array(g.kernel), **g.props(with_dilations=False)  # type: ignore[arg-type]
    )
    return g.lower(cx, cx.emit(op))


@converts("MaxPool")
def maxpool(cx: Context, node: NodeProto) -> Sequence[Result]:
    return [_maxpool(cx, Spatial(cx, node), cx.value(node.input[0]))]


@converts("GlobalMaxPool")
def global_maxpool(cx: Context, node: NodeProto) -> Sequence[Result]:
    dims = cx.shape(node.input[0])
    g = Spatial(cx, node, kernel=dims[2:])
    return [_maxpool(cx, g, cx.value(node.input[0]))]


@converts("GlobalAveragePool")
def global_avgpool(cx: Context, node: NodeProto) -> Sequence[Result]:
    rank = len(cx.shape(node.input[0]))
    op = train.ReduceMeanOp.make(
        [cx.value(node.input[0])],
        axes=train.i64_array(list(range(2, rank))),
        keepdims=UnitAttr(),
    )
    return [cx.emit(op)]


@converts("AveragePool")
def avgpool(cx: Context, node: NodeProto) -> Sequence[Result]:
    # a depthwise convolution with a constant 1/(kh*kw) kernel: exact as long
    # as every window has the same divisor (no padding, or padding counted)
    g = Spatial(cx, node)
    if any(g.pads) and not attributes(node).get("count_include_pad", 0):
        raise Unsupported("padding excluded from the average (count_include_pad = 0)")
    x = cx.value(node.input[0])
    et = train.numpy_dtype(cx.tensor_type(node.input[0]).element_type)
    channels = g.dims[1]
    kh, kw = g.kernel
    w = np.full((channels, 1, kh, kw), 1.0 / (kh * kw), dtype=et)
    weight = cx.emit(train.ConstantOp(train.dense_from_numpy(w)))
    props = g.props()
    if channels != 1:
        props["group"] = i64_attr(channels)
    y = cx.emit(train.Conv2dOp.make([g.lift(cx, x), weight], **props))  # type: ignore[arg-type]
    return [g.lower(cx, y)]


# -- padding (issue 13) -------------------------------------------------------


@converts("Pad")
def pad(cx: Context, node: NodeProto) -> Sequence[Result]:
    """Constant padding: pads (and value) as attributes before opset 11,
    inputs from 11 on, with the axes input of opset 18. A zero pad of the
    spatial dimensions of a conv's input becomes the conv's own pads (see
    `fold_zero_pad`); otherwise it is a `train.pad`."""
    a = attributes(node)
    mode = str(a.get("mode", "constant"))
    if mode != "constant":
        raise Unsupported(f"mode '{mode}' (only mode 'constant'; reflect, edge and wrap are not supported)")
    dims = cx.shape(node.input[0])
    rank = len(dims)
    if cx.opset < 11:
        pads = [int(p) for p in a.get("pads", [])]  # type: ignore[union-attr]
        value = float(a.get("value", 0.0))  # type: ignore[arg-type]
    else:
        pads = [int(p) for p in cx.const(node.input[1], "pads").reshape(-1)]
        value = float(cx.const(node.input[2], "constant_value").reshape(-1)[0]) if present(node, 2) else 0.0
    if cx.opset >= 18 and present(node, 3):
        axes = [int(x) % rank for x in cx.const(node.input[3], "axes").reshape(-1)]
        if len(pads) != 2 * len(axes):
            raise Unsupported(f"{len(pads)} pads for {len(axes)} axes (expected {2 * len(axes)})")
        full = [0] * (2 * rank)
        for i, axis in enumerate(axes):
            full[axis], full[rank + axis] = pads[i], pads[len(axes) + i]
        pads = full
    if len(pads) != 2 * rank:
        raise Unsupported(f"{len(pads)} pads for a rank-{rank} input (expected {2 * rank})")
    if min(pads) < 0:
        raise Unsupported(f"negative pads {pads} (cropping; only non-negative pads)")
    props = {"pads": train.i64_array(pads)}
    if value != 0.0:
        props["value"] = FloatAttr(value, f32)  # type: ignore[assignment]
    return [cx.emit(train.PadOp.make([cx.value(node.input[0])], **props))]  # type: ignore[arg-type]


def fold_zero_pad(x: SSAValue, pads: list[int]) -> tuple[SSAValue, list[int]]:
    """A conv input made by a zero `train.pad` of its spatial dimensions
    only: the pad's input, with those pads added to the conv's [top, left,
    bottom, right] (the importer drops the pad if nothing else uses it)."""
    op = x.owner
    if not isinstance(op, train.PadOp) or op.pad_value != 0.0 or len(pads) != 4:
        return x, pads
    begins, ends = op.begins_ends()
    if len(begins) != 4 or any(begins[:2]) or any(ends[:2]):
        return x, pads
    top, left, bottom, right = pads
    return op.input, [top + begins[2], left + begins[3], bottom + ends[2], right + ends[3]]
