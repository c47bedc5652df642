"""The DMA floor (analyses/dma_floor.py) is a lower bound of what
tier-tile-l1 moves, on every train op case, grad op case and training step
of the tiled RTL tests, each at the smallest tile budget it compiles under
(so its kernels are really cut): floor <= the floor without reuse across
calls <= dma_in + dma_out (the memory plan), and with no L1 to keep
anything in, the floor is the one without reuse."""

from __future__ import annotations

import pytest
from helpers import make_module
from test_grad_ops_rtl import CASES as GRAD_CASES
from test_grad_ops_rtl import training_step
from test_multicore_rtl import STEPS, step_inputs
from test_ops_rtl import CASES as OP_CASES
from test_tiled_rtl import smallest_budget, tiles_pipeline
from xdsl.dialects.builtin import ModuleOp

from tdopt.analyses.dma_floor import dma_floor
from tdopt.tools.stats import module_stat
from tdopt.lowering.pipeline import run_pipeline
from tdopt.tools.context import make_context


def modules() -> dict[str, ModuleOp]:
    out = {f"op:{k}": make_module(*OP_CASES[k]) for k in sorted(OP_CASES)}
    out |= {f"grad:{k}": make_module(*GRAD_CASES[k]) for k in sorted(GRAD_CASES)}
    for name, (spec, forward, seed) in sorted(STEPS.items()):
        out[f"step:{name}"] = training_step(step_inputs(spec, seed), forward)
    return out


MODULES = modules()


@pytest.mark.parametrize("name", sorted(MODULES))
def test_floor_is_below_what_tiling_moves(name: str) -> None:
    module = MODULES[name].clone()
    budget, _ = smallest_budget(module)
    spec = tiles_pipeline(budget)()
    planned = module.clone()
    run_pipeline(make_context(), planned, spec.rsplit(",", 1)[0])  # up to plan-memory
    run_pipeline(make_context(), module, spec)
    moved = module_stat(module, "dma_in") + module_stat(module, "dma_out")
    floor = dma_floor(planned, budget)
    assert floor.floor == module_stat(module, "dma_floor")
    assert 0 <= floor.floor <= floor.no_reuse <= moved
    assert dma_floor(planned, 0).floor == floor.no_reuse
