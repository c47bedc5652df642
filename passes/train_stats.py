"""`train-stats`: the training step's size, in the design brief's convention.

Reports, per function: parameters (total, trainable, frozen, in elements),
gradient elements (one per trainable element), and forward and backward
FLOPs = 2 x multiply-accumulates of every conv2d / matmul / gemm, the
backward count including the input- and weight-gradient convolutions and
matmuls (elementwise ops are not counted). Run it after train-finetune /
train-lora to compare strategies.

On a function that is not differentiated yet, the backward pass is that of
`train-autodiff`, run by name (as a pipeline runs it) on a copy. Forward
ops are those the loss depends on; everything else is backward or
optimizer work. The numbers go to stderr (or stdout) as a table and onto
the function as `train.stats = {...}`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DictionaryAttr, IntegerAttr, ModuleOp, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass, PassPipeline

from tdopt.dialects import grad, train
from tdopt.dialects.train_builder import shape_of
from tdopt.dialects.train_module import AUTODIFF_STATS, RESULT_NAMES, TrainPassError, loss_value, params, the_function

NAME = "train-stats"
# the pass whose backward pass is counted
AUTODIFF = "train-autodiff"


def prod(xs) -> int:
    out = 1
    for x in xs:
        out *= int(x)
    return out


def flops(op: Operation) -> int:
    """2 x MACs of a convolution or matrix product (0 for other ops)."""
    if isinstance(op, train.Conv2dOp):
        _, cg, kh, kw = shape_of(op.weight)
        return 2 * prod(shape_of(op.result)) * cg * kh * kw
    if isinstance(op, grad.Conv2dInputGradOp):  # dy (x) w, as many MACs as forward
        _, cg, kh, kw = shape_of(op.weight)
        return 2 * prod(shape_of(op.grad_output)) * cg * kh * kw
    if isinstance(op, grad.Conv2dWeightGradOp):
        _, cg, kh, kw = shape_of(op.result)
        return 2 * prod(shape_of(op.grad_output)) * cg * kh * kw
    if isinstance(op, train.MatMulOp):
        return 2 * prod(shape_of(op.result)) * shape_of(op.lhs)[-1]
    if isinstance(op, train.GemmOp):
        a = shape_of(op.a)
        k = a[0] if op.trans_a is not None else a[1]
        return 2 * prod(shape_of(op.result)) * k
    return 0


def forward_ops(loss: SSAValue) -> set[Operation]:
    seen: set[Operation] = set()
    stack = [loss]
    while stack:
        op = stack.pop().owner
        if isinstance(op, Operation) and op not in seen:
            seen.add(op)
            stack.extend(op.operands)
    return seen


@dataclass
class Stats:
    parameters: int
    trainable: int
    gradient_elements: int
    forward_flops: int
    backward_flops: int
    trainable_tensors: int

    def table(self, name: str) -> str:
        rows = [
            ("parameters", self.parameters),
            ("trainable parameters", self.trainable),
            ("frozen parameters", self.parameters - self.trainable),
            ("trainable tensors", self.trainable_tensors),
            ("gradient elements", self.gradient_elements),
            ("forward FLOPs", self.forward_flops),
            ("backward FLOPs", self.backward_flops),
            ("step FLOPs", self.forward_flops + self.backward_flops),
        ]
        return "\n".join([f"train-stats @{name}:"] + [f"  {k:<22}{v:>14,}" for k, v in rows])


def _differentiated(f: func.FuncOp) -> func.FuncOp:
    """A copy of `f` through `train-autodiff`, alone in a module."""
    from xdsl.universe import Universe

    copy = f.clone()
    (autodiff,) = PassPipeline.parse_spec(Universe.get_multiverse().all_passes, AUTODIFF).passes
    autodiff.apply(Context(), ModuleOp([copy]))
    return copy


def measure(f: func.FuncOp) -> Stats:
    ps = params(f)
    # velocity state of train-sgd and the like are parameters too, but only
    # the model's weights count; they are frozen, so they only add to the total
    trainable = [p for p in ps if p.is_trainable]
    sizes = {p: prod(shape_of(p.result)) for p in ps}
    differentiated = f if AUTODIFF_STATS in f.attributes else _differentiated(f)
    names = differentiated.attributes[RESULT_NAMES]
    ret = differentiated.get_return_op()
    assert ret is not None
    loss = ret.operands[[s.data for s in names.data].index("loss")]  # type: ignore[attr-defined]
    fwd = forward_ops(loss)
    body = list(differentiated.body.block.ops)
    return Stats(
        parameters=sum(sizes.values()),
        trainable=sum(sizes[p] for p in trainable),
        gradient_elements=sum(sizes[p] for p in trainable),
        forward_flops=sum(flops(op) for op in body if op in fwd),
        backward_flops=sum(flops(op) for op in body if op not in fwd),
        trainable_tensors=len(trainable),
    )


@dataclass(frozen=True)
class TrainStatsPass(ModulePass):
    """Print trainable parameters, gradient elements and forward/backward FLOPs."""

    name = "train-stats"

    output: str = "stderr"
    """Where the table goes: stderr, stdout or none (the attribute is always set)."""

    function: str | None = None

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.output not in ("stderr", "stdout", "none"):
            raise TrainPassError(
                f"{NAME}: output must be stderr, stdout or none, got '{self.output}'"
            )
        f = the_function(NAME, op, self.function)
        if AUTODIFF_STATS not in f.attributes:
            loss_value(f, NAME)  # a clear error when there is no scalar loss
            if not any(p.is_trainable for p in params(f)):
                raise TrainPassError(f"{NAME}: @{f.sym_name.data} has no trainable parameter", f)
        s = measure(f)
        f.attributes["train.stats"] = DictionaryAttr(
            {
                k: IntegerAttr(v, i64)
                for k, v in (
                    ("trainable_parameters", s.trainable),
                    ("gradient_elements", s.gradient_elements),
                    ("forward_flops", s.forward_flops),
                    ("backward_flops", s.backward_flops),
                )
            }
        )
        if self.output != "none":
            stream = sys.stderr if self.output == "stderr" else sys.stdout
            print(s.table(f.sym_name.data), file=stream)
