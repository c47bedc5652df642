"""Converters from ONNX nodes to train ops: one function per op type,
registered in `CONVERTERS` under (domain, op type); the default domain is
''. A converter returns one entry per node output it defines: an SSA value,
or a numpy array for a compile-time constant. Anything it cannot express
raises `Unsupported` with the reason."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from onnx import NodeProto, numpy_helper
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, StringAttr, UnitAttr, f32, f64, i64
from xdsl.ir import SSAValue

from tdopt.dialects import train
from tdopt.frontend.onnx.context import Context, attributes, element_type, present
from tdopt.frontend.onnx.errors import Unsupported

Result = SSAValue | np.ndarray
Converter = Callable[[Context, NodeProto], Sequence[Result]]

CONVERTERS: dict[tuple[str, str], Converter] = {}


def converts(*keys: str, domain: str = "") -> Callable[[Converter], Converter]:
    def register(fn: Converter) -> Converter:
        for k in keys:
            CONVERTERS[(domain, k)] = fn
        return fn

    return register


def i64_attr(v: int) -> IntegerAttr:
    return IntegerAttr(int(v), i64)


def axes_of(cx: Context, node: NodeProto, input_index: int) -> list[int] | None:
    """Axes given as an attribute (older opsets) or as an input (newer);
    None when absent."""
    a = attributes(node)
    if "axes" in a:
        # some training tools write a single axis as an INT attribute
        return [int(x) for x in np.atleast_1d(a["axes"])]  # type: ignore[arg-type]
    if present(node, input_index):
        return [int(x) for x in cx.const(node.input[input_index], "axes").reshape(-1)]
    return None


def reshape(cx: Context, x: SSAValue, shape: Sequence[int]) -> SSAValue:
    return cx.emit(train.ReshapeOp.make_to(x, [int(d) for d in shape]))


# -- constants and aliases ---------------------------------------------------


@converts("Constant")
def constant(cx: Context, node: NodeProto) -> Sequence[Result]:
    a = {x.name: x for x in node.attribute}
    if "value" in a:
        return [numpy_helper.to_array(a["value"].t)]
    for key, dtype in (("value_float", np.float32), ("value_floats", np.float32),
                       ("value_int", np.int64), ("value_ints", np.int64)):
        if key in a:
            return [np.asarray(attributes(node)[key], dtype=dtype)]
    raise Unsupported(f"Constant with attribute {', '.join(a)} (only numeric tensors)")


@converts("Identity")
def identity(cx: Context, node: NodeProto) -> Sequence[Result]:
    x, y = node.input[0], node.output[0]
    if cx.is_static(x):
        return [cx.static[x]]
    if x in cx.initializers and y not in cx.initializers:
        # PyTorch's exporter stores equal initial values once and aliases
        # the others by Identity (two LayerNorm scales of ones): they are
        # still distinct parameters, named after the alias
        cx.initializers[y] = cx.initializers[x]
        return [cx.value(y)]
    return [cx.value(x)]


@converts("Dropout")
def dropout(cx: Context, node: NodeProto) -> Sequence[Result]:
    # inference-mode dropout is the identity; a training-mode one is not
    if present(node, 2) and bool(cx.const(node.input[2], "training_mode").reshape(-1)[0]):
        raise Unsupported("Dropout in training mode")
    return [cx.value(node.input[0])]


@converts("Cast")
def cast(cx: Context, node: NodeProto) -> Sequence[Result]:
    x = cx.value(node.input[0])
    to = element_type(int(attributes(node)["to"]), "Cast target")  # type: ignore[arg-type]
    if cx.tensor_type(node.input[0]).element_type != to:
        raise Unsupported(f"Cast of {x.type} to {to} (only no-op casts)")
    return [x]


@converts("CastLike")
def cast_like(cx: Context, node: NodeProto) -> Sequence[Result]:
    # the dynamo exporter casts constants (e.g. a zero conv bias) to the
    # activations' type: fold when the value is static
    src, like = node.input[0], node.input[1]
    if cx.is_static(like):
        target = cx.static[like].dtype
    else:
        target = train.numpy_dtype(cx.tensor_type(like).element_type)
    if cx.is_static(src):
        return [np.asarray(cx.static[src]).astype(target)]
    x = cx.value(src)
    if train.numpy_dtype(cx.tensor_type(src).element_type) != target:
        raise Unsupported(f"CastLike of {x.type} to {np.dtype(target).name} (only no-op casts "
                          "of run-time values; constants are converted)")
    return [x]


@converts("Shape")
def shape(cx: Context, node: NodeProto) -> Sequence[Result]:
    # shapes are static: Shape is a compile-time constant
    a = attributes(node)
    dims = cx.shape(node.input[0])
    start, end = int(a.get("start", 0)), a.get("end")  # type: ignore[arg-type]
    return [np.asarray(dims[start : None if end is None else int(end)], dtype=np.int64)]  # type: ignore[arg-type]


# -- elementwise ---------------------------------------------------------------


def _binary(cls: type[train.TrainOp]) -> Converter:
    def convert(cx: Context, node: NodeProto) -> Sequence[Result]:
        return [cx.emit(cls.make([cx.value(node.input[0]), cx.value(node.input[1])]))]

    return convert


for _name, _cls in (("Add", train.AddOp), ("Sub", train.SubOp),
                    ("Mul", train.MulOp), ("Div", train.DivOp)):
    converts(_name)(_binary(_cls))


@converts("Relu")
def relu(cx: Context, node: NodeProto) -> Sequence[Result]:
    return [cx.emit(train.ReluOp.make([cx.value(node.input[0])]))]


@converts("Sqrt")
def sqrt(cx: Context, node: NodeProto) -> Sequence[Result]:
    return [cx.emit(train.SqrtOp.make([cx.value(node.input[0])]))]


@converts("Pow")
def pow_(cx: Context, node: NodeProto) -> Sequence[Result]:
    x, name = cx.value(node.input[0]), node.input[1]
    constant = cx.is_static(name) or name in cx.initializers
    if not constant or cx.const(name, "exponent").size != 1:
        return [pow_tensor(cx, node)]
    e = cx.const(name, "exponent")
    out = cx.emit(train.PowOp.make([x], exponent=FloatAttr(float(e.reshape(-1)[0]), f64)))
    dims = cx.shape(node.input[0])
    if e.ndim > len(dims):  # a [1]-shaped exponent raises the result's rank
        out = reshape(cx, out, [1] * (e.ndim - len(dims)) + list(dims))
    return [out]


def pow_tensor(cx: Context, node: NodeProto) -> SSAValue:
    """Pow with a tensor exponent: `train.pow_tensor` (numpy broadcasting);
    a constant exponent of another dtype is converted to the base's."""
    x, name = cx.value(node.input[0]), node.input[1]
    et = cx.tensor_type(node.input[0]).element_type
    if cx.is_static(name):
        e = cx.static[name].astype(train.numpy_dtype(et))
        y = cx.emit(train.ConstantOp(train.dense_from_numpy(np.require(e, requirements="C"))))
    else:
        y = cx.value(name)
        if cx.tensor_type(name).element_type != et:
            raise Unsupported(f"exponent '{name}' of type {cx.tensor_type(name)} for a base of element "
                              f"type {et} (a tensor exponent must have the base's element type)")
    return cx.emit(train.PowTensorOp.make([x, y]))


