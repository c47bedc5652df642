"""`kernel-fuse-producer` (linalg level, after `convert-train-to-linalg` and
`kernel-fuse-add`, before `plan-memory`): a kernel P whose output T is read
by one later kernel C and by nothing else is computed inside C instead. C's
loop nest evaluates P's body where it read T, at the element it read, so T
is never written to memory nor read back: one call, one buffer and, once
tiled, one round trip of T through the DMA fewer. A layer norm's chain
(`x - mean`, `/ std`, `* gamma`, `+ beta`) becomes fewer kernels, and a
transpose feeding a matrix product becomes that product reading the
transpose's input through the permuted map.

Fused when, in the entry function (plain calls):
- P's single generic has only parallel loops and writes T whole through a
  map of distinct loops (0 on a dimension of one), each of P's loops once;
- T is a buffer of the step (`memref.alloc`) used by exactly two ops: the
  call of P (one operand) and a later call of C (one operand), both
  kernels seeing it with the same shape;
- C is one generic reading T as one input, not as an output; unless P's
  body only forwards one of its inputs (a transpose, a broadcast), C reads
  each element of T in one iteration (its map a permutation of its loops:
  not a matrix product, not a broadcast), so nothing is computed twice;
- nothing between the two calls writes a buffer P reads (P now runs where C
  ran), and C does not write a buffer P reads (an element P reads could
  already hold C's result);
- the fused kernel takes at most `MAX_OPERANDS` operands (a tiled kernel's
  operands travel in registers).

Repeated until no pair fuses, so a chain fuses into its last kernel. The
fused kernel is a new function named `C_fusedN` with C's kind
(`cluster.kernel`); kernels no call uses any more are erased, and
`kernel-dedup` merges the fused copies of repeated layers.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import AffineMapAttr, MemRefType, ModuleOp
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.attrs import IteratorType, IteratorTypeAttr
from xdsl.ir import Attribute, Block, BlockArgument, Region, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tdopt.analyses.views import VIEW_OPS, view_op
from tdopt.analyses.kernel_forms import (
    arg_of, calls_between, fused_name, kernel_functions, memory_of, single_generic, uncalled, writes_whole,
    written_by,
)
from tdopt.dialects.cluster import ENTRY, KERNEL
from tdopt.dialects.tier import MAX_OPERANDS


def _element_loops(g: linalg_ops.GenericOp) -> list[int] | None:
    """Per loop of a producer's generic, the output dimension it runs
    along: its single output written whole, every loop parallel and
    indexing one dimension; None otherwise."""
    if len(g.outputs) != 1 or not writes_whole(g, 0):
        return None
    if any(k.data != IteratorType.PARALLEL for k in g.iterator_types):
        return None
    amap = g.indexing_maps.data[len(g.inputs)].data
    position = {e.position: i for i, e in enumerate(amap.results) if isinstance(e, AffineDimExpr)}
    if sorted(position) != list(range(amap.num_dims)):
        return None
    return [position[k] for k in range(amap.num_dims)]


def _forwards(g: linalg_ops.GenericOp) -> bool:
    """The body yields one of its inputs unchanged (a copy)."""
    ops = list(g.body.block.ops)
    return (
        len(ops) == 1
        and isinstance(ops[0], linalg_ops.YieldOp)
        and isinstance(ops[0].operands[0], BlockArgument)
        and ops[0].operands[0].index < len(g.inputs)
    )


def _reads_each_once(g: linalg_ops.GenericOp, operand: int) -> bool:
    """The generic reads each element of `operand` in one iteration only:
    its map uses every loop, each in a result of its own (a permutation,
    dimensions of one pinned to 0)."""
    amap = g.indexing_maps.data[operand].data
    dims = [e.position for e in amap.results if isinstance(e, AffineDimExpr)]
    plain = all(isinstance(e, (AffineDimExpr, AffineConstantExpr)) for e in amap.results)
    return plain and sorted(dims) == list(range(amap.num_dims))


def _reshaped(kernel: func.FuncOp, t: MemRefType) -> func.FuncOp | None:
    """A detached copy of an elementwise kernel over flat views (one
    parallel loop, every map the identity, every operand of that many
    elements) running over `t`'s shape instead: each operand seen as `t`'s
    shape (row-major, as the flat view), the maps identities of that rank.
    None for any other kernel."""
    g = single_generic(kernel)
    if g is None or len(g.iterator_types) != 1 or g.iterator_types.data[0].data != IteratorType.PARALLEL:
        return None
    n = g.get_static_loop_ranges()[0]
    if n != t.element_count() or any(m.data != AffineMap.identity(1) for m in g.indexing_maps.data):
        return None
    if any(arg_of(kernel, v) is None for v in g.operands):
        return None
    copy = kernel.clone()
    cg = single_generic(copy)
    assert cg is not None
    rank = len(t.get_shape())
    views = []
    for v in cg.operands:
        arg = copy.body.block.args[arg_of(copy, v)]  # type: ignore[index]
        shaped = MemRefType(v.type.element_type, t.get_shape())  # type: ignore[attr-defined]
        if arg.type == shaped:
            views.append(arg)
            continue
        cast = view_op(arg, shaped)
        Rewriter.insert_op(cast, InsertPoint.before(cg))
        views.append(cast.results[0])
    n_in = len(cg.inputs)
    new = linalg_ops.GenericOp(
        views[:n_in], views[n_in:], Rewriter.move_region_contents_to_new_regions(cg.body),
        [AffineMapAttr(AffineMap.identity(rank))] * len(views),
        [IteratorTypeAttr.parallel()] * rank,
    )
    Rewriter.replace_op(cg, new)
    for op in reversed(list(copy.body.block.ops)):
        if isinstance(op, VIEW_OPS) and not any(r.uses for r in op.results):
            Rewriter.erase_op(op)
    return copy


@dataclass
class _Pair:
    producer: func.CallOp
    consumer: func.CallOp
    p_kernel: func.FuncOp
    c_kernel: func.FuncOp
    p_out: int  # T's position among P's arguments
    c_in: int  # T's position among C's arguments


def _candidate(
    block: Block, kernels: dict[str, func.FuncOp], t: SSAValue
) -> _Pair | None:
    """The producer and consumer of the buffer `t` when they may fuse (the
    conditions of the module docstring), the kernels as the fused kernel
    takes them (one seen over the other's shape if it saw `t` flat)."""
    if not isinstance(t.owner, memref.AllocOp):
        return None
    users = [u.operation for u in t.uses]
    if len(users) != 2 or not all(isinstance(u, func.CallOp) for u in users):
        return None
    p_call, c_call = sorted(users, key=block.get_operation_index)  # type: ignore[arg-type]
    assert isinstance(p_call, func.CallOp) and isinstance(c_call, func.CallOp)
    p_kernel = kernels.get(p_call.callee.string_value())
    c_kernel = kernels.get(c_call.callee.string_value())
    if p_kernel is None or c_kernel is None:
        return None
    p_pos = [k for k, v in enumerate(p_call.arguments) if v is t]
    c_pos = [k for k, v in enumerate(c_call.arguments) if v is t]
    if len(p_pos) != 1 or len(c_pos) != 1:
        return None
    pg, cg = single_generic(p_kernel), single_generic(c_kernel)
    if pg is None or cg is None or len(pg.outputs) != 1 or arg_of(p_kernel, pg.outputs[0]) != p_pos[0]:
        return None
    if _element_loops(pg) is None:
        return None
    reads = [i for i, v in enumerate(cg.inputs) if arg_of(c_kernel, v) == c_pos[0]]
    if len(reads) != 1 or any(arg_of(c_kernel, v) == c_pos[0] for v in cg.outputs):
        return None
    if cg.inputs[reads[0]].type != pg.outputs[0].type:
        # one of the two may see T flattened (an elementwise kernel over
        # views of n elements): it is then run over the other's shape
        want = pg.outputs[0].type
        reshaped = _reshaped(c_kernel, want)  # type: ignore[arg-type]
        if reshaped is not None:
            c_kernel, cg = reshaped, single_generic(reshaped)
        else:
            p_reshaped = _reshaped(p_kernel, cg.inputs[reads[0]].type)  # type: ignore[arg-type]
            if p_reshaped is None:
                return None
            p_kernel, pg = p_reshaped, single_generic(p_reshaped)
        assert pg is not None and cg is not None
    if not _forwards(pg) and not _reads_each_once(cg, reads[0]):
        return None
    p_args = [arg_of(p_kernel, v) for v in pg.inputs]
    if None in p_args:  # a shape-only view (loop bounds): not an element P reads
        return None
    p_reads = {memory_of(p_call.arguments[k]) for k in p_args}  # type: ignore[index]
    c_writes = written_by(c_kernel, c_call)
    if c_writes is None or c_writes & p_reads:
        return None
    ops = list(block.ops)
    between = calls_between(ops[ops.index(p_call) + 1 : ops.index(c_call)], kernels)
    if between is None or any(writes & p_reads for _, writes in between):
        return None
    operands = {v for v in (*p_call.arguments, *c_call.arguments) if v is not t}
    if len(operands) > MAX_OPERANDS:
        return None
    return _Pair(p_call, c_call, p_kernel, c_kernel, p_pos[0], c_pos[0])


def _substitution(read: AffineMap, loops: list[int], n_dims: int) -> AffineMap:
    """P's loops as expressions of C's: loop k of P runs along T's
    dimension loops[k], which C reads at read.results[loops[k]]."""
    results: list[AffineExpr] = [read.results[d] for d in loops]
    return AffineMap(n_dims, 0, tuple(results))


def _fused_kernel(pair: _Pair, args: list[SSAValue], name: str) -> func.FuncOp:
    """C's kernel computing P's body where it read T: arguments `args`
    (the entry's values, C's then P's others, each once)."""
    # a copy of P: P and C may be one function (a product of products),
    # whose block arguments must not stand for both
    pk, ck = pair.p_kernel.clone(), pair.c_kernel
    pg, cg = single_generic(pk), single_generic(ck)
    assert pg is not None and cg is not None
    block = Block(arg_types=[v.type for v in args])
    index = {id(v): i for i, v in enumerate(args)}
    p_args = [block.args[index[id(v)]] if k != pair.p_out else None for k, v in enumerate(pair.producer.arguments)]
    c_args = [block.args[index[id(v)]] if k != pair.c_in else None for k, v in enumerate(pair.consumer.arguments)]

    made: dict[tuple[SSAValue, Attribute], SSAValue] = {}

    def views(kernel: func.FuncOp, mapping: list[BlockArgument | None]) -> dict[SSAValue, SSAValue]:
        """The kernel's views of its arguments, made on the fused block (one
        per source and type: P and C may view one buffer alike)."""
        values: dict[SSAValue, SSAValue] = {
            a: m for a, m in zip(kernel.body.block.args, mapping) if m is not None
        }
        for op in kernel.body.block.ops:
            if isinstance(op, VIEW_OPS) and op.operands[0] in values:
                key = (values[op.operands[0]], op.results[0].type)
                if key not in made:
                    new = view_op(key[0], key[1])
                    block.add_op(new)
                    made[key] = new.results[0]
                values[op.results[0]] = made[key]
        return values

    p_values = views(pk, p_args)
    c_values = views(ck, c_args)
    c_n_in = len(cg.inputs)
    read = next(i for i, v in enumerate(cg.inputs) if arg_of(ck, v) == pair.c_in)
    loops = _element_loops(pg)
    assert loops is not None
    sub = _substitution(cg.indexing_maps.data[read].data, loops, len(cg.iterator_types))
    p_maps = [m.data.compose(sub) for m in pg.indexing_maps.data[: len(pg.inputs)]]
    # inputs: C's but T, then P's; an input of P that C reads already (the
    # same buffer, view and element) shares C's block argument
    cb, pb = cg.body.block, pg.body.block
    ins: list[SSAValue] = []
    maps: list[AffineMapAttr] = []
    old_args: list[BlockArgument] = []
    shared: dict[BlockArgument, int] = {}
    for i, v in enumerate(cg.inputs):
        if i != read:
            ins.append(c_values[v])
            maps.append(cg.indexing_maps.data[i])
            old_args.append(cb.args[i])
    for v, m, a in zip(pg.inputs, p_maps, pb.args):
        key = (p_values[v], AffineMapAttr(m))
        same = next((k for k, kv in enumerate(zip(ins, maps)) if kv == key), None)
        if same is not None:
            shared[a] = same
            continue
        ins.append(key[0])
        maps.append(key[1])
        old_args.append(a)
    outs = [c_values[v] for v in cg.outputs]
    maps += list(cg.indexing_maps.data[c_n_in:])
    old_args += list(cb.args[c_n_in:])
    # the body: P's ops on its input elements, then C's with T's element
    # replaced by P's yielded value
    body = Block(arg_types=[a.type for a in old_args])
    mapping: dict[SSAValue, SSAValue] = dict(zip(old_args, body.args))
    for a, k in shared.items():
        mapping[a] = body.args[k]
    p_yield = pb.last_op
    assert isinstance(p_yield, linalg_ops.YieldOp)
    for op in pb.ops:
        if op is p_yield:
            break
        body.add_op(op.clone(value_mapper=mapping))
    mapping[cb.args[read]] = mapping.get(p_yield.operands[0], p_yield.operands[0])
    for op in cb.ops:
        body.add_op(op.clone(value_mapper=mapping))
    block.add_op(linalg_ops.GenericOp(ins, outs, Region(body), maps, list(cg.iterator_types)))
    block.add_op(func.ReturnOp())
    fused = func.FuncOp(name, ([v.type for v in args], []), Region(block))
    fused.attributes[KERNEL] = ck.attributes[KERNEL]
    return fused


@dataclass(frozen=True)
class KernelFuseProducerPass(ModulePass):
    """A kernel whose output only one later kernel reads -> computed inside
    that kernel, element by element."""

    name = "kernel-fuse-producer"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = kernel_functions(op)
        involved: set[str] = set()
        for entry in [f for f in op.ops if isinstance(f, func.FuncOp) and ENTRY in f.attributes]:
            block = entry.body.block
            changed = True
            while changed:
                changed = False
                for alloc in [o for o in block.ops if isinstance(o, memref.AllocOp)]:
                    pair = _candidate(block, kernels, alloc.memref)
                    if pair is None:
                        continue
                    involved.update(_fuse(op, kernels, pair, alloc))
                    changed = True
        # the kernels fusion left without a call (P's, C's, earlier fused ones)
        for kernel in uncalled(op, kernels, involved):
            Rewriter.erase_op(kernel)


def _fuse(module: ModuleOp, kernels: dict[str, func.FuncOp], pair: _Pair, alloc: memref.AllocOp) -> tuple[str, str]:
    """The fused kernel's call replaces C's, P's call and T are gone; the
    names of the two kernels."""
    t = alloc.memref
    args: list[SSAValue] = []
    for v in (*pair.consumer.arguments, *pair.producer.arguments):
        if v is not t and all(v is not a for a in args):
            args.append(v)
    name = fused_name(kernels, pair.c_kernel.sym_name.data)
    fused = _fused_kernel(pair, args, name)
    module.body.block.insert_op_after(fused, kernels[pair.c_kernel.sym_name.data])
    kernels[name] = fused
    Rewriter.replace_op(pair.consumer, func.CallOp(name, args, []))
    Rewriter.erase_op(pair.producer)
    Rewriter.erase_op(alloc)
    return pair.c_kernel.sym_name.data, pair.p_kernel.sym_name.data
