"""`kernel-schedule-epilogues` (linalg level, after `kernel-fuse-consumer`,
before `plan-memory`; tiled builds): an elementwise call that may run as
the epilogue of a product (analyses/epilogues.py: it reads the product's
output T element for element) moves up to right after the product's call,
where `tier-tile-l1` finds it and runs it on each output tile while the
tile is in L1. A ReLU's gradient, which the backward pass schedules after
the weight and bias updates of the layer above, then runs where that
layer's input gradient is computed.

Moved when nothing between the two calls writes what the elementwise call
reads, nor reads or writes what it writes (only calls and ops that name
memory sit between: allocations, globals, views; those it needs move with
it). The nearest later reader of T that may be an epilogue is taken. Runs
before the memory plan, which then sees the calls in their new order.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation
from xdsl.passes import ModulePass

from tdopt.analyses.epilogues import epilogue_forms
from tdopt.analyses.kernel_forms import calls_between, defining_ops, kernel_functions, memory_of, written_by
from tdopt.dialects.cluster import ENTRY


@dataclass(frozen=True)
class KernelScheduleEpiloguesPass(ModulePass):
    """Elementwise consumers of a product's output -> right after the product."""

    name = "kernel-schedule-epilogues"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = kernel_functions(op)
        for entry in [f for f in op.ops if isinstance(f, func.FuncOp) and ENTRY in f.attributes]:
            block = entry.body.block
            for p_call in [c for c in block.ops if isinstance(c, func.CallOp)]:
                ops = list(block.ops)
                first = ops.index(p_call)
                later = [o for o in ops[first + 1:] if isinstance(o, func.CallOp)]
                for epilogue in epilogue_forms(p_call, later, kernels):
                    e_call = epilogue.call
                    last = ops.index(e_call)
                    between = calls_between(ops[first + 1:last], kernels)
                    if between is None:
                        break
                    writes = written_by(kernels.get(e_call.callee.string_value()), e_call)
                    if writes is None:
                        break
                    reads = {memory_of(v) for v in e_call.arguments} - writes
                    if any(writes & touched or reads & written for touched, written in between):
                        continue
                    anchor: Operation = p_call
                    for moved in [*defining_ops(e_call.operands, ops[first + 1:last]), e_call]:
                        moved.detach()
                        block.insert_op_after(moved, anchor)
                        anchor = moved
                    break