def _gelu(cx: Context, x: SSAValue, form: str) -> SSAValue:
    return cx.emit(train.GeluOp.make([x], approximate=StringAttr(form) if form != "none" else None))


@converts("Gelu")
def gelu(cx: Context, node: NodeProto) -> Sequence[Result]:
    form = str(attributes(node).get("approximate", "none"))
    if form not in train.GELU_FORMS:
        raise Unsupported(f"approximate = '{form}'")
    return [_gelu(cx, cx.value(node.input[0]), form)]


@converts("Gelu", domain="com.microsoft")
def ms_gelu(cx: Context, node: NodeProto) -> Sequence[Result]:
    return [_gelu(cx, cx.value(node.input[0]), "none")]


@converts("BiasGelu", domain="com.microsoft")
def ms_bias_gelu(cx: Context, node: NodeProto) -> Sequence[Result]:
    x = cx.emit(train.AddOp.make([cx.value(node.input[0]), cx.value(node.input[1])]))
    return [_gelu(cx, x, "none")]


@converts("FastGelu", domain="com.microsoft")
def ms_fast_gelu(cx: Context, node: NodeProto) -> Sequence[Result]:
    x = cx.value(node.input[0])
    if present(node, 1):
        x = cx.emit(train.AddOp.make([x, cx.value(node.input[1])]))
    return [_gelu(cx, x, "tanh")]


