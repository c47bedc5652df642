"""`convert-globals-to-sections`: every `memref.global` becomes labelled data
in the section of its tier (`.l1`, `.l2`, `.l3`: the memory space of its
type, `#tier.space<l1>`; L2 without one): its initial value as `.word`s
(`rvx.words`), or zeros; an output that shares another global's bytes (`cluster.alias_of`)
becomes a symbol set to that global. With `poison`, the scratch globals
(arenas, tile area) start as signalling NaNs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from xdsl.context import Context
from xdsl.dialects import memref, riscv
from xdsl.dialects.builtin import DenseIntOrFPElementsAttr, MemRefType, ModuleOp

from xdsl.passes import ModulePass

from tdopt.dialects.cluster import Role, alias_of, role_of
from tdopt.dialects.rvx import WordsOp
from tdopt.dialects.tier import byte_size, memref_tier
from tdopt.dialects.train import numpy_from_dense
from tdopt.target import CLUSTER

def global_words(g: memref.GlobalOp) -> np.ndarray | None:
    """The initial value as little-endian 32-bit words (None: zeros)."""
    init = g.initial_value
    if not isinstance(init, DenseIntOrFPElementsAttr):
        return None
    t = g.type
    assert isinstance(t, MemRefType)
    values = numpy_from_dense(init).reshape(-1)
    n = int(np.prod(t.get_shape()))
    if values.size == 1 and n > 1:
        values = np.full(n, values[0], dtype=values.dtype)
    if values.dtype == np.int64:
        values = values.astype(np.int32)
    return np.ascontiguousarray(values).view("<u4")


# a signalling NaN (exponent all ones, quiet bit clear): every float op
# reading it gives NaN, so a result computed from unwritten scratch shows
POISON_WORD = 0x7FBADBAD
# globals only the program itself writes before reading (planned buffers,
# tile buffers)
SCRATCH_ROLES = (Role.ARENA, Role.TILES)


@dataclass(frozen=True)
class ConvertGlobalsToSectionsPass(ModulePass):
    """memref.global -> labelled, aligned data in its tier's section.
    `poison`: the scratch globals (arenas, tile area) start as signalling
    NaNs instead of zeros, so a kernel reading a buffer nothing wrote yet
    (a compiler bug) gives NaN results instead of passing by luck."""

    name = "convert-globals-to-sections"

    poison: bool = False

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for g in [o for o in op.ops if isinstance(o, memref.GlobalOp)]:
            t = g.type
            assert isinstance(t, MemRefType)
            tier = memref_tier(t) or "L2"
            section = riscv.AssemblySectionOp(f'.section {CLUSTER.section(tier)},"aw",@progbits')
            size = byte_size(t)
            block = section.data.block
            alias = alias_of(g)
            if alias is not None:
                # same bytes as another global (an in-place update)
                block.add_op(riscv.DirectiveOp(".globl", g.sym_name.data))
                block.add_op(riscv.DirectiveOp(".set", f"{g.sym_name.data}, {alias}"))
                block.add_op(riscv.DirectiveOp(".size", f"{g.sym_name.data}, {size}"))
                op.body.block.insert_op_before(section, g)
                g.detach()
                g.erase()
                continue
            block.add_op(riscv.DirectiveOp(".globl", g.sym_name.data))
            block.add_op(riscv.DirectiveOp(".p2align", "3"))
            block.add_op(riscv.LabelOp(g.sym_name.data))
            words = global_words(g)
            scratch = role_of(g) in SCRATCH_ROLES
            if words is None and self.poison and scratch:
                block.add_op(riscv.DirectiveOp(".fill", f"{-(-size // 4)}, 4, 0x{POISON_WORD:08x}"))
            elif words is None:
                block.add_op(riscv.DirectiveOp(".zero", str(-(-size // 4) * 4)))
            else:
                block.add_op(WordsOp(words))
            block.add_op(riscv.DirectiveOp(".size", f"{g.sym_name.data}, {size}"))
            op.body.block.insert_op_before(section, g)
            g.detach()
            g.erase()
