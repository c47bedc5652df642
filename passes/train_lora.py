"""`train-lora{rank alpha targets seed}`.

LoRA (Hu et al. 2021) on linear layers: for a `train.matmul` whose right
operand is a parameter W [.., in, out] (leading dimensions of size 1), or a
`train.gemm` whose B operand is a parameter (W [in, out], or [out, in] with
`trans_b`), the pass adds two trainable parameters

    NAME_lora_A : rank x in   uniform(+-1/sqrt(in)) from `seed` (inline value)
    NAME_lora_B : out x rank  zeros (inline splat)

and rewrites y = x W into y = x W + (alpha / rank) (x A^T) B^T; W is frozen.
Other parameters keep their trainable flag, so `train-finetune` before
`train-lora` can keep e.g. the classifier head trainable.

`targets` are names or globs of the weight parameters (quote globs:
`targets="*attn*"`); each must match at least one eligible weight. By
default the linear layers of the last block get adapters (`blocks=last`,
TrainDeeploy's setting), or of every block (`blocks=all`): the eligible
layers except the last one in program order (the classifier head) and those
where a rank-`rank` adapter would not be low-rank (rank >= min(in, out),
e.g. a 128 -> 1 pooling projection); with `blocks=last`, of those whose
weight name carries a block index (`blocks_1_`, `blocks.1.`, `layers.3.`,
`encoder_2_`, ...) only the highest index is kept. A model without block
indices in its names is one block.

The adapter's `add` carries `train.lora = {base = "NAME", scale = s}`
(`LORA_TAG`, owned by the train dialect) so that `train-lora-merge`
(passes/train_lora_merge.py) can fold trained adapters back.
"""

from __future__ import annotations

import fnmatch
import math
import re
from dataclasses import dataclass

import numpy as np
from xdsl.builder import Builder
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DictionaryAttr,
    FloatAttr,
    ModuleOp,
    StringAttr,
    TensorType,
    UnitAttr,
    f64,
)
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint

from tdopt.analyses.linear_layers import Linear, linears
from tdopt.dialects import train
from tdopt.dialects.train import LORA_TAG
from tdopt.dialects.train_builder import Emitter, splat_zeros
from tdopt.dialects.train_module import (
    TrainPassError,
    the_function,
)

NAME = "train-lora"


BLOCK_INDEX = re.compile(r"(?:^|[._])(?:blocks?|layers?|encoder)[._]?(\d+)(?:[._]|$)")


def block_index(name: str) -> int | None:
    """The block a parameter belongs to, from its name (None: no index)."""
    m = BLOCK_INDEX.search(name)
    return int(m.group(1)) if m else None


def _nothing_chosen(f: func.FuncOp, rank: int, blocks: str) -> str:
    """Why `choose` found no layer: the rank (with the largest rank each
    layer takes), else that there is no layer besides the head."""
    candidates = choose(f, (), 1, blocks)  # the layers any rank below theirs would adapt
    if candidates:
        per_layer = ", ".join(
            f"@{lin.weight.param_name} ({lin.fan_in} -> {lin.fan_out}): {min(lin.fan_in, lin.fan_out) - 1}"
            for lin in candidates
        )
        best = max(min(lin.fan_in, lin.fan_out) - 1 for lin in candidates)
        return (
            f"{NAME}: rank {rank} is too large for every linear layer of @{f.sym_name.data} "
            f"(the rank must be below min(in, out)); the largest rank per layer: {per_layer}; "
            f"use a rank of at most {best}"
        )
    return (
        f"{NAME}: @{f.sym_name.data} has no linear layer to adapt (gemm/matmul with a "
        f"parameter weight, besides the last layer, the classifier head; "
        f"{len(linears(f))} linear layer(s) found)"
    )


def choose(
    f: func.FuncOp, targets: tuple[str, ...], rank: int, blocks: str = "last"
) -> list[Linear]:
    eligible = linears(f)
    if not targets:
        candidates = eligible[:-1]  # the last linear layer is the classifier head
        once = [lin for lin in candidates if sum(o.weight is lin.weight for o in eligible) == 1]
        useful = [lin for lin in once if rank < min(lin.fan_in, lin.fan_out)]
        indices = [block_index(lin.weight.param_name) for lin in useful]
        if blocks == "last" and any(i is not None for i in indices):
            last = max(i for i in indices if i is not None)
            return [lin for lin, i in zip(useful, indices) if i == last]
        return useful
    chosen: list[Linear] = []
    names = [lin.weight.param_name for lin in eligible]
    for pattern in targets:
        hits = [lin for lin in eligible if fnmatch.fnmatchcase(lin.weight.param_name, pattern)]
        if not hits:
            listing = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
            raise TrainPassError(
                f"{NAME}: unknown target '{pattern}': it matches no weight of a "
                f"gemm/matmul with a parameter operand (eligible: {listing or 'none'})",
                f,
            )
        chosen.extend(lin for lin in hits if lin not in chosen)
    shared = {lin.weight.param_name for lin in eligible if
              sum(other.weight is lin.weight for other in eligible) > 1}
    for lin in chosen:
        if lin.weight.param_name in shared:
            raise TrainPassError(
                f"{NAME}: @{lin.weight.param_name} is the weight of several layers; "
                "adapting a shared weight is not supported",
                lin.op,
            )
        if rank >= min(lin.fan_in, lin.fan_out):
            raise TrainPassError(
                f"{NAME}: rank {rank} is not below min(in, out) = "
                f"{min(lin.fan_in, lin.fan_out)} for @{lin.weight.param_name} "
                f"({lin.fan_in} -> {lin.fan_out}); a low-rank adapter would not help",
                lin.op,
            )
    return chosen


