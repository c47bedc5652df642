"""The constants of an expanded math body (`expand-math-rv32f`: a
polynomial's coefficients, range limits) leave the element loop, as many as
the float registers hold; the allocator recomputes the rest inside the loop
(`riscv-allocate-registers-full`). Hand-counted: `exp` needs 12 constants
and a handful of temporaries, so all of them fit in the 32 float registers;
GELU through `erf` needs 26 constants and about 10 temporaries, so a few
stay in the loop. Before, every constant was recomputed (`li` + `fmv.w.x`)
for every element. The results are checked on the RTL by the op tests
(test_ops_rtl.py: exp, gelu)."""

from __future__ import annotations

import io
import re

import numpy as np
import pytest
from helpers import make_module
from xdsl.dialects.riscv import print_assembly

from tdopt.dialects import train
from tdopt.lowering.pipeline import run_pipeline, to_linalg, to_riscv
from tdopt.tools.context import make_context


def element_loop(op: str) -> list[str]:
    """The instructions of the innermost (hardware) loop of the op's kernel."""
    make = {"exp": train.ExpOp, "gelu": train.GeluOp}[op]
    module = make_module({"x": np.zeros(2048, np.float32)}, lambda v: [make.make(v)])
    ctx = make_context()
    run_pipeline(ctx, module, to_linalg(None, 8))
    run_pipeline(ctx, module, to_riscv(parallel=True), jobs=1)
    out = io.StringIO()
    print_assembly(module, out)
    asm = out.getvalue()
    found = re.search(r"_hwloop_0_start:\n(.*?)\n[^\n]*_hwloop_0_end:", asm, re.S)
    assert found, asm[:2000]
    return [line.strip() for line in found.group(1).splitlines() if line.strip()]


@pytest.mark.parametrize("op, most_inside", [("exp", 0), ("gelu", 4)])
def test_constants_leave_the_element_loop(op: str, most_inside: int) -> None:
    loop = element_loop(op)
    # a float constant: `li rX, bits` then `fmv.w.x fY, rX` (other fmv.w.x
    # move computed bits, like exp's 2^n)
    loaded = {}
    inside = 0
    for line in loop:
        words = line.replace(",", " ").split()
        if words[0] == "li":
            loaded[words[1]] = True
        elif words[0] == "fmv.w.x" and loaded.get(words[2]):
            inside += 1
        elif len(words) > 1:
            loaded.pop(words[1], None)
    assert inside <= most_inside, "\n".join(loop)
    assert any(line.startswith("fmadd.s") for line in loop)
