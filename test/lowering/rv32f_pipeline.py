"""Run textual pass pipelines (tdopt's and xDSL's passes) in the tests."""

from __future__ import annotations

from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.passes import PassPipeline
from xdsl.universe import Universe

from tdopt.tools.context import make_context

# scalar f32 functions down to unallocated riscv (the fusion pass optional)
TO_RISCV = (
    "convert-func-to-riscv-func,expand-math-rv32f,convert-arith-extra-to-riscv,"
    "convert-arith-to-riscv,reconcile-unrealized-casts,canonicalize"
)
FUSE = "riscv-fuse-fmadd,canonicalize,cse"
ALLOCATE = "riscv-allocate-registers,canonicalize,riscv-lower-parallel-mov,canonicalize"


def run(text: str, pipeline: str) -> ModuleOp:
    ctx = make_context()
    module = Parser(ctx, text).parse_module()
    passes = Universe.get_multiverse().all_passes
    PassPipeline.parse_spec(passes, pipeline).apply(ctx, module)
    module.verify()
    return module


def functions(module: ModuleOp) -> dict[str, object]:
    """The module's functions by symbol name."""
    return {f.sym_name.data: f for f in module.body.ops}
