"""Group and instance normalisation, expressed with train.layernorm: the
input viewed as [N, groups, rest] is normalised over its last dimension
(a unit scale), then viewed back and scaled and shifted per channel.
RMS normalisation (ONNX RMSNormalization, Deeploy's RMSNorm) is expanded
into train.mul/reduce_mean/add/sqrt/div/mul.""" 

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from onnx import NodeProto, TensorProto
from xdsl.dialects.builtin import FloatAttr, UnitAttr, f32
from xdsl.ir import SSAValue

from tdopt.dialects import train
from tdopt.frontend.onnx.context import Context, attributes
from tdopt.frontend.onnx.errors import Unsupported
from tdopt.frontend.onnx.ops import Result, converts, i64_attr, reshape


def _affine(cx: Context, y: SSAValue, name: str, groups_view: bool, dims, groups: int,
            add: bool) -> SSAValue:
    """y * scale or y + bias, the vector broadcast per channel (or per group
    in the [N, G, rest] view)."""
    v = cx.value(name)
    size = int(np.prod(cx.shape(name)))
    rank = len(dims) if not groups_view else 3
    lead = groups if groups_view else dims[1]
    if size != lead:
        raise Unsupported(f"'{name}' has {size} elements, expected {lead}")
    v = reshape(cx, v, [lead] + [1] * (rank - 2))
    cls = train.AddOp if add else train.MulOp
    return cx.emit(cls.make([y, v]))


def group_norm(cx: Context, node: NodeProto, groups: int) -> SSAValue:
    dims = cx.shape(node.input[0])
    if len(dims) < 3 or dims[1] % groups:
        raise Unsupported(f"input of shape {list(dims)} with {groups} groups")
    rest = int(np.prod(dims[1:])) // groups
    x = reshape(cx, cx.value(node.input[0]), [dims[0], groups, rest])
    et = train.numpy_dtype(cx.tensor_type(node.input[0]).element_type)
    ones = cx.emit(train.ConstantOp(train.dense_from_numpy(np.ones(rest, dtype=et))))
    eps = float(attributes(node).get("epsilon", 1e-5))  # type: ignore[arg-type]
    y = cx.emit(train.LayerNormOp.make([x, ones], axis=i64_attr(2), epsilon=FloatAttr(eps, f32)))
    # scale and bias per group (GroupNormalization before opset 21) apply
    # in the grouped view, per channel after it
    per_group = int(np.prod(cx.shape(node.input[1]))) == groups != dims[1]
    if per_group:
        y = _affine(cx, y, node.input[1], True, dims, groups, add=False)
        y = _affine(cx, y, node.input[2], True, dims, groups, add=True)
        return reshape(cx, y, dims)
    y = reshape(cx, y, dims)
    y = _affine(cx, y, node.input[1], False, dims, groups, add=False)
    return _affine(cx, y, node.input[2], False, dims, groups, add=True)


@converts("GroupNormalization")
def group_normalization(cx: Context, node: NodeProto) -> Sequence[Result]:
    return [group_norm(cx, node, int(attributes(node)["num_groups"]))]  # type: ignore[arg-type]


@converts("InstanceNormalization")
def instance_normalization(cx: Context, node: NodeProto) -> Sequence[Result]:
    return [group_norm(cx, node, cx.shape(node.input[0])[1])]


# -- RMS normalisation (issue 13) ----------------------------------------------
# ONNX RMSNormalization (opset 23) and Deeploy's RMSNorm (default domain, not
# an ONNX op: attribute `eps`, the last axis, as its corpus kernel computes)
# are expanded as the ONNX function body defines them:
# x / sqrt(mean(x * x over [axis, rank)) + eps) * scale.


