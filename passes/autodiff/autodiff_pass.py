"""`train-autodiff`: reverse-mode differentiation of a loss function.

The function's loss result (named `loss`, or its only scalar result) is
differentiated w.r.t. every trainable `train.param`. Only ops on a path from
a trainable parameter to the loss get a backward rule; everything else (a
frozen encoder under a trainable head, label handling) is skipped. The
function then returns `loss` and one `NAME_grad` per trainable parameter, in
parameter order, and records `train.autodiff = {differentiated, skipped}`
(this pass's statistics) on the function.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import region_dce

from tdopt.dialects import train
from tdopt.dialects.train_builder import Emitter
from tdopt.dialects.train_module import (
    AUTODIFF_STATS,
    TrainPassError,
    loss_value,
    params,
    return_op,
    set_results,
    the_function,
)
from tdopt.passes.autodiff.rules import RULES

NAME = "train-autodiff"
STATS = AUTODIFF_STATS


@dataclass
class Plan:
    """Which ops the backward pass covers."""

    ops: list[Operation]  # forward ops to differentiate, program order
    needs_grad: set[SSAValue]  # values that depend on a trainable parameter
    skipped: int  # model ops that get no backward rule


def plan(f: func.FuncOp, loss: SSAValue) -> Plan:
    body = list(f.body.block.ops)
    depends: set[SSAValue] = set()
    for op in body:
        if isinstance(op, train.ParamOp):
            if op.is_trainable:
                depends.add(op.result)
        elif any(v in depends for v in op.operands):
            depends.update(op.results)
    live: set[SSAValue] = {loss}
    for op in reversed(body):
        if any(r in live for r in op.results):
            live.update(op.operands)
    chosen = [op for op in body if any(r in depends and r in live for r in op.results)]
    chosen = [op for op in chosen if not isinstance(op, train.ParamOp)]
    model = [
        op for op in body if not isinstance(op, (train.ParamOp, train.ConstantOp, func.ReturnOp))
    ]
    return Plan(chosen, depends & live, len(model) - len(chosen))


def differentiate(f: func.FuncOp) -> None:
    loss = loss_value(f, NAME)
    trainable = [p for p in params(f) if p.is_trainable]
    if not trainable:
        raise TrainPassError(
            f"{NAME}: @{f.sym_name.data} has no trainable parameter (mark some with "
            "`train.param @name trainable`, or run train-finetune / train-lora first)",
            f,
        )
    if len(f.body.blocks) != 1:
        raise TrainPassError(f"{NAME}: @{f.sym_name.data} must have a single block", f)
    p = plan(f, loss)
    forward = set(f.body.block.ops)
    e = Emitter(return_op(f))
    e.one = e.scalar(1.0, loss)
    grads: dict[SSAValue, SSAValue] = {loss: e.one}
    for op in reversed(p.ops):
        gy = grads.get(op.results[0])
        if gy is None:
            continue
        rule = RULES.get(type(op))
        if rule is None:
            raise TrainPassError(f"{NAME}: no vector-Jacobian rule for '{op.name}'", op)
        need = [v in p.needs_grad for v in op.operands]
        e.location = op.location
        for v, g in zip(op.operands, rule(e, op, gy, need)):
            if g is None or v not in p.needs_grad:
                continue
            grads[v] = e.add(grads[v], g) if v in grads else g  # fan-out
    e.location = None
    outputs = [loss]
    for param in trainable:
        g = grads.get(param.result)
        # a trainable parameter the loss does not depend on has a zero gradient
        outputs.append(g if g is not None else e.zeros(tuple(param.result.type.get_shape()), loss))
    set_results(f, outputs, ["loss", *(f"{q.param_name}_grad" for q in trainable)])
    region_dce(f.body)
    backward = sum(op not in forward for op in f.body.block.ops)
    f.attributes[STATS] = DictionaryAttr(
        {
            "differentiated": IntegerAttr(len(p.ops), i64),
            "skipped": IntegerAttr(p.skipped, i64),
            "backward_ops": IntegerAttr(backward, i64),
        }
    )


@dataclass(frozen=True)
class TrainAutodiffPass(ModulePass):
    """Reverse-mode autodiff: returns `loss` and `NAME_grad` per trainable param."""

    name = "train-autodiff"

    function: str | None = None
    """The function to differentiate (default: the module's only function)."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        differentiate(the_function(NAME, op, self.function))
