"""`convert-cluster-epilogue` (loops level, after `convert-memref-stream-to-loops`
and `convert-linalg-to-loops`, before `lower-affine`): a kernel's
`cluster.epilogue` computed where its contraction stores its output T.

Contract: the contraction is loops whose reductions carry their sums in
`scf.for` iteration values, so each element of T is stored once, after its
reduction loop, with that loop's result (what `convert-memref-stream-to-loops`
makes of a reduction, blocked or not). At those stores, the epilogue's body
is computed on the value stored and on the elements of the other operands
at their maps' indices (loads; a map result that is not one of T's
dimensions becomes an `affine.apply` of the store's indices), and its
results are stored into its outputs at their maps' indices; a result for T
replaces the value stored; with `discard_result`, T is not stored at all.
A store of T that is not a reduction loop's result (T's element would still change), or a T never stored, is an
internal compiler error: the epilogue would see a partial value.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import affine, arith, func, memref, scf
from xdsl.dialects.builtin import AffineMapAttr, IndexType, IntegerAttr, ModuleOp
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter
from xdsl.utils.exceptions import PassFailedException

from tdopt.dialects.cluster import EpilogueOp


def _indices(m: AffineMap, at: list[SSAValue], ops: list[Operation]) -> list[SSAValue]:
    """The indices `m` gives at T's indices `at` (new ops appended to `ops`)."""
    out: list[SSAValue] = []
    for e in m.results:
        if isinstance(e, AffineDimExpr):
            out.append(at[e.position])
        elif isinstance(e, AffineConstantExpr):
            c = arith.ConstantOp(IntegerAttr(e.value, IndexType()))
            ops.append(c)
            out.append(c.result)
        else:
            apply = affine.ApplyOp(at, AffineMapAttr(AffineMap(len(at), 0, (e,))))
            ops.append(apply)
            out.append(apply.result)
    return out


def lower_epilogue(f: func.FuncOp, ep: EpilogueOp) -> None:
    """Compute `ep` at the final stores of T in `f`, then erase it. The
    stores of one block are taken together, after the last of them (which
    go when the epilogue writes T in their stead), EpilogueOp.CHAIN at a time:
    their loads (each element once: a column's rows share their bias),
    each op of the body for each of them in turn (a chain's next op waits
    for no result of the one before), their stores."""
    operands = [*ep.ins, *ep.outs]
    k = ep.result.value.data
    t = operands[k]
    n_in = len(ep.ins)
    maps = [m.data for m in ep.indexing_maps.data]
    body = ep.body.block
    terminator = body.last_op
    assert terminator is not None
    stores = [op for op in f.walk() if isinstance(op, memref.StoreOp) and op.memref is t]
    where = f"internal compiler error: convert-cluster-epilogue: kernel @{f.sym_name.data}"
    if not stores:
        raise PassFailedException(f"{where}: the contraction stores nothing into its output")
    if any(not isinstance(st.value.owner, scf.ForOp) for st in stores):
        raise PassFailedException(
            f"{where}: a store of the contraction's output is not a reduction loop's result"
        )
    written = {id(operands[i]) for i in range(n_in, len(operands))}
    groups: dict[int, list[memref.StoreOp]] = {}
    for st in stores:
        groups.setdefault(id(st.parent), []).append(st)
    writes_t = any(n_in + j == k for j in range(len(terminator.operands)))
    discard = ep.discard_result is not None
    for group in groups.values():
        ops: list[Operation] = []
        for first in range(0, len(group), EpilogueOp.CHAIN):
            chunk = group[first:first + EpilogueOp.CHAIN]
            # the chunk's loads, each element once (a column's rows share
            # their bias; an operand the epilogue writes is loaded anew)
            loaded: dict[tuple, SSAValue] = {}
            per_store: list[dict[SSAValue, SSAValue]] = []
            for st in chunk:
                at = list(st.indices)
                values: dict[SSAValue, SSAValue] = {}
                for i, v in enumerate(operands):
                    arg = body.args[i]
                    if i == k:
                        values[arg] = st.value
                    elif arg.uses:
                        index = _indices(maps[i], at, ops)
                        key = (i, tuple(id(x) for x in index))
                        if key not in loaded or id(v) in written:
                            load = memref.LoadOp.get(v, index)
                            ops.append(load)
                            loaded[key] = load.res
                        values[arg] = loaded[key]
                per_store.append(values)
            for op in body.ops:
                if op is terminator:
                    break
                for values in per_store:
                    ops.append(op.clone(value_mapper=values))
            for st, values in zip(chunk, per_store):
                at = list(st.indices)
                for j, y in enumerate(terminator.operands):
                    i = n_in + j
                    value = values.get(y, y)
                    index = at if i == k else _indices(maps[i], at, ops)
                    ops.append(memref.StoreOp.get(value, operands[i], index))
        # after the contraction's stores, where every store's indices are
        # computed and the values stored die at the body's first use
        Rewriter.insert_op(ops, InsertPoint.after(group[-1]))
        if writes_t or discard:  # replaced by the epilogue's, or not needed
            for st in group:
                Rewriter.erase_op(st)
    Rewriter.erase_op(ep)


@dataclass(frozen=True)
class ConvertClusterEpiloguePass(ModulePass):
    """`cluster.epilogue` -> its body at each final store of the output."""

    name = "convert-cluster-epilogue"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        for f in [f for f in op.walk() if isinstance(f, func.FuncOp)]:
            for ep in [e for e in f.walk() if isinstance(e, EpilogueOp)]:
                lower_epilogue(f, ep)