def rms_norm(cx: Context, node: NodeProto, axis: int, eps: float) -> SSAValue:
    x = cx.value(node.input[0])
    dims = cx.shape(node.input[0])
    if not -len(dims) <= axis < len(dims):
        raise Unsupported(f"axis {axis} for an input of rank {len(dims)} (expected -{len(dims)} <= axis < "
                          f"{len(dims)})")
    axis %= len(dims)
    et = train.numpy_dtype(cx.tensor_type(node.input[0]).element_type)
    mean = cx.emit(train.ReduceMeanOp.make([cx.emit(train.MulOp.make([x, x]))],
                                           axes=train.i64_array(list(range(axis, len(dims)))),
                                           keepdims=UnitAttr()))
    eps_c = cx.emit(train.ConstantOp(train.dense_from_numpy(np.asarray(eps, dtype=et))))
    rms = cx.emit(train.SqrtOp.make([cx.emit(train.AddOp.make([mean, eps_c]))]))
    y = cx.emit(train.DivOp.make([x, rms]))
    scale = cx.shape(node.input[1])
    try:
        fits = np.broadcast_shapes(tuple(scale), tuple(dims[axis:])) == tuple(dims[axis:])
    except ValueError:
        fits = False
    if not fits:
        raise Unsupported(f"scale of shape {list(scale)} does not broadcast to the normalised shape "
                          f"{list(dims[axis:])}")
    return cx.emit(train.MulOp.make([y, cx.value(node.input[1])]))


def _only(node: NodeProto, accepted: set[str]) -> dict[str, object]:
    a = attributes(node)
    extra = sorted(set(a) - accepted)
    if extra:
        raise Unsupported(f"attribute {', '.join(extra)} (accepted: {', '.join(sorted(accepted))})")
    return a


@converts("RMSNormalization")
def rms_normalization(cx: Context, node: NodeProto) -> Sequence[Result]:
    a = attributes(node)
    stash = int(a.get("stash_type", TensorProto.FLOAT))  # type: ignore[arg-type]
    if stash not in (TensorProto.FLOAT, TensorProto.DOUBLE):
        raise Unsupported(f"stash_type = {stash} (only FLOAT (1) or DOUBLE (11): computed in the input's type)")
    return [rms_norm(cx, node, int(a.get("axis", -1)), float(a.get("epsilon", 1e-5)))]  # type: ignore[arg-type]


@converts("RMSNorm")
def deeploy_rms_norm(cx: Context, node: NodeProto) -> Sequence[Result]:
    a = _only(node, {"eps"})
    if len(node.input) != 2:
        raise Unsupported(f"{len(node.input)} inputs (Deeploy's RMSNorm takes the input and a weight)")
    return [rms_norm(cx, node, -1, float(a.get("eps", 1e-5)))]  # type: ignore[arg-type]


# -- batch normalisation (issue 13) -------------------------------------------


@converts("BatchNormalization")
def batch_normalization(cx: Context, node: NodeProto) -> Sequence[Result]:
    """Inference form (running statistics as operands) or, with
    `training_mode = 1` (opset >= 14) or the statistics outputs requested
    (opsets 9-13), batch statistics. The running-statistics outputs are not
    returned here: `train-sgd` returns their update as `NAME_updated`; a
    graph that reads them itself is rejected (output #1 or #2 used)."""
    a = attributes(node)
    if int(a.get("spatial", 1)) != 1:  # type: ignore[call-overload]
        raise Unsupported("spatial = 0 (per-activation statistics; only per-channel)")
    if cx.opset >= 14:
        training = bool(int(a.get("training_mode", 0)))  # type: ignore[call-overload]
    else:
        training = any(o for o in node.output[1:])
    eps = float(a.get("epsilon", 1e-5))  # type: ignore[arg-type]
    momentum = float(a.get("momentum", train.BatchNormOp.DEFAULT_MOMENTUM))  # type: ignore[arg-type]
    operands = [cx.value(x) for x in node.input[:5]]
    props = {"epsilon": FloatAttr(eps, f32)}
    if training:
        props["training"] = UnitAttr()  # type: ignore[assignment]
        if momentum != train.BatchNormOp.DEFAULT_MOMENTUM:
            props["momentum"] = FloatAttr(momentum, f32)
    return [cx.emit(train.BatchNormOp.make(operands, **props))]  # type: ignore[arg-type]
