"""What a kernel function computes, read off its one `linalg.generic`: a
fill with a constant, a sum accumulated into an output; and, in the entry,
what memory a call's operand names and which a call writes. The kernel may
see its arguments through views (`analyses/views.py`), as
convert-train-to-linalg writes them. The kernel fusions (`kernel-fuse-add`,
`kernel-fuse-producer`, `kernel-fuse-consumer`, `kernel-fuse-fill`) ask
these."""

from __future__ import annotations

from xdsl.dialects import arith, func, memref
from xdsl.dialects.builtin import MemRefType, ModuleOp
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.attrs import IteratorType
from collections.abc import Sequence

from xdsl.ir import Attribute, BlockArgument, Operation, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr

from tdopt.analyses.affine_access import view_root
from tdopt.analyses.views import VIEW_OPS
from tdopt.dialects.cluster import KERNEL
from tdopt.dialects.tier import TiledCallOp

# ops of the entry that only name memory (they read and write none)
VALUE_OPS = (memref.AllocOp, memref.GetGlobalOp, memref.MemorySpaceCastOp, *VIEW_OPS)


def single_generic(kernel: func.FuncOp) -> linalg_ops.GenericOp | None:
    """The kernel's one generic, when the rest of its body is views of its
    arguments and the return."""
    gs = [o for o in kernel.body.block.ops if isinstance(o, linalg_ops.GenericOp)]
    rest = [
        o for o in kernel.body.block.ops
        if not isinstance(o, (linalg_ops.GenericOp, func.ReturnOp, *VIEW_OPS))
    ]
    return gs[0] if len(gs) == 1 and not rest else None


def _numel(v: SSAValue) -> int | None:
    t = v.type
    return t.element_count() if isinstance(t, MemRefType) else None


def arg_of(kernel: func.FuncOp, v: SSAValue) -> int | None:
    """The index of the kernel argument `v` is, or is a view of (a reshape:
    as many elements)."""
    n = _numel(v)
    while isinstance(v.owner, VIEW_OPS):
        v = v.owner.operands[0]
    if isinstance(v, BlockArgument) and v.owner is kernel.body.block and _numel(v) == n:
        return v.index
    return None


def writes_whole(g: linalg_ops.GenericOp, out: int) -> bool:
    """The generic writes every element of its output `out`: each map
    result is a distinct parallel loop over the whole dimension, or 0 on a
    dimension of one."""
    t = g.outputs[out].type
    if not isinstance(t, MemRefType):
        return False
    ranges = g.get_static_loop_ranges()
    kinds = [k.data for k in g.iterator_types]
    amap = g.indexing_maps.data[len(g.inputs) + out].data
    seen: set[int] = set()
    for size, e in zip(t.get_shape(), amap.results):
        if isinstance(e, AffineConstantExpr):
            if e.value != 0 or size != 1:
                return False
        elif isinstance(e, AffineDimExpr):
            if e.position in seen or kinds[e.position] != IteratorType.PARALLEL or ranges[e.position] != size:
                return False
            seen.add(e.position)
        else:
            return False
    return len(amap.results) == len(t.get_shape())


def fill_value(kernel: func.FuncOp) -> Attribute | None:
    """The constant a fill kernel (one argument, a generic without inputs
    yielding a constant) writes over its whole buffer, else None."""
    g = single_generic(kernel)
    if g is None or g.inputs or len(g.outputs) != 1 or len(kernel.args) != 1:
        return None
    if arg_of(kernel, g.outputs[0]) != 0:
        return None
    if not writes_whole(g, 0):
        return None
    ops = list(g.body.block.ops)
    if len(ops) != 2 or not isinstance(ops[0], arith.ConstantOp) or not isinstance(ops[1], linalg_ops.YieldOp):
        return None
    if ops[1].operands[0] is not ops[0].result:
        return None
    return ops[0].value


def reduces_into(kernel: func.FuncOp, out: int) -> linalg_ops.GenericOp | None:
    """The kernel's one generic, when argument `out` is its only output (or
    a view of it), written whole, and no input is a view of it."""
    g = single_generic(kernel)
    if g is None or len(g.outputs) != 1 or arg_of(kernel, g.outputs[0]) != out:
        return None
    if any(arg_of(kernel, v) == out for v in g.inputs) or not writes_whole(g, 0):
        return None
    return g


