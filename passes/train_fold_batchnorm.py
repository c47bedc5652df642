"""`train-fold-batchnorm`: an inference-form `train.batchnorm` folded into
the `train.conv2d` or `train.gemm` whose result it normalises.

With k = scale / sqrt(var + epsilon) per output channel (conv: the weight's
first dimension; gemm: the columns of the result),

    w' = w * k            b' = (b - mean) * k + bias

(b = 0 without a bias; a gemm's C enters as beta * C), and the batchnorm's
uses take the conv/gemm result instead. The contract:

* only `train.batchnorm` without `training` (frozen statistics) folds;
* the conv/gemm result has no use but the batchnorm (else both values
  would be needed);
* every value involved is frozen and known at compile time: the
  batchnorm's scale, bias, mean and var and the conv/gemm weight and bias
  are `train.constant`s or non-trainable `train.param`s (inline or in the
  module's weights file). Folding a trainable weight would change what is
  trained (the gradient of w' is not that of w, and the batchnorm's scale
  and bias would stop being parameters), so a batchnorm next to anything
  trainable stays as it is: run this pass after choosing the trainable
  parameters (`train-finetune`, `--trainable`), before `train-autodiff`.

A folded weight or bias that is a parameter used only here keeps its name
and gets the folded value inline (a later pass or the runtime still finds
it by name); a shared one is left alone and the folded value becomes a
`train.constant`. The batchnorm's own parameters disappear when unused.
The function records `train.fold_batchnorm = N`, the number folded.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, i64
from xdsl.ir import Operation, SSAValue
from xdsl.passes import ModulePass
from xdsl.transforms.dead_code_elimination import region_dce

from tdopt.dialects import train
from tdopt.dialects.weights import module_weights

STATS = "train.fold_batchnorm"


class Frozen:
    """Compile-time values of frozen parameters and constants."""

    def __init__(self, module: ModuleOp):
        self.weights = module_weights(module)

    def value(self, v: SSAValue) -> np.ndarray | None:
        op = v.owner
        if isinstance(op, train.ConstantOp):
            return train.numpy_from_dense(op.value)
        if isinstance(op, train.ParamOp) and not op.is_trainable:
            if op.value is not None:
                return train.numpy_from_dense(op.value)
            if op.param_name in self.weights:
                return np.asarray(self.weights[op.param_name])
        return None


def _set(v: SSAValue, value: np.ndarray, before: Operation) -> SSAValue:
    """`value` in place of `v`: the parameter's new inline value when it
    has no other use, else a new constant."""
    dtype = train.numpy_dtype(v.type.element_type)  # type: ignore[attr-defined]
    value = np.ascontiguousarray(value.astype(dtype))
    op = v.owner
    if isinstance(op, train.ParamOp) and len(list(v.uses)) == 1 and value.shape == tuple(v.type.get_shape()):  # type: ignore[attr-defined]
        op.properties["value"] = train.dense_from_numpy(value)
        return v
    c = train.ConstantOp(train.dense_from_numpy(value))
    block = before.parent_block()
    assert block is not None
    block.insert_op_before(c, before)
    return c.result


def fold_one(bn: train.BatchNormOp, known: Frozen) -> bool:
    if bn.training is not None:
        return False
    producer = bn.input.owner
    if not isinstance(producer, (train.Conv2dOp, train.GemmOp)):
        return False
    if len(list(producer.results[0].uses)) != 1:
        return False
    stats = [known.value(v) for v in (bn.scale, bn.bias, bn.mean, bn.var)]
    if any(s is None for s in stats):
        return False
    scale, bias, mean, var = (np.asarray(s, np.float64) for s in stats)  # type: ignore[arg-type]
    k = scale / np.sqrt(var + float(bn.epsilon.value.data))
    shift = bias - mean * k
    if isinstance(producer, train.Conv2dOp):
        w = known.value(producer.weight)
        b = known.value(producer.bias) if producer.bias is not None else np.zeros_like(k)
        if w is None or b is None:
            return False
        new_w = np.asarray(w, np.float64) * k[:, None, None, None]
        new_b = np.asarray(b, np.float64) * k + shift
        w_v = _set(producer.weight, new_w, bn)
        b_v = _set(producer.bias, new_b, bn) if producer.bias is not None else _set(bn.bias, new_b, bn)
        folded = train.Conv2dOp.make([producer.input, w_v, b_v], **_props(producer))
    else:
        w = known.value(producer.b)
        c = known.value(producer.c) if producer.c is not None else np.zeros((), np.float64)
        if w is None or c is None:
            return False
        # op(B)'s columns are the output channels: B's rows when transposed
        new_w = np.asarray(w, np.float64) * (k[:, None] if producer.trans_b is not None else k[None, :])
        beta = 1.0 if producer.beta is None else float(producer.beta.value.data)
        new_c = beta * np.asarray(c, np.float64) * k + shift
        w_v = _set(producer.b, new_w, bn)
        if producer.c is not None and new_c.shape == tuple(producer.c.type.get_shape()):  # type: ignore[attr-defined]
            c_v = _set(producer.c, new_c, bn)
        else:
            c_v = _set(bn.bias, new_c, bn)
        props = _props(producer)
        props.pop("beta", None)
        folded = train.GemmOp.make([producer.a, w_v, c_v], **props)
    block = producer.parent_block()
    assert block is not None
    block.insert_op_before(folded, bn)
    folded.results[0].name_hint = producer.results[0].name_hint
    bn.results[0].replace_all_uses_with(folded.results[0])
    bn.detach()
    bn.erase()
    producer.detach()
    producer.erase()
    return True


def _props(op: Operation) -> dict:
    return dict(op.properties)  # geometry, transposes, alpha: unchanged by the fold


def fold(f: func.FuncOp, known: Frozen) -> int:
    count = sum(fold_one(op, known) for op in list(f.walk()) if isinstance(op, train.BatchNormOp))
    if count:
        region_dce(f.body)
    f.attributes[STATS] = IntegerAttr(count, i64)
    return count


@dataclass(frozen=True)
class TrainFoldBatchnormPass(ModulePass):
    """Fold frozen inference-form batchnorms into their conv2d / gemm."""

    name = "train-fold-batchnorm"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        known = Frozen(op)
        for f in [o for o in op.ops if isinstance(o, func.FuncOp)]:
            fold(f, known)
