"""`kernel-fuse-consumer` (linalg level, after `kernel-fuse-producer`, before
`plan-memory`): an elementwise kernel C that reads the output T of an
earlier elementwise kernel P, element for element, becomes a second output
of P. P's loop nest computes C's body from the element of T it has just
computed, so T is not read back and C's call (its fork, its tiles, its DMA)
is gone. T stays P's output when a later kernel reads it; a buffer of the
step that nothing after C reads and that P updates in place is read, no
longer written. A bias add and the ReLU after it are one
pass over the activations (the pre-activation, which only the ReLU read,
is not written back); a ReLU's gradient and its scaling by the learning
rate (the operand of the weight update) are one.

Fused when, in the entry function (plain calls):
- P's single generic has only parallel loops and one output, T, written
  whole through the identity map; C's single generic has only parallel
  loops, as many iterations as T has elements, reads T as one input through
  the identity map (P and C may see T with different shapes: each walks it
  in row-major order), and writes one output U whole through the identity
  map, without reading U;
- C's other inputs are read either element for element (the identity map
  over as many elements as T: seen in P's shape) or at one element (every
  map result a constant: a scalar such as the learning rate);
- P does not read U; between the two calls nothing writes T or C's other
  inputs, and nothing reads or writes U (C's computation moves to P's
  call); besides calls, only ops that name memory (allocations, globals,
  views) sit between them, and those C needs are moved before P's call;
- the fused kernel takes at most `MAX_OPERANDS` operands.

A kernel P read by several later kernels takes the first of them that may
fuse. Repeated until no pair fuses. The fused kernel is a new function named
`P_fusedN` with P's kind (`cluster.kernel`); kernels no call uses any more
are erased, and `kernel-dedup` merges the fused copies of repeated layers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.builtin import AffineMapAttr, FunctionType, MemRefType, ModuleOp, StringAttr
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.attrs import IteratorType
from xdsl.ir import Block, BlockArgument, Operation, Region, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineMap
from xdsl.passes import ModulePass
from xdsl.rewriter import InsertPoint, Rewriter

from tdopt.analyses.affine_access import view_root
from tdopt.analyses.kernel_forms import (
    VALUE_OPS, arg_of, calls_between, fused_name, kernel_functions, memory_of, single_generic, uncalled,
    writes_whole,
)
from tdopt.analyses.views import view_op
from tdopt.dialects.cluster import ENTRY
from tdopt.dialects.tier import MAX_OPERANDS


def _elements(v: SSAValue) -> int:
    t = v.type
    assert isinstance(t, MemRefType)
    return t.element_count()


def _identity(m: AffineMapAttr) -> bool:
    return m.data == AffineMap.identity(m.data.num_dims)


def _constant(m: AffineMapAttr) -> bool:
    return all(isinstance(e, AffineConstantExpr) for e in m.data.results)


def _all_parallel(g: linalg_ops.GenericOp) -> bool:
    return all(k.data == IteratorType.PARALLEL for k in g.iterator_types)


@dataclass
class _Pair:
    producer: func.CallOp
    consumer: func.CallOp
    p_kernel: func.FuncOp
    c_kernel: func.FuncOp
    t: SSAValue  # T in the entry
    read: int  # the input of C's generic that reads T
    moved: list[Operation]  # ops between the calls that C's operands need, in order
    t_dead: bool  # T is a buffer of the step that nothing after C reads


def _defined_between(v: SSAValue, block: Block, first: int, last: int) -> Operation | None:
    owner = v.owner
    if isinstance(owner, Operation) and owner.parent is block and first < block.get_operation_index(owner) < last:
        return owner
    return None


def _needed(values: list[SSAValue], block: Block, first: int, last: int) -> list[Operation] | None:
    """The ops between positions `first` and `last` of `block` that define
    `values` (and their operands), in block order; None if one of them does
    more than name memory."""
    found: set[Operation] = set()
    todo = list(values)
    while todo:
        owner = _defined_between(todo.pop(), block, first, last)
        if owner is None or owner in found:
            continue
        if not isinstance(owner, VALUE_OPS):
            return None
        found.add(owner)
        todo.extend(owner.operands)
    return sorted(found, key=block.get_operation_index)


def _candidate(block: Block, kernels: dict[str, func.FuncOp], p_call: func.CallOp) -> _Pair | None:
    """P's call and the first later call that may fuse into it as a second
    output (the conditions of the module docstring)."""
    p_kernel = kernels.get(p_call.callee.string_value())
    pg = single_generic(p_kernel) if p_kernel is not None else None
    if p_kernel is None or pg is None or len(pg.outputs) != 1 or not _all_parallel(pg):
        return None
    if not writes_whole(pg, 0) or not _identity(pg.indexing_maps.data[len(pg.inputs)]):
        return None
    k = arg_of(p_kernel, pg.outputs[0])
    if k is None:
        return None
    t = p_call.arguments[k]
    p_reads = [p_call.arguments[i] for v in pg.inputs if (i := arg_of(p_kernel, v)) is not None]
    if len(p_reads) != len(pg.inputs):
        return None
    ops = list(block.ops)
    first = ops.index(p_call)
    # the nearest reader first: P keeps one output, so it takes one consumer
    position = {id(op): k for k, op in enumerate(ops)}
    readers = {u.operation for u in t.uses if isinstance(u.operation, func.CallOp) and u.operation.parent is block}
    for c_call in sorted(readers, key=lambda c: position[id(c)]):
        assert isinstance(c_call, func.CallOp)
        last = position[id(c_call)]
        if last <= first:
            continue
        pair = _pair(block, ops, kernels, p_call, p_kernel, pg, t, p_reads, c_call, first, last)
        if pair is not None:
            return pair
    return None


def _pair(
    block: Block, ops: list[Operation], kernels: dict[str, func.FuncOp], p_call: func.CallOp,
    p_kernel: func.FuncOp,
    pg: linalg_ops.GenericOp, t: SSAValue, p_reads: list[SSAValue], c_call: func.CallOp,
    first: int, last: int,
) -> _Pair | None:
    c_kernel = kernels.get(c_call.callee.string_value())
    cg = single_generic(c_kernel) if c_kernel is not None else None
    if c_kernel is None or cg is None or len(cg.outputs) != 1 or not _all_parallel(cg):
        return None
    if math.prod(cg.get_static_loop_ranges()) != _elements(t):
        return None
    c_args = [arg_of(c_kernel, v) for v in cg.operands]
    if None in c_args:
        return None
    c_values = [c_call.arguments[i] for i in c_args]  # type: ignore[index]
    n_in = len(cg.inputs)
    reads_t = [i for i in range(n_in) if c_values[i] is t]
    if len(reads_t) != 1 or not _identity(cg.indexing_maps.data[reads_t[0]]):
        return None
    u = c_values[n_in]
    if not writes_whole(cg, 0) or not _identity(cg.indexing_maps.data[n_in]):
        return None
    if cg.body.block.args[n_in].uses:  # C reads U
        return None
    others = [i for i in range(n_in) if i != reads_t[0]]
    for i in others:
        m = cg.indexing_maps.data[i]
        if not (_constant(m) or (_identity(m) and _elements(cg.inputs[i]) == _elements(t))):
            return None
    t_memory, u_memory = memory_of(t), memory_of(u)
    other_memories = {memory_of(c_values[i]) for i in others}
    if u_memory == t_memory or u_memory in other_memories or t_memory in other_memories:
        return None
    if u_memory in {memory_of(v) for v in p_reads}:
        return None
    # C's work moves to P's call: nothing in between may write what C reads
    # or touch what C writes
    between = calls_between(ops[first + 1:last], kernels)
    if between is None or any(
        u_memory in touched or writes & (other_memories | {t_memory}) for touched, writes in between
    ):
        return None
    moved = _needed([u, *(c_values[i] for i in others)], block, first, last)
    if moved is None:
        return None
    operands = {*p_call.arguments, *c_values}
    if len(operands) > MAX_OPERANDS:
        return None
    t_dead = isinstance(view_root(t).owner, memref.AllocOp) and not any(
        isinstance(v.type, MemRefType) and memory_of(v) == t_memory
        for op in ops[first + 1:] if op is not c_call for v in op.operands
    )
    return _Pair(p_call, c_call, p_kernel, c_kernel, t, reads_t[0], moved, t_dead)


def _copy_body(source: Block, into: Block, mapping: dict[SSAValue, SSAValue]) -> SSAValue:
    """The ops of a one-output generic's body `source` but its yield, copied
    at the end of `into` (`mapping` extended); the value it yields there."""
    yielded = source.last_op
    assert isinstance(yielded, linalg_ops.YieldOp)
    for op in source.ops:
        if op is not yielded:
            into.add_op(op.clone(value_mapper=mapping))
    return mapping.get(yielded.operands[0], yielded.operands[0])


def _fused_kernel(pair: _Pair, args: list[SSAValue], name: str) -> func.FuncOp:
    """P's kernel with C's output computed beside T: arguments `args` (the
    entry's values, P's then C's others and U, each once)."""
    pk, ck = pair.p_kernel.clone(), pair.c_kernel
    pg, cg = single_generic(pk), single_generic(ck)
    assert pg is not None and cg is not None
    # P's body, its arguments in `args` order (P's come first, in order)
    block = pk.body.block
    index = {id(v): i for i, v in enumerate(args)}
    for v in args[len(block.args):]:
        block.insert_arg(v.type, len(block.args))
    n_in = len(cg.inputs)
    p_shape = tuple(pg.get_static_loop_ranges())
    rank = len(p_shape)
    builder_at = InsertPoint.before(pg)

    def seen_by_p(value: SSAValue, t: MemRefType, elementwise: bool) -> SSAValue:
        arg = block.args[index[id(value)]]
        want = MemRefType(t.element_type, p_shape) if elementwise else t
        if arg.type == want:
            return arg
        op = view_op(arg, want)
        Rewriter.insert_op(op, builder_at)
        return op.results[0]

    c_entry = [pair.consumer.arguments[arg_of(ck, v)] for v in cg.operands]  # type: ignore[index]
    c_ins: list[SSAValue] = []
    c_maps: list[AffineMapAttr] = []
    old_args: list[BlockArgument] = []
    for i in range(n_in):
        if i == pair.read:
            continue
        m = cg.indexing_maps.data[i]
        t = cg.inputs[i].type
        assert isinstance(t, MemRefType)
        if _constant(m):
            c_ins.append(seen_by_p(c_entry[i], t, elementwise=False))
            c_maps.append(AffineMapAttr(AffineMap(rank, 0, m.data.results)))
        else:
            c_ins.append(seen_by_p(c_entry[i], t, elementwise=True))
            c_maps.append(AffineMapAttr(AffineMap.identity(rank)))
        old_args.append(cg.body.block.args[i])
    u_type = cg.outputs[0].type
    assert isinstance(u_type, MemRefType)
    u = seen_by_p(c_entry[n_in], u_type, elementwise=True)
    pb, cb = pg.body.block, cg.body.block
    n_p = len(pg.inputs)
    p_in_args, t_arg = list(pb.args[:n_p]), pb.args[n_p]
    p_maps, t_map = list(pg.indexing_maps.data[:n_p]), pg.indexing_maps.data[n_p]
    u_map = AffineMapAttr(AffineMap.identity(rank))
    # T dead after P and updated in place by P (a bias add): read, no longer
    # written. (A T that P writes afresh and only C read has gone into C by
    # kernel-fuse-producer already; should one reach here, it stays written,
    # so that the kernel reads every argument it takes.)
    read_t = pair.t_dead and bool(t_arg.uses)
    keep_t = not read_t
    ins = [*pg.inputs, *([pg.outputs[0]] if read_t else []), *c_ins]
    outs = [*([pg.outputs[0]] if keep_t else []), u]
    maps = [*p_maps, *([t_map] if read_t else []), *c_maps, *([t_map] if keep_t else []), u_map]
    arg_order = [*p_in_args, *([t_arg] if read_t else []), *old_args, *([t_arg] if keep_t else []), cb.args[n_in]]
    # the body: P's, then C's on the element of T P yields
    body = Block(arg_types=[a.type for a in arg_order])
    mapping: dict[SSAValue, SSAValue] = dict(zip(arg_order, body.args))
    t_value = _copy_body(pb, body, mapping)
    mapping[cb.args[pair.read]] = t_value
    u_value = _copy_body(cb, body, mapping)
    body.add_op(linalg_ops.YieldOp(*([t_value] if keep_t else []), u_value))
    Rewriter.replace_op(pg, linalg_ops.GenericOp(ins, outs, Region(body), maps, list(pg.iterator_types)))
    pk.properties["sym_name"] = StringAttr(name)
    pk.properties["function_type"] = FunctionType.from_lists([a.type for a in block.args], [])
    return pk


@dataclass(frozen=True)
class KernelFuseConsumerPass(ModulePass):
    """An elementwise kernel reading another's output element for element ->
    a second output of that kernel."""

    name = "kernel-fuse-consumer"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        kernels = kernel_functions(op)
        involved: set[str] = set()
        for entry in [f for f in op.ops if isinstance(f, func.FuncOp) and ENTRY in f.attributes]:
            block = entry.body.block
            changed = True
            while changed:
                changed = False
                for call in [o for o in block.ops if isinstance(o, func.CallOp)]:
                    pair = _candidate(block, kernels, call)
                    if pair is None:
                        continue
                    involved.update(_fuse(op, kernels, pair))
                    changed = True
                    break
        # the kernels fusion left without a call (P's, C's, earlier fused ones)
        for kernel in uncalled(op, kernels, involved):
            Rewriter.erase_op(kernel)


def _fuse(module: ModuleOp, kernels: dict[str, func.FuncOp], pair: _Pair) -> tuple[str, str]:
    """The fused kernel's call replaces P's, C's call is gone; the names of
    the two kernels."""
    args: list[SSAValue] = list(pair.producer.arguments)
    for v in pair.consumer.arguments:
        if v is not pair.t and all(v is not a for a in args):
            args.append(v)
    name = fused_name(kernels, pair.p_kernel.sym_name.data)
    fused = _fused_kernel(pair, args, name)
    module.body.block.insert_op_after(fused, kernels[pair.p_kernel.sym_name.data])
    kernels[name] = fused
    for op in pair.moved:
        op.detach()
        Rewriter.insert_op(op, InsertPoint.before(pair.producer))
    Rewriter.replace_op(pair.producer, func.CallOp(name, args, []))
    Rewriter.erase_op(pair.consumer)
    return pair.p_kernel.sym_name.data, pair.c_kernel.sym_name.data
