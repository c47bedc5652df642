"""`grad-weight-decay{decay}`: L2 weight decay, as an example of a pass
written outside tdopt.

Runs between `train-autodiff` and `train-sgd` (in a preset:
`tdopt --lora --after-autodiff='grad-weight-decay{decay=0.01}'`). Every
`NAME_grad` result of the step function becomes

    NAME_grad + decay * NAME

so that the SGD step that follows is PyTorch's `SGD(weight_decay=decay)`.
The parameter is the `train.param @NAME` the gradient is named after; a
gradient without one is an error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, ModuleOp
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.universe import Universe
from xdsl.utils.exceptions import PassFailedException

from tdopt.dialects import train

GRAD_SUFFIX = "_grad"


def add_weight_decay(f: func.FuncOp, decay: float) -> int:
    """Adds decay * NAME to every NAME_grad result of `f`; returns how many."""
    names_attr = f.attributes.get("train.result_names")
    if not isinstance(names_attr, ArrayAttr):
        raise PassFailedException(
            f"grad-weight-decay: @{f.sym_name.data} has no train.result_names "
            "(run train-autodiff first)"
        )
    names = [s.data for s in names_attr.data]  # type: ignore[attr-defined]
    params = {op.param_name: op for op in f.walk() if isinstance(op, train.ParamOp)}
    ret = f.body.block.last_op
    assert isinstance(ret, func.ReturnOp)
    count = 0
    for i, name in enumerate(names):
        if not name.endswith(GRAD_SUFFIX):
            continue
        param = params.get(name[: -len(GRAD_SUFFIX)])
        if param is None:
            raise PassFailedException(f"grad-weight-decay: result '{name}' names no parameter")
        dtype = train.numpy_dtype(param.result.type.element_type)  # type: ignore[attr-defined]
        k = train.ConstantOp(train.dense_from_numpy(np.asarray(decay, dtype=dtype)))
        scaled = train.MulOp.make([param.result, k.result])
        total = train.AddOp.make([ret.operands[i], scaled.result])
        Rewriter.insert_op([k, scaled, total], InsertPoint.before(ret))
        ret.operands[i] = total.result
        count += 1
    return count


@dataclass(frozen=True)
class GradWeightDecayPass(ModulePass):
    """Add L2 weight decay to the gradients of train-autodiff."""

    name = "grad-weight-decay"

    decay: float | int = 0.0005
    """The weight-decay factor (PyTorch's SGD weight_decay); must be >= 0."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not self.decay >= 0.0:
            raise PassFailedException(f"grad-weight-decay: decay must be >= 0, got {self.decay}")
        functions = [f for f in op.ops if isinstance(f, func.FuncOp)]
        if sum(add_weight_decay(f, float(self.decay)) for f in functions
               if "train.result_names" in f.attributes) == 0:
            raise PassFailedException(
                "grad-weight-decay: no NAME_grad result to decay (run train-autodiff first)"
            )


def _weight_decay() -> type[ModulePass]:
    return GradWeightDecayPass


UNIVERSE = Universe(all_passes={"grad-weight-decay": _weight_decay})