@converts("Softmax")
def softmax(cx: Context, node: NodeProto) -> Sequence[Result]:
    x = cx.value(node.input[0])
    dims = cx.shape(node.input[0])
    rank = len(dims)
    default = -1 if cx.opset >= 13 else 1
    axis = int(attributes(node).get("axis", default)) % max(rank, 1)  # type: ignore[arg-type]
    if cx.opset >= 13 or axis == rank - 1:
        return [cx.emit(train.SoftmaxOp.make([x], axis=i64_attr(axis)))]
    # before opset 13 Softmax works on the input flattened to 2-D at `axis`
    flat = reshape(cx, x, [int(np.prod(dims[:axis])), int(np.prod(dims[axis:]))])
    y = cx.emit(train.SoftmaxOp.make([flat], axis=i64_attr(1)))
    return [reshape(cx, y, dims)]


@converts("LayerNormalization")
def layer_norm(cx: Context, node: NodeProto) -> Sequence[Result]:
    a = attributes(node)
    x = cx.value(node.input[0])
    dims = cx.shape(node.input[0])
    axis = int(a.get("axis", -1)) % len(dims)  # type: ignore[arg-type]
    norm = dims[axis:]
    operands = [x]
    for i, what in ((1, "scale"), (2, "bias")):
        if not present(node, i):
            continue
        v = cx.value(node.input[i])
        s = cx.shape(node.input[i])
        if s != norm:
            if int(np.prod(s)) != int(np.prod(norm)):
                raise Unsupported(f"{what} of shape {list(s)} broadcast to {list(norm)}")
            v = reshape(cx, v, norm)
        operands.append(v)
    eps = float(a.get("epsilon", 1e-5))  # type: ignore[arg-type]
    y = train.LayerNormOp.make(operands, axis=i64_attr(axis), epsilon=FloatAttr(eps, f32))
    return [cx.emit(y)]


# -- linear algebra ------------------------------------------------------------


@converts("MatMul")
def matmul(cx: Context, node: NodeProto) -> Sequence[Result]:
    return [cx.emit(train.MatMulOp.make([cx.value(node.input[0]), cx.value(node.input[1])]))]


def _scaled(cx: Context, x: SSAValue, factor: float) -> SSAValue:
    if factor == 1.0:
        return x
    et = train.numpy_dtype(x.type.element_type)  # type: ignore[attr-defined]
    k = cx.emit(train.ConstantOp(train.dense_from_numpy(np.asarray(factor, dtype=et))))
    return cx.emit(train.MulOp.make([x, k]))


@converts("Gemm")
def gemm(cx: Context, node: NodeProto) -> Sequence[Result]:
    a = attributes(node)
    operands = [cx.value(node.input[0]), cx.value(node.input[1])]
    if present(node, 2):
        operands.append(cx.value(node.input[2]))
    alpha, beta = float(a.get("alpha", 1.0)), float(a.get("beta", 1.0))  # type: ignore[arg-type]
    trans_a, trans_b = bool(a.get("transA", 0)), bool(a.get("transB", 0))
    if len(cx.shape(node.input[0])) > 2 and not trans_a:
        # ONNX Runtime's training graphs apply Gemm to batched activations:
        # alpha * A @ op(B) + beta * C with numpy broadcasting
        b = operands[1]
        if trans_b:
            b = cx.emit(train.TransposeOp.make([b], perm=train.i64_array([1, 0])))
        y = _scaled(cx, cx.emit(train.MatMulOp.make([operands[0], b])), alpha)
        if len(operands) > 2:
            y = cx.emit(train.AddOp.make([y, _scaled(cx, operands[2], beta)]))
        return [y]
    op = train.GemmOp.make(
        operands,
        trans_a=UnitAttr() if trans_a else None,
        trans_b=UnitAttr() if trans_b else None,
        alpha=FloatAttr(alpha, f32) if alpha != 1.0 else None,
        beta=FloatAttr(beta, f32) if beta != 1.0 and len(operands) > 2 else None,
    )
    return [cx.emit(op)]


# -- shapes --------------------------------------------------------------------


@converts("Transpose")
def transpose(cx: Context, node: NodeProto) -> Sequence[Result]:
    rank = len(cx.shape(node.input[0]))
    perm = attributes(node).get("perm", list(range(rank))[::-1])
    op = train.TransposeOp.make([cx.value(node.input[0])], perm=train.i64_array(perm))  # type: ignore[arg-type]
    return [cx.emit(op)]


