"""`train-schedule-updates`: move each parameter update (`NAME - step`, as
`train-sgd` writes it at the end of the function) up to the earliest point
where it is legal: right after its step is computed and after the last
other use of the parameter.

An early update ends the life of the gradient at once, instead of keeping
every gradient alive until the end of the step, and it makes the update
in place over the parameter legal (no later reader of the old value). For
an MLP this cuts the activation arena from the size of all gradients to
the size of one.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation
from xdsl.passes import ModulePass

from tdopt.dialects import train


def _single_use(op: Operation) -> bool:
    return len(list(op.results[0].uses)) == 1


def _step_chain(update: train.SubOp) -> list[Operation]:
    """The update and the ops computing its step that nothing else uses
    (`lr * grad` and its constant), in program order."""
    chain: list[Operation] = [update]
    step = update.rhs.owner
    if isinstance(step, train.MulOp) and _single_use(step):
        chain.insert(0, step)
        for operand in step.operands:
            c = operand.owner
            if isinstance(c, train.ConstantOp) and _single_use(c):
                chain.insert(0, c)
    return chain


def schedule(block: Block) -> int:
    ret = block.last_op
    if not isinstance(ret, func.ReturnOp):
        return 0
    moved = 0
    updates = [
        v.owner
        for v in ret.operands
        if isinstance(v.owner, train.SubOp) and isinstance(v.owner.lhs.owner, train.ParamOp)
    ]
    for update in updates:
        chain = _step_chain(update)
        members = set(chain)
        ops = list(block.ops)
        position = {op: i for i, op in enumerate(ops)}
        # everything the chain reads must come before it; the parameter's
        # other readers too (they need its old value)
        earliest = -1
        for op in chain:
            for operand in op.operands:
                owner = operand.owner
                if isinstance(owner, Operation) and owner not in members and owner in position:
                    earliest = max(earliest, position[owner])
        param = update.lhs
        for use in param.uses:
            if use.operation not in members and use.operation is not ret:
                earliest = max(earliest, position.get(use.operation, -1))
        anchor = ops[earliest] if earliest >= 0 else None
        if anchor is None or position[chain[0]] <= earliest + 1:
            continue
        for op in reversed(chain):
            op.detach()
            block.insert_op_after(op, anchor)
        moved += 1
    return moved


@dataclass(frozen=True)
class TrainScheduleUpdatesPass(ModulePass):
    """Place every parameter update as early as its data allows."""

    name = "train-schedule-updates"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in op.ops:
            if isinstance(f, func.FuncOp) and f.body.blocks:
                schedule(f.body.block)