def adapter_params(
    lin: Linear, rank: int, rng: np.random.Generator
) -> tuple[train.ParamOp, train.ParamOp]:
    """NAME_lora_A and NAME_lora_B, right after the weight."""
    t = lin.weight.result.type
    assert isinstance(t, TensorType)
    et = t.element_type
    bound = 1.0 / math.sqrt(lin.fan_in)  # PyTorch's kaiming_uniform(a=sqrt(5)) bound
    a_value = rng.uniform(-bound, bound, (rank, lin.fan_in)).astype(train.numpy_dtype(et))
    name = lin.weight.param_name
    a = train.ParamOp(f"{name}_lora_A", train.tensor((rank, lin.fan_in), et), True,
                      train.dense_from_numpy(a_value))
    b = train.ParamOp(f"{name}_lora_B", train.tensor((lin.fan_out, rank), et), True,
                      splat_zeros((lin.fan_out, rank), et))
    for p in (a, b):
        p.result.name_hint = p.param_name
    Builder(InsertPoint.after(lin.weight)).insert([a, b])
    return a, b


def inject(lin: Linear, a: SSAValue, b: SSAValue, scale: float) -> None:
    op = lin.op
    y = op.results[0]
    users = list(y.uses)  # taken before the adapter adds its own use
    e = Emitter(InsertPoint.after(op))
    if isinstance(op, train.GemmOp):
        # gemm keeps the transposes in its flags and the scale in alpha
        alpha = scale * (1.0 if op.alpha is None else op.alpha.value.data)
        low = e.emit(train.GemmOp.make([op.a, a], trans_a=op.trans_a, trans_b=UnitAttr()))
        delta = e.emit(
            train.GemmOp.make([low, b], trans_b=UnitAttr(), alpha=FloatAttr(alpha, f64))
        )
    else:
        low = e.emit(train.MatMulOp.make([op.lhs, e.swap_last(a)]))
        delta = e.scale(e.emit(train.MatMulOp.make([low, e.swap_last(b)])), scale)
    out = train.AddOp.make([y, delta])
    out.attributes[LORA_TAG] = DictionaryAttr(
        {"base": StringAttr(lin.weight.param_name), "scale": FloatAttr(scale, f64)}
    )
    e.op(out)
    for use in users:
        use.operation.operands[use.index] = out.results[0]
    lin.weight.properties.pop("trainable", None)


@dataclass(frozen=True)
class TrainLoraPass(ModulePass):
    """Inject trainable low-rank adapters on linear layers; freeze their weights."""

    name = "train-lora"

    rank: int = 4
    alpha: float | int | None = None
    """Scale numerator: the adapter output is scaled by alpha / rank (default: rank, scale 1)."""

    targets: tuple[str, ...] = ()
    """Weight parameter names or globs (default: see the module doc)."""

    seed: int = 0
    function: str | None = None

    blocks: str = "last"
    """Without `targets`: adapt the last block's linear layers, or `all` blocks'."""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.rank < 1:
            raise TrainPassError(f"{NAME}: rank must be a positive integer, got {self.rank}")
        if self.blocks not in ("last", "all"):
            raise TrainPassError(f"{NAME}: blocks must be 'last' or 'all', got '{self.blocks}'")
        if self.alpha is not None and not self.alpha > 0:
            raise TrainPassError(f"{NAME}: alpha must be positive, got {self.alpha}")
        f = the_function(NAME, op, self.function)
        chosen = choose(f, self.targets, self.rank, self.blocks)
        if not chosen:
            raise TrainPassError(_nothing_chosen(f, self.rank, self.blocks), f)
        scale = (self.rank if self.alpha is None else self.alpha) / self.rank
        rng = np.random.default_rng(self.seed)
        for lin in chosen:
            a, b = adapter_params(lin, self.rank, rng)
            inject(lin, a.result, b.result, scale)