def sums_into(kernel: func.FuncOp, out: int) -> bool:
    """`reduces_into`, and the body adds to the output a value that does not
    depend on it (out = out + x): a sum of products, not a max."""
    g = reduces_into(kernel, out)
    if g is None:
        return False
    acc = g.body.block.args[len(g.inputs)]
    ops = list(g.body.block.ops)
    if not isinstance(ops[-1], linalg_ops.YieldOp) or len(ops[-1].operands) != 1:
        return False
    add = ops[-1].operands[0].owner
    if not isinstance(add, arith.AddfOp) or acc not in (add.lhs, add.rhs):
        return False
    return [u.operation for u in acc.uses] == [add]


def memory_of(v: SSAValue) -> object:
    """What names `v`'s memory in the entry: the buffer its views start
    from, or the global's symbol (two `memref.get_global` of one symbol are
    one memory)."""
    root = view_root(v)
    owner = root.owner
    if isinstance(owner, memref.GetGlobalOp):
        return ("global", owner.name_.root_reference.data)
    return root


def written_by(kernel: func.FuncOp | None, call: func.CallOp) -> set[object] | None:
    """The memories (`memory_of`) a call writes: its kernel's generic
    outputs; None when unknown (then every operand may be written)."""
    g = single_generic(kernel) if kernel is not None else None
    if g is None:
        return None
    out: set[object] = set()
    for v in g.outputs:
        k = arg_of(kernel, v)  # type: ignore[arg-type]
        if k is None:
            return None
        out.add(memory_of(call.arguments[k]))
    return out


def kernel_functions(module: ModuleOp) -> dict[str, func.FuncOp]:
    """The module's kernels (functions marked `cluster.kernel`) by name."""
    return {f.sym_name.data: f for f in module.ops if isinstance(f, func.FuncOp) and KERNEL in f.attributes}


def fused_name(kernels: dict[str, func.FuncOp], kernel: str) -> str:
    """A new name for a kernel fused from `kernel`: its first kernel's name
    (a chain's names stay short) and `_fusedN`, N the first unused."""
    base = kernel.split("_fused")[0] + "_fused"
    n = 0
    while f"{base}{n}" in kernels:
        n += 1
    return f"{base}{n}"


def uncalled(module: ModuleOp, kernels: dict[str, func.FuncOp], names: set[str]) -> list[func.FuncOp]:
    """The kernels of `names` still in the module that no call uses (what
    a fusion left behind): no plain call, no tiled call as its kernel,
    first kernel or epilogue."""
    called: set[str] = set()
    for c in module.walk():
        if isinstance(c, func.CallOp):
            called.add(c.callee.string_value())
        elif isinstance(c, TiledCallOp):
            called.update(c.callees())
    return [kernels[n] for n in sorted(names) if n not in called and kernels[n].parent is not None]


def calls_between(
    ops: Sequence[Operation], kernels: dict[str, func.FuncOp]
) -> list[tuple[set[object], set[object]]] | None:
    """For each call among `ops` (the entry's ops between two calls a fusion
    would join), the memories it touches and those it writes (all it
    touches when its kernel is not one generic); None if one of `ops` is
    neither a call nor an op that only names memory (`VALUE_OPS`)."""
    found: list[tuple[set[object], set[object]]] = []
    for op in ops:
        if isinstance(op, func.CallOp):
            touched = {memory_of(v) for v in op.arguments}
            writes = written_by(kernels.get(op.callee.string_value()), op)
            found.append((touched, touched if writes is None else writes))
        elif not isinstance(op, VALUE_OPS):
            return None
    return found


def defining_ops(values: Sequence[SSAValue], among: Sequence[Operation]) -> list[Operation]:
    """The ops of `among` that define `values`, and those their operands
    need, in the order of `among` (what must move with a call that takes
    `values` when it moves before `among`)."""
    candidates = set(among)
    found: set[Operation] = set()
    todo = list(values)
    while todo:
        owner = todo.pop().owner
        if isinstance(owner, Operation) and owner in candidates and owner not in found:
            found.add(owner)
            todo.extend(owner.operands)
    return [o for o in among if o in found]
