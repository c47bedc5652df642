"""`train-sgd{lr momentum}`: the optimizer step after `train-autodiff`.

Consumes the `NAME_grad` results and returns `loss` plus `NAME_updated`
(the Deeploy convention) for every trained parameter:

    NAME_updated = NAME - lr * NAME_grad

The learning rate is the `lr` option when given, else the parameter's own
`lr` property (recorded by the ONNX importer from SGD nodes), else
`DEFAULT_LR` (0.01, TrainDeeploy's setting and the presets' default).

Momentum (PyTorch's form, no dampening): the velocity is optimizer state,
modelled as a frozen parameter `NAME_velocity` initialised to zero inline
(`= dense<0.0>`), so the first step needs no extra input; the step returns
`NAME_velocity_updated` next to `NAME_updated` and a runtime that trains for
several steps feeds it back like any other updated tensor:

    NAME_velocity_updated = momentum * NAME_velocity + NAME_grad
    NAME_updated          = NAME - lr * NAME_velocity_updated

Batch normalisation in training mode (`train.batchnorm {training}`) keeps
running statistics, frozen parameters that are state like the velocity:
the step returns `MEAN_updated` and `VAR_updated` for them, computed by
`train.batchnorm_update` from the same batch (running = momentum * running
+ (1 - momentum) * batch, ONNX's momentum; the variance unbiased, as in
PyTorch). These are not gradient steps: `lr` does not apply to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import FloatAttr, ModuleOp, TensorType
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint
from xdsl.utils.exceptions import PassFailedException

from tdopt.dialects import train
from tdopt.dialects.train_builder import Emitter, splat_zeros
from tdopt.dialects.train_module import (
    params_by_name,
    result_names,
    return_op,
    set_results,
    the_function,
)

NAME = "train-sgd"
GRAD_SUFFIX = "_grad"


def velocity_param(param: train.ParamOp) -> train.ParamOp:
    """A zero-initialised, frozen `NAME_velocity` right after the parameter."""
    t = param.result.type
    assert isinstance(t, TensorType)
    zeros = splat_zeros(tuple(t.get_shape()), t.element_type)
    v = train.ParamOp(f"{param.param_name}_velocity", t, trainable=False, value=zeros)
    v.result.name_hint = v.param_name
    Builder(InsertPoint.after(param)).insert(v)
    return v


DEFAULT_LR = 0.01


def learning_rate(param: train.ParamOp, lr: float | None) -> float:
    if lr is not None:
        return lr
    if param.lr is not None:
        return param.lr.value.data
    return DEFAULT_LR


def sgd_step(f: func.FuncOp, lr: float | None, momentum: float) -> None:
    names = result_names(f)
    ret = return_op(f)
    if "loss" not in names or not any(n.endswith(GRAD_SUFFIX) for n in names):
        raise PassFailedException(
            f"{NAME}: @{f.sym_name.data} returns {', '.join(names)}; expected `loss` and "
            "`NAME_grad` results (run train-autodiff first)"
        )
    by_name = params_by_name(f)
    e = Emitter(ret)
    updated: dict[str, SSAValue] = {}
    state: dict[str, SSAValue] = {}  # velocities, after the parameters
    for name, g in zip(names, ret.operands):
        if not name.endswith(GRAD_SUFFIX):
            continue
        pname = name[: -len(GRAD_SUFFIX)]
        param = by_name.get(pname)
        if param is None:
            raise PassFailedException(f"{NAME}: result '{name}' names no parameter @{pname}")
        step = g
        if momentum != 0.0:
            v = velocity_param(param)
            step = e.add(e.scale(v.result, momentum), g)
            state[f"{v.param_name}_updated"] = step
        updated[f"{pname}_updated"] = e.sub(param.result, e.scale(step, learning_rate(param, lr)))
    loss = ret.operands[names.index("loss")]
    results = {"loss": loss, **updated, **state, **running_statistics_updates(f, e)}
    set_results(f, list(results.values()), list(results))


def running_statistics_updates(f: func.FuncOp, e: Emitter) -> dict[str, SSAValue]:
    """`NAME_updated` of the running mean and variance of every training-mode
    `train.batchnorm` whose statistics are parameters (`train.constant`
    statistics have no name to return under and stay as they are)."""
    out: dict[str, SSAValue] = {}
    for op in list(f.body.walk()):
        if not isinstance(op, train.BatchNormOp) or op.training is None:
            continue
        stats = [v.owner for v in (op.mean, op.var)]
        if not all(isinstance(p, train.ParamOp) for p in stats):
            continue
        new = e.op(
            train.BatchNormUpdateOp.make(
                [op.input, op.mean, op.var],
                momentum=FloatAttr(op.momentum_value, op.epsilon.type),
            )
        )
        for p, v in zip(stats, new.results):
            assert isinstance(p, train.ParamOp)
            key = f"{p.param_name}_updated"
            if key in out:
                raise TrainPassError(
                    f"{NAME}: @{p.param_name} is the running statistic of more than one "
                    "training-mode train.batchnorm; give each its own",
                    op,
                )
            out[key] = v
    return out


@dataclass(frozen=True)
class TrainSgdPass(ModulePass):
    """Plain SGD (optionally with momentum) on the gradients of train-autodiff."""

    name = "train-sgd"

    # `int` too, so that `lr=1` or `momentum=0` parse (xDSL types options strictly)
    lr: float | int | None = None
    """Learning rate; when omitted, each parameter's `lr` property, else 0.01."""

    momentum: float | int = 0.0
    """Momentum factor; non-zero adds `NAME_velocity` state (see the module doc)."""

    function: str | None = None

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.lr is not None and not self.lr > 0.0:
            raise PassFailedException(f"{NAME}: lr must be positive, got {self.lr}")
        if not 0.0 <= self.momentum < 1.0:
            raise PassFailedException(
                f"{NAME}: momentum must be in [0, 1), got {self.momentum}"
            )
        sgd_step(the_function(NAME, op, self.function), self.lr, self.momentum)
