"""`train-lora-merge`: the adapters `train-lora` added are folded back into
their base weights, for inference: W' = W + s (B A) in W's layout, computed
from the parameters in front of the layer, and the adapter branch is
removed. An adapter is the `add` carrying the train dialect's `LORA_TAG`
(`{base = "NAME", scale = s}`) on a linear layer of NAME with parameters
NAME_lora_A and NAME_lora_B; anything else tagged is an error naming the
weight, and a function without adapters is an error too.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import DictionaryAttr, FloatAttr, ModuleOp, StringAttr, UnitAttr, f64
from xdsl.ir import Operation
from xdsl.passes import ModulePass
from xdsl.pattern_rewriter import (
    PatternRewriter,
    PatternRewriteWalker,
    RewritePattern,
    op_type_rewrite_pattern,
)
from xdsl.rewriter import InsertPoint
from xdsl.transforms.dead_code_elimination import region_dce

from tdopt.analyses.linear_layers import linear
from tdopt.dialects import train
from tdopt.dialects.train import LORA_TAG
from tdopt.dialects.train_builder import Emitter, shape_of
from tdopt.dialects.train_module import TrainPassError, params_by_name, the_function


@dataclass
class MergeAdapter(RewritePattern):
    """Fold one adapter: the layer uses W + s (B A) and the branch goes away."""

    by_name: dict[str, train.ParamOp]

    @op_type_rewrite_pattern
    def match_and_rewrite(self, add: train.AddOp, rewriter: PatternRewriter) -> None:
        tag = add.attributes.get(LORA_TAG)
        if not isinstance(tag, DictionaryAttr):
            return
        base, scale = tag.data["base"], tag.data["scale"]
        assert isinstance(base, StringAttr) and isinstance(scale, FloatAttr)
        name = base.data
        w, a, b = (self.by_name.get(n) for n in (name, f"{name}_lora_A", f"{name}_lora_B"))
        layer = add.lhs.owner
        lin = linear(layer) if isinstance(layer, Operation) else None
        if w is None or a is None or b is None or lin is None or lin.weight is not w:
            raise TrainPassError(
                f"train-lora-merge: the adapter of @{name} is not in the form train-lora "
                "produces (its weight, @..._lora_A/B or the layer are missing)",
                add,
            )
        e = Emitter(InsertPoint.before(lin.op), rewriter)
        s = FloatAttr(scale.value.data, f64)
        if isinstance(lin.op, train.GemmOp) and lin.op.trans_b is not None:
            delta = e.emit(train.GemmOp.make([b.result, a.result], alpha=s))  # [out, in]
        else:
            delta = e.emit(  # A^T B^T: [in, out]
                train.GemmOp.make(
                    [a.result, b.result], trans_a=UnitAttr(), trans_b=UnitAttr(), alpha=s
                )
            )
        merged = e.add(w.result, e.reshape(delta, shape_of(w.result)))
        rewriter.replace_uses_with_if(w.result, merged, lambda use: use.operation is lin.op)
        for p in (a, b):  # the merged weight is for inference
            p.properties.pop("trainable", None)
        rewriter.replace(add, [], [add.lhs])


@dataclass(frozen=True)
class TrainLoraMergePass(ModulePass):
    """Fold the adapters of `train-lora` into their base weights (for inference)."""

    name = "train-lora-merge"

    function: str | None = None

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        f = the_function("train-lora-merge", op, self.function)
        if not any(isinstance(o, train.AddOp) and LORA_TAG in o.attributes for o in f.walk()):
            raise TrainPassError(
                f"train-lora-merge: @{f.sym_name.data} has no LoRA adapter (run train-lora first)",
                f,
            )
        walker = PatternRewriteWalker(MergeAdapter(params_by_name(f)), apply_recursively=False)
        walker.rewrite_region(f.body)
        region_dce(f.body)  # the adapter branches and their parameters
