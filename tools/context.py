"""The MLIR context with every dialect tdopt knows (the multiverse: tdopt's
own dialects through the `xdsl.universe` entry point, and xDSL's)."""

from xdsl.context import Context
from xdsl.universe import Universe


def make_context() -> Context:
    # xDSL fixes tdopt relies on, among them reading upstream MLIR's
    # `memref.global` syntax
    from tdopt.lowering import xdsl_fixes

    xdsl_fixes.apply()
    ctx = Context()
    for name, factory in Universe.get_multiverse().all_dialects.items():
        ctx.register_dialect(name, factory)
    return ctx
