"""KernelBuilder.finish: each loop nest becomes a function of its own that
recreates the views of the kernel's arguments it reads, including a view of
a view (a lowering that views an argument, then hands that view to a helper
that views it again, e.g. map_elementwise's flat views)."""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from tdopt.analyses.views import VIEW_OPS
from tdopt.lowering.kernel_builder import PARALLEL, KernelBuilder, identity, memref


def test_a_view_of_a_view_is_recreated_inside_its_function() -> None:
    kb = KernelBuilder("k_copy", [memref((4, 3)), memref((1, 4, 3))])
    out, x = kb.args
    # x seen as 4x3, then that view seen flat; out seen flat
    flat_x = kb.view(kb.view(x, (4, 3)), (12,))
    kb.generic([flat_x], [kb.view(out, (12,))], [identity(1)] * 2, [PARALLEL], lambda s, a: [a[0]])
    ((f, roots),) = kb.finish()
    assert roots == [1, 0]  # the generic's operands' arguments, in order
    module = ModuleOp([f])
    module.verify()  # every view the generic reads is defined in its function
    casts = [o for o in f.body.block.ops if isinstance(o, VIEW_OPS)]
    # x's two views, one after the other, and out's
    assert [str(c.results[0].type) for c in casts] == [
        "memref<4x3xf32>", "memref<12xf32>", "memref<12xf32>",
    ]
    assert casts[1].operands[0] is casts[0].results[0]
    assert casts[0].operands[0] is f.body.block.args[0]
    assert isinstance(f.body.block.last_op, func.ReturnOp)
