"""`train-accumulate{micro_batches=K}`: gradient accumulation. A step
written for a batch of B samples trains on K*B samples as K micro-batches
of B, one after the other, and makes one SGD update with the mean of their
gradients (what `(loss / K).backward()` over K micro-batches and one
`optimizer.step()` do in PyTorch).

Runs after `train-autodiff` (the function returns `loss` and `NAME_grad`)
and before `train-sgd`. Every argument of the function (the data: inputs,
labels) has the batch as its leading dimension, B for all of them; it
becomes K*B. The ops that depend on the arguments, forward and backward,
are repeated per micro-batch on the slice `[k*B, (k+1)*B)` of each
argument, micro-batch after micro-batch, so the activations of one
micro-batch are dead before the next starts and the memory plan reuses
their buffers: the memory of a step at batch B, the statistics of K*B
samples. What depends on no argument (parameters, constants, a transposed
weight) is computed once and shared.

Results: `loss` and every `NAME_grad` are the mean over the micro-batches,
summed as each micro-batch ends (one accumulator per gradient, not K
gradients) and scaled by 1/K once; a result with the batch as its leading
dimension (per-sample outputs) is the micro-batches' results concatenated;
a result that depends on no argument is returned as it was.

Refused with a diagnostic: arguments without a common leading batch size,
a training-mode `train.batchnorm` (its statistics span the batch: they
would become per micro-batch), a result that is neither a mean, per-sample
nor independent of the data. `micro_batches=1` leaves the step unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import DenseArrayBase, IntegerAttr, ModuleOp, TensorType, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import PassFailedException

from tdopt.dialects import train
from tdopt.dialects.train_builder import Emitter
from tdopt.dialects.train_module import TrainPassError, result_names, return_op, the_function

NAME = "train-accumulate"
GRAD_SUFFIX = "_grad"


def _batch(f: func.FuncOp) -> int:
    """The leading dimension every argument shares (the micro-batch size)."""
    args = list(f.body.block.args)
    if not args:
        raise PassFailedException(f"{NAME}: @{f.sym_name.data} has no arguments: no batch to split")
    sizes: dict[int, list[str]] = {}
    for i, a in enumerate(args):
        name = a.name_hint or f"#{i}"
        t = a.type
        if not isinstance(t, TensorType) or t.get_num_dims() == 0:
            raise PassFailedException(
                f"{NAME}: argument '{name}' of @{f.sym_name.data} is {t}; every argument must "
                "be a tensor with the batch as its leading dimension"
            )
        sizes.setdefault(t.get_shape()[0], []).append(name)
    if len(sizes) != 1:
        found = "; ".join(f"{b} ({', '.join(names)})" for b, names in sizes.items())
        raise PassFailedException(
            f"{NAME}: the arguments of @{f.sym_name.data} have different leading dimensions: "
            f"{found}; every argument (inputs, labels) must have the batch leading, the same "
            "size for all"
        )
    return next(iter(sizes))


def _dependent_ops(f: func.FuncOp) -> list[Operation]:
    """The ops of the body that depend on an argument, in program order."""
    depends: set[SSAValue] = set(f.body.block.args)
    ops: list[Operation] = []
    for op in f.body.block.ops:
        if isinstance(op, func.ReturnOp):
            continue
        if any(o in depends for o in op.operands):
            if isinstance(op, train.BatchNormOp) and op.training is not None:
                raise TrainPassError(
                    f"{NAME}: a training-mode train.batchnorm takes its statistics over the "
                    "whole batch, which micro-batches would change; fold it "
                    "(train-fold-batchnorm) or use its inference mode",
                    op,
                )
            if op.regions:
                raise TrainPassError(f"{NAME}: cannot repeat '{op.name}' (it has regions) per micro-batch", op)
            depends.update(op.results)
            ops.append(op)
    return ops


def accumulate(f: func.FuncOp, k: int) -> None:
    """Rewrite `f` (after train-autodiff) to K micro-batches (module doc)."""
    b = _batch(f)
    names = result_names(f)
    ret = return_op(f)
    if "loss" not in names:
        raise PassFailedException(
            f"{NAME}: @{f.sym_name.data} returns {', '.join(names)}; expected `loss` and "
            "`NAME_grad` results (run train-autodiff first)"
        )
    ops = _dependent_ops(f)
    repeated = {r for op in ops for r in op.results}
    args = list(f.body.block.args)
    # how each result combines over the micro-batches
    combine: list[str] = []
    for name, v in zip(names, ret.operands):
        if v not in repeated and v not in args:
            combine.append("shared")
        elif name == "loss" or name.endswith(GRAD_SUFFIX):
            combine.append("mean")
        elif isinstance(v.type, TensorType) and v.type.get_num_dims() > 0 and v.type.get_shape()[0] == b:
            combine.append("concat")
        else:
            raise TrainPassError(
                f"{NAME}: result '{name}' ({v.type}) depends on the data but is neither the "
                f"loss, a gradient (NAME{GRAD_SUFFIX}) nor per sample (leading dimension {b}): "
                "no way to combine it over micro-batches",
                ret,
            )
    # the arguments take K*B samples (the ops reading them are replaced below)
    for i, a in enumerate(args):
        t = a.type
        assert isinstance(t, TensorType)
        hint = a.name_hint
        args[i] = Rewriter.replace_value_with_new_type(a, TensorType(t.element_type, [b * k, *t.get_shape()[1:]]))
        args[i].name_hint = hint
    f.update_function_type()

    e = Emitter(ret)
    sums: list[SSAValue | None] = [None] * len(names)
    parts: list[list[SSAValue]] = [[] for _ in names]
    for mb in range(k):
        mapping: dict[SSAValue, SSAValue] = {}
        for a in args:
            t = a.type
            assert isinstance(t, TensorType)
            shape = [b, *t.get_shape()[1:]]
            starts = [mb * b] + [0] * (len(shape) - 1)
            piece = train.SliceOp.make(
                [a],
                starts=DenseArrayBase.from_list(i64, starts),
                sizes=DenseArrayBase.from_list(i64, shape),
            )
            mapping[a] = e.emit(piece)
        for op in ops:
            copy = op.clone(value_mapper=mapping)
            e.op(copy)
            for old, new in zip(op.results, copy.results):
                mapping[old] = new
        # accumulate as the micro-batch ends: one running sum per result
        for i, (how, v) in enumerate(zip(combine, ret.operands)):
            mine = mapping.get(v, v)
            if how == "mean":
                sums[i] = mine if sums[i] is None else e.add(sums[i], mine)
            elif how == "concat":
                parts[i].append(mine)
    results: list[SSAValue] = []
    inverse: dict[object, SSAValue] = {}  # 1/K, one constant per element type
    for i, (how, v) in enumerate(zip(combine, ret.operands)):
        if how == "shared":
            results.append(v)
        elif how == "mean":
            total = sums[i]
            assert total is not None and isinstance(total.type, TensorType)
            kind = total.type.element_type
            if kind not in inverse:
                inverse[kind] = e.scalar(1.0 / k, total)
            results.append(e.mul(total, inverse[kind]))
        else:
            results.append(e.emit(train.ConcatOp.make(parts[i], axis=IntegerAttr(0, i64))))
    ret.operands = results
    f.update_function_type()
    for op in reversed(ops):
        op.detach()
        op.erase()


@dataclass(frozen=True)
class TrainAccumulatePass(ModulePass):
    """K micro-batches per step, gradients summed, one update (module doc)."""

    name = "train-accumulate"

    micro_batches: int = 1
    """K: the step trains on K times the batch it was written for."""

    function: str | None = None

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.micro_batches < 1:
            raise PassFailedException(f"{NAME}: micro_batches must be >= 1, got {self.micro_batches}")
        if self.micro_batches == 1:
            return
        accumulate(the_function(NAME, op, self.function), self.micro_batches)
