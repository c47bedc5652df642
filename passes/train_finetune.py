"""`train-finetune{trainable=PATTERNS last=N}`: selective fine-tuning.

Marks exactly the chosen parameters trainable and freezes the rest. A
parameter is chosen when its name matches one of `trainable` (shell-style
globs, or plain names; quote globs on the command line:
`train-finetune{trainable="classifier_fc*","norm_*"}`) or when it belongs to
one of the `last` N layers in program order.

A *layer* is an op that consumes parameters (directly or through reshape,
transpose, squeeze or unsqueeze), together with the elementwise ops that
directly apply further parameters to its result: `matmul` + bias `add`, or a
decomposed layernorm's scale `mul` + bias `add`, are one layer each.
The running statistics of a `train.batchnorm` are never chosen.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, UnitAttr
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass

from tdopt.dialects import train
from tdopt.dialects.train_module import TrainPassError, params, the_function

NAME = "train-finetune"
SHAPE_OPS = (train.ReshapeOp, train.TransposeOp, train.SqueezeOp, train.UnsqueezeOp)
ELEMENTWISE = (train.AddOp, train.SubOp, train.MulOp, train.DivOp)


def consumers(v: SSAValue) -> list[Operation]:
    """Ops using `v`, looking through shape-only ops."""
    out: list[Operation] = []
    for use in v.uses:
        op = use.operation
        if isinstance(op, SHAPE_OPS):
            out.extend(consumers(op.results[0]))
        else:
            out.append(op)
    return out


def layers(f: func.FuncOp) -> list[list[train.ParamOp]]:
    """Parameters grouped into layers, in program order of the layer ops."""
    order = {op: k for k, op in enumerate(f.walk())}
    anchor: dict[Operation, list[train.ParamOp]] = {}
    for p in params(f):
        users = consumers(p.result)
        if users:
            anchor.setdefault(min(users, key=order.__getitem__), []).append(p)
    # an elementwise op applying a parameter to another layer's result joins it
    owner: dict[Operation, Operation] = {}
    for op in sorted(anchor, key=order.__getitem__):
        owner[op] = op
        if isinstance(op, ELEMENTWISE):
            for v in op.operands:
                src = v.owner
                if isinstance(src, Operation) and src in owner and src is not op:
                    owner[op] = owner[src]
    groups: dict[Operation, list[train.ParamOp]] = {}
    for op in sorted(anchor, key=order.__getitem__):
        groups.setdefault(owner[op], []).extend(anchor[op])
    return list(groups.values())


def select(f: func.FuncOp, patterns: tuple[str, ...], last: int | None) -> set[str]:
    names = [p.param_name for p in params(f)]
    chosen: set[str] = set()
    for pattern in patterns:
        hits = fnmatch.filter(names, pattern)
        if not hits:
            listing = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
            raise TrainPassError(
                f"{NAME}: pattern '{pattern}' matches no parameter of "
                f"@{f.sym_name.data} (parameters: {listing or 'none'})",
                f,
            )
        chosen.update(hits)
    if last is not None:
        groups = layers(f)
        if not 1 <= last <= len(groups):
            raise TrainPassError(
                f"{NAME}: last={last} is out of range: @{f.sym_name.data} has "
                f"{len(groups)} layers with parameters",
                f,
            )
        chosen.update(p.param_name for g in groups[-last:] for p in g)
    # a batchnorm's running mean and variance are statistics, never trained
    # (a glob or a layer that covers them chooses the scale and bias only)
    return chosen - {p.param_name for p in train.running_statistics([f])}


@dataclass(frozen=True)
class TrainFinetunePass(ModulePass):
    """Choose the trainable parameters by name pattern and/or last N layers."""

    name = "train-finetune"

    trainable: tuple[str, ...] = ()
    """Parameter names or globs to train."""

    last: int | None = None
    """Train the parameters of the last N layers (program order)."""

    function: str | None = None

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if not self.trainable and self.last is None:
            raise TrainPassError(
                f"{NAME}: choose parameters with trainable=NAMES_OR_GLOBS and/or last=N"
            )
        f = the_function(NAME, op, self.function)
        chosen = select(f, self.trainable, self.last)
        for p in params(f):
            if p.param_name in chosen:
                p.properties["trainable"] = UnitAttr()
            else:
                p.properties.pop("trainable", None)
