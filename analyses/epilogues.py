"""Which elementwise kernel call can run as the epilogue of a product:
on each output tile of the product's tiled call once its reduction is
complete, while the tile is still in L1 (`tier-tile-l1`), computed where
the product stores its sums (`kernel-fold-epilogue`).

A product P (a kernel of one `linalg.generic` with a reduction loop) writes
one output T, whole, through a plain map (each result a distinct loop). A
later call is E's, an epilogue of P (`epilogue_forms`), when:
- E's kernel is one generic with only parallel loops and no loop index, and
  its loops walk T's elements: T's shape, or one loop over as many elements
  as T has when every operand E reads or writes element for element is a
  whole buffer of T's shape flattened (`memref.collapse_shape`);
- each operand of E is T itself, a buffer of T's shape read or written
  element for element (every output is), one reached through another
  linear map over T's dimensions (a bias by column), or one element (the
  learning rate); an operand E both reads and writes (in place) uses one
  map; E takes no other operand of P.
`find_epilogue` takes the call right after P's (only ops that name memory
in between: allocations, globals, views), once the memory plan is made,
and also requires that nothing E touches but T shares memory with T, and
nothing E writes with what P reads (the plan may give a buffer born at E
the bytes of one that dies at P: the fused call writes it while P's tiles
still read the other). `kernel-schedule-epilogues` brings E's call next to
P's before the plan.

Each operand of E comes with its map over T's dimensions (for the
epilogue's loop nest on a tile) and over P's loops (for the tiling).
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from xdsl.dialects import func, memref
from xdsl.dialects.builtin import MemRefType, NoneAttr
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.attrs import IteratorType
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineMap

from tdopt.analyses.affine_access import view_root
from tdopt.analyses.kernel_forms import VALUE_OPS, defining_ops, single_generic, writes_whole
from tdopt.analyses.memory_plan import padded_bytes
from tdopt.dialects.cluster import alias_of, arena_of, offset_of


@dataclass(frozen=True)
class Epilogue:
    """E's call and loop nest; per operand of E's generic (inputs, then
    outputs): the entry buffer it reaches (whole, not flattened), its map
    over T's dimensions and over P's loops; the ops between the two calls
    that E's buffers need (to move before P's call)."""

    call: func.CallOp
    kernel: func.FuncOp
    generic: linalg_ops.GenericOp
    values: tuple[SSAValue, ...]
    t_maps: tuple[AffineMap, ...]
    p_maps: tuple[AffineMap, ...]
    moved: tuple[Operation, ...]


def _shape(v: SSAValue) -> tuple[int, ...]:
    t = v.type
    assert isinstance(t, MemRefType)
    return tuple(t.get_shape())


def _is_constant(m: AffineMap) -> bool:
    return all(isinstance(e, AffineConstantExpr) for e in m.results)


def _plain_projection(m: AffineMap) -> list[int] | None:
    """The loops of a map whose results are distinct loops, in result order."""
    dims = [e.position for e in m.results if isinstance(e, AffineDimExpr)]
    if len(dims) != len(m.results) or len(set(dims)) != len(dims):
        return None
    return dims


def _identity_layout(t: MemRefType) -> bool:
    return isinstance(t.layout, NoneAttr)


def _flattened_arg(v: SSAValue) -> BlockArgument | None:
    """The kernel argument `v` flattens whole, row-major (one collapse of a
    buffer of the identity layout into one dimension)."""
    owner = v.owner
    if not isinstance(owner, memref.CollapseShapeOp):
        return None
    src = owner.src
    if not isinstance(src, BlockArgument) or not isinstance(src.type, MemRefType):
        return None
    if not _identity_layout(src.type) or len(_shape(v)) != 1:
        return None
    return src


def _t_map(
    v: SSAValue, m: AffineMap, rank: int, t_shape: tuple[int, ...], flat: bool
) -> tuple[int, AffineMap] | None:
    """(kernel argument index, map over T's dimensions) of E's operand `v`
    read through `m`, or None if it is not one of the forms of the module
    docstring."""
    if _is_constant(m):
        if not isinstance(v, BlockArgument):
            return None
        return v.index, AffineMap(rank, 0, m.results)
    if not flat:
        if not isinstance(v, BlockArgument):
            return None
        return v.index, m
    # one loop over T's elements: element for element over T's shape
    if m != AffineMap.identity(1):
        return None
    arg = v if isinstance(v, BlockArgument) and rank == 1 else _flattened_arg(v)
    if arg is None or _shape(arg) != t_shape:
        return None
    return arg.index, AffineMap.identity(rank)


def _footprint(v: SSAValue) -> tuple[str, int, int] | None:
    """(memory, first byte, end) of the buffer `v` views; None if unknown."""
    root = view_root(v)
    owner = root.owner
    if isinstance(owner, memref.GetGlobalOp):
        return (owner.name_.root_reference.data, 0, 1 << 62)
    if isinstance(owner, memref.AllocOp):
        start = offset_of(owner)
        if start is None:
            return None
        return (arena_of(owner), start, start + padded_bytes(owner.memref.type))
    return None


def globals_alias(module_ops: Sequence[Operation]) -> dict[str, str]:
    """Global -> the global whose bytes it shares (`cluster.alias_of`)."""
    return {
        g.sym_name.data: target
        for g in module_ops
        if isinstance(g, memref.GlobalOp) and (target := alias_of(g)) is not None
    }


def may_overlap(a: SSAValue, b: SSAValue, alias: dict[str, str]) -> bool:
    """Whether buffers `a` and `b` of the entry may share bytes, as the
    memory plan placed them."""
    fa, fb = _footprint(a), _footprint(b)
    if fa is None or fb is None:
        return True
    (ma, sa, ea), (mb, sb, eb) = fa, fb
    ma, mb = alias.get(ma, ma), alias.get(mb, mb)
    return ma == mb and sa < eb and sb < ea


def _product_output(
    p_call: func.CallOp, kernels: dict[str, func.FuncOp]
) -> tuple[linalg_ops.GenericOp, SSAValue, list[int]] | None:
    """(P's generic, T, the loops of T's map in result order) when P is a
    product that writes its one output T whole through a plain map."""
    p_kernel = kernels.get(p_call.callee.string_value())
    pg = single_generic(p_kernel) if p_kernel is not None else None
    if pg is None or len(pg.outputs) != 1:
        return None
    if not any(k.data == IteratorType.REDUCTION for k in pg.iterator_types):
        return None
    out = pg.outputs[0]
    if not isinstance(out, BlockArgument) or not writes_whole(pg, 0):
        return None
    p_loops = _plain_projection(pg.indexing_maps.data[len(pg.inputs)].data)
    if p_loops is None:
        return None
    return pg, p_call.arguments[out.index], p_loops


def epilogue_forms(
    p_call: func.CallOp, e_calls: Iterable[func.CallOp], kernels: dict[str, func.FuncOp],
) -> Iterator[Epilogue]:
    """Of `e_calls`, in order, those whose loop nest and operands have the
    forms of the module docstring as epilogues of P's call (what may happen
    between the calls, and where the memory plan puts their buffers, is not
    checked). P's output is worked out once: a pass over every later call
    of an entry stays linear in its calls."""
    product = _product_output(p_call, kernels)
    if product is None:
        return
    t = product[1]
    for e_call in e_calls:
        if t in e_call.arguments:
            epilogue = _form(product, p_call, e_call, kernels, ())
            if epilogue is not None:
                yield epilogue


def _form(
    product: tuple[linalg_ops.GenericOp, SSAValue, list[int]],
    p_call: func.CallOp, e_call: func.CallOp, kernels: dict[str, func.FuncOp],
    moved: tuple[Operation, ...],
) -> Epilogue | None:
    pg, t, p_loops = product
    t_shape = _shape(t)
    rank = len(t_shape)
    if t not in e_call.arguments:
        return None
    e_kernel = kernels.get(e_call.callee.string_value())
    eg = single_generic(e_kernel) if e_kernel is not None else None
    if e_kernel is None or eg is None:
        return None
    if any(k.data != IteratorType.PARALLEL for k in eg.iterator_types):
        return None
    if any(isinstance(o, linalg_ops.IndexOp) for o in eg.body.walk()):
        return None
    ranges = tuple(eg.get_static_loop_ranges())
    if ranges == t_shape:
        flat = False
    elif len(ranges) == 1 and ranges[0] == math.prod(t_shape):
        flat = True
    else:
        return None
    p_map = AffineMap(len(pg.iterator_types), 0, tuple(AffineDimExpr(k) for k in p_loops))
    values: list[SSAValue] = []
    t_maps: list[AffineMap] = []
    n_in = len(eg.inputs)
    for i, (v, m) in enumerate(zip(eg.operands, eg.indexing_maps.data)):
        found = _t_map(v, m.data, rank, t_shape, flat)
        if found is None:
            return None
        index, t_map = found
        value = e_call.arguments[index]
        if value is t or i >= n_in:  # T, and every output, element for element
            if t_map != AffineMap.identity(rank) or _shape(value) != t_shape:
                return None
        elif _shape(value) == t_shape and not _is_constant(t_map) and t_map != AffineMap.identity(rank):
            return None
        values.append(value)
        t_maps.append(t_map)
    # an operand E reads and writes uses one map
    for i, v in enumerate(values):
        for j in range(i + 1, len(values)):
            if values[j] is v and t_maps[j] != t_maps[i]:
                return None
    p_args = list(p_call.arguments)
    if any(v is not t and any(v is p for p in p_args) for v in values):
        return None
    return Epilogue(
        e_call, e_kernel, eg, tuple(values), tuple(t_maps),
        tuple(m.compose(p_map) for m in t_maps), moved,
    )


def find_epilogue(
    p_call: func.CallOp, kernels: dict[str, func.FuncOp], alias: dict[str, str]
) -> Epilogue | None:
    """The call after `p_call` that may run as its epilogue (the module
    docstring's conditions, the memory plan's offsets known), or None.
    `kernels`: the module's kernels by name; `alias`: `globals_alias` of
    the module."""
    # E's call: the next one, with only ops that name memory in between
    e_call: func.CallOp | None = None
    between: list[Operation] = []
    op = p_call.next_op
    while op is not None:
        if isinstance(op, func.CallOp):
            e_call = op
            break
        if not isinstance(op, VALUE_OPS):
            return None
        between.append(op)
        op = op.next_op
    if e_call is None:
        return None
    product = _product_output(p_call, kernels)
    if product is None:
        return None
    # E's buffers defined between the calls move before P's call
    epilogue = _form(product, p_call, e_call, kernels, tuple(defining_ops(e_call.arguments, between)))
    if epilogue is None:
        return None
    pg, t, _ = product
    p_inputs = [p_call.arguments[a.index] for a in pg.inputs if isinstance(a, BlockArgument)]
    if len(p_inputs) != len(pg.inputs):
        return None
    values = epilogue.values
    n_in = len(epilogue.generic.inputs)
    if any(v is not t and may_overlap(v, t, alias) for v in values):
        return None
    written = [values[i] for i in range(n_in, len(values)) if values[i] is not t]
    if any(may_overlap(w, p, alias) for w in written for p in p_inputs):
        return None
    return epilogue