def reshape_target(dims: Sequence[int], spec: Sequence[int], allowzero: bool) -> list[int]:
    """ONNX Reshape's target: 0 copies the input dimension, -1 is inferred."""
    out = [dims[i] if d == 0 and not allowzero else int(d) for i, d in enumerate(spec)]
    if out.count(-1) > 1:
        raise Unsupported(f"shape {list(spec)} has more than one -1")
    if -1 in out:
        known = int(np.prod([d for d in out if d != -1]))
        total = int(np.prod(dims))
        if known == 0 or total % known:
            raise Unsupported(f"cannot reshape {list(dims)} to {list(spec)}")
        out[out.index(-1)] = total // known
    if int(np.prod(out)) != int(np.prod(dims)):
        raise Unsupported(f"cannot reshape {list(dims)} to {list(spec)}")
    return out


@converts("Reshape")
def reshape_(cx: Context, node: NodeProto) -> Sequence[Result]:
    spec = [int(d) for d in cx.const(node.input[1], "shape").reshape(-1)]
    allowzero = bool(attributes(node).get("allowzero", 0))
    target = reshape_target(cx.shape(node.input[0]), spec, allowzero)
    return [reshape(cx, cx.value(node.input[0]), target)]


@converts("Flatten")
def flatten(cx: Context, node: NodeProto) -> Sequence[Result]:
    dims = cx.shape(node.input[0])
    axis = int(attributes(node).get("axis", 1))  # type: ignore[arg-type]
    axis = axis % len(dims) if axis != len(dims) else axis
    target = [int(np.prod(dims[:axis])), int(np.prod(dims[axis:]))]
    return [reshape(cx, cx.value(node.input[0]), target)]


@converts("Squeeze")
def squeeze(cx: Context, node: NodeProto) -> Sequence[Result]:
    dims = cx.shape(node.input[0])
    axes = axes_of(cx, node, 1)
    if axes is None:  # every size-1 dimension
        axes = [i for i, d in enumerate(dims) if d == 1]
    op = train.SqueezeOp.make([cx.value(node.input[0])], axes=train.i64_array(axes))
    return [cx.emit(op)]


@converts("Unsqueeze")
def unsqueeze(cx: Context, node: NodeProto) -> Sequence[Result]:
    axes = axes_of(cx, node, 1)
    if axes is None:
        raise Unsupported("Unsqueeze without axes")
    op = train.UnsqueezeOp.make([cx.value(node.input[0])], axes=train.i64_array(axes))
    return [cx.emit(op)]


@converts("Concat")
def concat(cx: Context, node: NodeProto) -> Sequence[Result]:
    xs = [cx.value(n) for n in node.input if n]
    axis = int(attributes(node)["axis"])  # type: ignore[arg-type]
    return [cx.emit(train.ConcatOp.make(xs, axis=i64_attr(axis)))]


def _reduce(cls: type[train.ReduceOp]) -> Converter:
    def convert(cx: Context, node: NodeProto) -> Sequence[Result]:
        a = attributes(node)
        axes = axes_of(cx, node, 1) or []
        if not axes and a.get("noop_with_empty_axes", 0):
            return [cx.value(node.input[0])]
        keep = UnitAttr() if a.get("keepdims", 1) else None
        op = cls.make([cx.value(node.input[0])], axes=train.i64_array(axes), keepdims=keep)
        return [cx.emit(op)]

    return convert


converts("ReduceMean")(_reduce(train.ReduceMeanOp))
converts("ReduceSum")(_reduce(train.ReduceSumOp))


# -- losses --------------------------------------------------------------------


@converts("SoftmaxCrossEntropyLoss")
def softmax_cross_entropy(cx: Context, node: NodeProto) -> Sequence[Result]:
    a = attributes(node)
    if present(node, 2):
        raise Unsupported("class weights")
    if "ignore_index" in a:
        raise Unsupported("ignore_index")
    reduction = str(a.get("reduction", "mean"))
    if reduction not in ("mean", "sum"):
        raise Unsupported(f"reduction = '{reduction}' (only 'mean' and 'sum')")
    logits = cx.value(node.input[0])
    if len(cx.shape(node.input[0])) != 2:
        raise Unsupported(f"scores of rank {len(cx.shape(node.input[0]))} (only N x C)")
    loss = cx.emit(train.CrossEntropyOp.make([logits, cx.value(node.input[1])]))
    if reduction == "sum":  # the op averages over the batch
        n = np.asarray(cx.shape(node.input[0])[0], dtype=np.float32)
        loss = cx.emit(train.MulOp.make([loss, cx.emit(train.ConstantOp(train.dense_from_numpy(n)))]))
    return [loss]

