"""tdopt's faster dead-code checks and canonicalization pattern lookup
(`lowering/xdsl_fixes.py`: `_fast_dead_checks`, `_canonicalization_per_class`)
give xDSL's answers: on a training step lowered to the loop level and to
the riscv level (loop nests, stores, unused results, register types), every
op is found able to die or not as xDSL's own `would_be_trivially_dead`
finds it, and canonicalize leaves the same IR as xDSL's own pass. xDSL's
originals are loaded from its source as fresh modules, which tdopt's
`apply()` has not touched."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from xdsl.dialects.builtin import ModuleOp

from tdopt.lowering import xdsl_fixes
from tdopt.lowering.pipeline import TO_RISCV_PASSES, run_pipeline, to_linalg
from tdopt.tools.context import make_context
from tdopt.tools.diagnostics import parse_module

STEP = """
func.func @step(%x: tensor<4x16xf32>, %t: tensor<4x8xf32>) -> tensor<f32> {
  %w = train.param @w trainable = dense<0.125> : tensor<16x8xf32>
  %b = train.param @b trainable = dense<0.5> : tensor<8xf32>
  %y = train.matmul %x, %w : (tensor<4x16xf32>, tensor<16x8xf32>) -> tensor<4x8xf32>
  %z = train.add %y, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
  %r = train.relu %z : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %e = train.exp %r : (tensor<4x8xf32>) -> tensor<4x8xf32>
  %l = train.mse %e, %t : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<f32>
  func.return %l : tensor<f32>
}
"""


def fresh(name: str) -> ModuleType:
    """xDSL's module `name` loaded anew from its source (not patched)."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.origin is not None
    copy = importlib.util.spec_from_file_location(f"_original_{name}", spec.origin)
    assert copy is not None and copy.loader is not None
    module = importlib.util.module_from_spec(copy)
    copy.loader.exec_module(module)
    return module


def lowered(until: str) -> ModuleOp:
    """The step through its lowering up to (and with) the pass `until`
    (register blocking untried: no riscv allocation here)."""
    ctx = make_context()
    module = parse_module(ctx, STEP, "step.mlir")
    run_pipeline(ctx, module, 'train-finetune{trainable="*"},train-autodiff,train-sgd{lr=0.1}')
    run_pipeline(ctx, module, to_linalg(None, 8))
    passes = TO_RISCV_PASSES[: TO_RISCV_PASSES.index(until) + 1]
    run_pipeline(ctx, module, ",".join(passes), jobs=1)
    return module


@pytest.fixture(scope="module")
def originals() -> tuple[ModuleType, ModuleType]:
    xdsl_fixes.apply()
    dce = fresh("xdsl.transforms.dead_code_elimination")
    canonicalize = fresh("xdsl.transforms.canonicalize")
    # the fresh canonicalize runs the fresh region DCE
    canonicalize.region_dce = dce.region_dce
    yield dce, canonicalize
    for name in ("_original_xdsl.transforms.dead_code_elimination", "_original_xdsl.transforms.canonicalize"):
        sys.modules.pop(name, None)


# before each of the pipeline's canonicalize passes: loops on arith and
# memref, then riscv and riscv_scf with their casts reconciled
STAGES = ["licm", "reconcile-unrealized-casts"]


@pytest.mark.parametrize("until", STAGES)
def test_dead_checks_answer_as_xdsl(until: str, originals) -> None:
    from xdsl.transforms import dead_code_elimination as patched

    dce, _ = originals
    module = lowered(until)
    ops = list(module.walk())
    assert len(ops) > 100
    answers = [patched.would_be_trivially_dead(op) for op in ops]
    assert answers == [dce.would_be_trivially_dead(op) for op in ops]
    assert True in answers and False in answers
    assert [patched.is_trivially_dead(op) for op in ops] == [dce.is_trivially_dead(op) for op in ops]


@pytest.mark.parametrize("until", STAGES)
def test_canonicalize_leaves_what_xdsl_leaves(until: str, originals) -> None:
    from xdsl.transforms.canonicalize import CanonicalizePass

    _, canonicalize = originals
    module = lowered(until)
    ours, theirs = module.clone(), module.clone()
    CanonicalizePass().apply(make_context(), ours)
    canonicalize.CanonicalizePass().apply(make_context(), theirs)
    assert str(ours) == str(theirs)
    assert str(ours) != str(module)  # there was something to canonicalize


@pytest.mark.parametrize("until", STAGES)
def test_region_dce_removes_what_xdsl_removes(until: str, originals) -> None:
    from xdsl.transforms import dead_code_elimination as patched

    dce, _ = originals
    module = lowered(until)
    ours, theirs = module.clone(), module.clone()
    assert patched.region_dce(ours.body) == dce.region_dce(theirs.body)
    assert str(ours) == str(theirs)
