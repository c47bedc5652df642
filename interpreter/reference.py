"""The reference interpreter: runs a `train` function on numpy arrays through
xDSL's interpreter framework (one `@impl` per op, kernels in `kernels.py`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls
from xdsl.interpreters.func import FuncFunctions

from tdopt.dialects import train, train_module
from tdopt.dialects.train_module import (  # noqa: F401  (re-exported)
    FunctionChoiceError,
    argument_names,
    result_names,
)
from tdopt.interpreter import kernels as K


def _f(attr: Any, default: float) -> float:
    return default if attr is None else float(attr.value.data)


@register_impls
class TrainFunctions(InterpreterFunctions):
    """numpy implementations of the train dialect. Parameters without an inline
    value are looked up by name in `weights`."""

    def __init__(self, weights: Mapping[str, np.ndarray] | None = None):
        self.weights = dict(weights or {})

    @impl(train.ParamOp)
    def run_param(self, interp: Interpreter, op: train.ParamOp, args: tuple[Any, ...]):
        if op.value is not None:
            return (train.numpy_from_dense(op.value),)
        if op.param_name not in self.weights:
            raise KeyError(f"no value for parameter @{op.param_name}")
        dt = train.numpy_dtype(op.result.type.element_type)
        return (np.asarray(self.weights[op.param_name], dtype=dt),)

    @impl(train.ConstantOp)
    def run_constant(self, interp: Interpreter, op: train.ConstantOp, args):
        return (train.numpy_from_dense(op.value),)

    @impl(train.AddOp)
    def run_add(self, interp, op, args):
        return (np.add(*args),)

    @impl(train.SubOp)
    def run_sub(self, interp, op, args):
        return (np.subtract(*args),)

    @impl(train.MulOp)
    def run_mul(self, interp, op, args):
        return (np.multiply(*args),)

    @impl(train.DivOp)
    def run_div(self, interp, op, args):
        return (np.divide(*args),)

    @impl(train.ReluOp)
    def run_relu(self, interp, op, args):
        return (K.relu(args[0]),)

    @impl(train.SqrtOp)
    def run_sqrt(self, interp, op, args):
        return (np.sqrt(args[0]),)

    @impl(train.PowOp)
    def run_pow(self, interp, op: train.PowOp, args):
        x = args[0]
        return (np.power(x, np.asarray(op.exponent.value.data, dtype=x.dtype)),)

    @impl(train.GeluOp)
    def run_gelu(self, interp, op: train.GeluOp, args):
        return (K.gelu(args[0], op.form),)

    @impl(train.SoftmaxOp)
    def run_softmax(self, interp, op: train.SoftmaxOp, args):
        return (K.softmax(args[0], op.axis.value.data),)

    @impl(train.LayerNormOp)
    def run_layernorm(self, interp, op: train.LayerNormOp, args):
        bias = args[2] if len(args) > 2 else None
        return (
            K.layernorm(args[0], args[1], bias, op.axis.value.data, op.epsilon.value.data),
        )

    @impl(train.MatMulOp)
    def run_matmul(self, interp, op, args):
        return (np.matmul(*args),)

    @impl(train.GemmOp)
    def run_gemm(self, interp, op: train.GemmOp, args):
        c = args[2] if len(args) > 2 else None
        return (
            K.gemm(
                args[0],
                args[1],
                c,
                op.trans_a is not None,
                op.trans_b is not None,
                _f(op.alpha, 1.0),
                _f(op.beta, 1.0),
            ),
        )

    @impl(train.Conv2dOp)
    def run_conv2d(self, interp, op: train.Conv2dOp, args):
        strides, pads, dil, group = train.Conv2dOp.geometry(op.properties)
        b = args[2] if len(args) > 2 else None
        return (K.conv2d(args[0], args[1], b, strides, pads, dil, group),)

    @impl(train.MaxPool2dOp)
    def run_maxpool(self, interp, op: train.MaxPool2dOp, args):
        kernel, strides, pads = train.MaxPool2dOp.geometry(op.properties)
        return (K.maxpool2d(args[0], kernel, strides, pads),)

    @impl(train.TransposeOp)
    def run_transpose(self, interp, op: train.TransposeOp, args):
        # np.array: np.ascontiguousarray makes a rank-0 result rank 1
        return (np.array(np.transpose(args[0], train.ints(op.perm, ())), order="C"),)

    @impl(train.ReshapeOp)
    def run_reshape(self, interp, op: train.ReshapeOp, args):
        return (args[0].reshape(op.result.type.get_shape()),)

    @impl(train.SqueezeOp)
    def run_squeeze(self, interp, op: train.SqueezeOp, args):
        return (args[0].reshape(op.result.type.get_shape()),)

    @impl(train.UnsqueezeOp)
    def run_unsqueeze(self, interp, op: train.UnsqueezeOp, args):
        return (args[0].reshape(op.result.type.get_shape()),)

    @impl(train.ConcatOp)
    def run_concat(self, interp, op: train.ConcatOp, args):
        return (np.concatenate(args, axis=op.axis.value.data),)

    @impl(train.ReduceMeanOp)
    def run_reduce_mean(self, interp, op: train.ReduceMeanOp, args):
        axes = train.ReduceMeanOp.reduced_axes(op.properties, args[0].ndim)
        return (K.reduce(args[0], axes, op.keepdims is not None, "mean"),)

    @impl(train.ReduceSumOp)
    def run_reduce_sum(self, interp, op: train.ReduceSumOp, args):
        axes = train.ReduceSumOp.reduced_axes(op.properties, args[0].ndim)
        return (K.reduce(args[0], axes, op.keepdims is not None, "sum"),)

    @impl(train.SliceOp)
    def run_slice(self, interp, op: train.SliceOp, args):
        starts, sizes, steps = train.slice_geometry(op.name, args[0].shape, op.properties)
        return (K.strided_slice(args[0], starts, sizes, steps),)

    @impl(train.CrossEntropyOp)
    def run_cross_entropy(self, interp, op, args):
        return (K.cross_entropy(*args),)

    @impl(train.MseOp)
    def run_mse(self, interp, op, args):
        return (K.mse(*args),)

    # -- batch normalisation (issue 13) ------------------------------------

    @impl(train.BatchNormOp)
    def run_batchnorm(self, interp, op: train.BatchNormOp, args):
        eps = float(op.epsilon.value.data)
        return (K.batchnorm(*args, eps, op.training is not None),)

    @impl(train.BatchNormUpdateOp)
    def run_batchnorm_update(self, interp, op: train.BatchNormUpdateOp, args):
        return K.batchnorm_update(*args, float(op.momentum.value.data))

    @impl(train.PadOp)
    def run_pad(self, interp, op: train.PadOp, args):
        begins, ends = op.begins_ends()
        x = args[0]
        if x.ndim == 0:  # nothing to pad (np.pad rejects a rank-0 array)
            return (x.copy(),)
        return (np.pad(x, list(zip(begins, ends)), constant_values=np.asarray(op.pad_value, x.dtype)),)


class InterpretationFailure(Exception):
    """A run that cannot start or finish: missing input, wrong shape, ..."""


def find_function(module: ModuleOp, name: str | None = None) -> func.FuncOp:
    try:
        return train_module.find_function(module, name)
    except FunctionChoiceError as e:
        raise InterpretationFailure(str(e)) from None


def function_inputs(
    f: func.FuncOp, inputs: Mapping[str, np.ndarray], labels: bool = True
) -> list[np.ndarray]:
    """The function's arguments from named inputs, in order and in the
    argument's dtype; a missing input or a wrong shape is a failure, and so
    is a class label out of range (`labels` False leaves that to the
    caller: the cluster's own check)."""
    names = argument_names(f)
    args = []
    for name, arg in zip(names, f.body.block.args):
        if name not in inputs:
            raise InterpretationFailure(
                f"missing input '{name}' (the function takes: {', '.join(names)}; "
                f"given: {', '.join(inputs) or 'none'})"
            )
        t = arg.type
        assert isinstance(t, TensorType)
        value = np.asarray(inputs[name])
        want = tuple(t.get_shape())
        if value.shape != want:
            raise InterpretationFailure(
                f"input '{name}' has shape {value.shape}, the function expects {want}"
            )
        dtype = train.numpy_dtype(t.element_type)
        if np.issubdtype(dtype, np.integer) and not np.issubdtype(value.dtype, np.integer):
            bad = ~np.isfinite(value) | (value != np.round(value)) if value.size else value
            if np.any(bad):
                where = tuple(int(i) for i in np.argwhere(bad)[0])
                raise InterpretationFailure(
                    f"input '{name}' must hold integers ({t}), got {value[where]} at index "
                    f"{list(where)}"
                )
        if np.issubdtype(dtype, np.integer) and value.size and value.dtype.kind in "iuf":
            # astype would wrap (int64 2**32 + 1 -> int32 1) or saturate: a
            # silently different input
            info = np.iinfo(dtype)
            wide = value.astype(np.float64) if value.dtype.kind == "f" else value
            outside = (wide < info.min) | (wide > info.max)
            if np.any(outside):
                where = tuple(int(i) for i in np.argwhere(outside)[0])
                raise InterpretationFailure(
                    f"input '{name}': {value[where]} at index {list(where)} does not fit "
                    f"the argument's {t.element_type} ({info.min} to {info.max})"
                )
        args.append(value.astype(dtype))
    if labels:
        check_labels(f, names, args)
    return args


def check_labels(f: func.FuncOp, names: Sequence[str], args: Sequence[np.ndarray]) -> None:
    """Class labels that are function inputs lie in [0, classes): outside,
    numpy would wrap a negative label and the cluster would read past the
    logits, both silently."""
    block_args = list(f.body.block.args)
    for op in f.walk():
        if not isinstance(op, train.CrossEntropyOp) or op.operands[1] not in block_args:
            continue
        i = block_args.index(op.operands[1])  # type: ignore[arg-type]
        classes = op.operands[0].type.get_shape()[1]  # type: ignore[attr-defined]
        labels = args[i]
        bad = (labels < 0) | (labels >= classes)
        if np.any(bad):
            where = tuple(int(j) for j in np.argwhere(bad)[0])
            raise InterpretationFailure(
                f"input '{names[i]}': label {labels[where]} at index {list(where)} is not a "
                f"class of train.cross_entropy (its logits have {classes} classes: 0 to "
                f"{classes - 1})"
            )


def run_function(
    module: ModuleOp,
    inputs: Mapping[str, np.ndarray],
    weights: Mapping[str, np.ndarray] | None = None,
    function: str | None = None,
) -> dict[str, np.ndarray]:
    """Run one function on named inputs; returns its results by name."""
    f = find_function(module, function)
    args = function_inputs(f, inputs)
    interp = Interpreter(module)
    interp.register_implementations(FuncFunctions())
    interp.register_implementations(TrainFunctions(weights))
    from tdopt.interpreter.grad_reference import GradFunctions  # backward ops

    interp.register_implementations(GradFunctions())
    from tdopt.interpreter.elementwise import ElementwiseFunctions  # activations, max/min

    interp.register_implementations(ElementwiseFunctions())
    results = interp.call_op(f, tuple(args))
    return dict(zip(result_names(f), (np.asarray(r) for r in results)))
