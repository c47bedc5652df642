"""Building blocks of kernels on memrefs: linalg.generic with affine maps,
fills and scalar arithmetic, so that each train op's lowering reads as its
mathematical definition. A contraction that is a matrix product is written
as the named `linalg.matmul` (transposed operands through its
`indexing_maps`, as upstream MLIR has them); the others (batched products,
grouped convolutions, gradients through windows) have no named op in xDSL
and are generics of the same body. The pipelines generalize the named ops
right after `convert-train-to-linalg` (xDSL's `linalg-generalize-named-ops`):
the kernel passes rewrite bodies (fusion, tiling), which no named op holds."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from xdsl.builder import Builder
from xdsl.rewriter import InsertPoint
from xdsl.dialects import arith, func, math
from xdsl.dialects.linalg import ops as linalg_ops
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.dialects.builtin import (
    AffineMapAttr,
    ArrayAttr,
    Float32Type,
    FloatAttr,
    IndexType,
    MemRefType,
)
from xdsl.ir import Attribute, Block, BlockArgument, Region, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineExpr, AffineMap

from tdopt.analyses.views import VIEW_OPS, view_op

Expr = AffineExpr | int
BodyFn = Callable[["Scalar", list[SSAValue]], Sequence[SSAValue]]

PARALLEL = IteratorTypeAttr.parallel()
REDUCTION = IteratorTypeAttr.reduction()

# the lowest finite f32: the identity of max (an infinity constant would need
# special handling in the assembler's float literal path)
F32_LOWEST = -3.4028234663852886e38


def multiply_accumulate(s: "Scalar", a: list[SSAValue]) -> list[SSAValue]:
    """The body of a contraction (matmul, conv, their gradients): x * y + out
    over (x, y, out), as `linalg.matmul`'s own body reads once generalized,
    so a contraction built as a generic and a generalized matmul of the same
    maps are the same kernel (`analyses/contractions.py` recognises it)."""
    return [s.add(s.mul(a[0], a[1]), a[2])]


def d(i: int) -> AffineExpr:
    return AffineExpr.dimension(i)


def amap(num_dims: int, exprs: Sequence[Expr]) -> AffineMapAttr:
    results = tuple(AffineExpr.constant(e) if isinstance(e, int) else e for e in exprs)
    return AffineMapAttr(AffineMap(num_dims, 0, results))


def identity(num_dims: int) -> AffineMapAttr:
    return amap(num_dims, [d(i) for i in range(num_dims)])


def broadcast_map(out_shape: Sequence[int], in_shape: Sequence[int]) -> AffineMapAttr:
    """Map of an operand broadcast (numpy rules) to the iteration space of
    `out_shape`: aligned from the right, size-1 dimensions pinned to 0."""
    rank = len(out_shape)
    off = rank - len(in_shape)
    exprs: list[Expr] = []
    for i, size in enumerate(in_shape):
        exprs.append(0 if size == 1 and out_shape[off + i] != 1 else d(off + i))
    return amap(rank, exprs)


class Scalar:
    """Inserts scalar arithmetic into a linalg body."""

    def __init__(self, builder: Builder, element_type: Attribute):
        self.b = builder
        self.t = element_type

    def const(self, value: float) -> SSAValue:
        return self.b.insert(arith.ConstantOp(FloatAttr(value, self.t))).result

    def add(self, x: SSAValue, y: SSAValue) -> SSAValue:
        return self.b.insert(arith.AddfOp(x, y)).result

    def sub(self, x: SSAValue, y: SSAValue) -> SSAValue:
        return self.b.insert(arith.SubfOp(x, y)).result

    def mul(self, x: SSAValue, y: SSAValue) -> SSAValue:
        return self.b.insert(arith.MulfOp(x, y)).result

    def div(self, x: SSAValue, y: SSAValue) -> SSAValue:
        return self.b.insert(arith.DivfOp(x, y)).result

    def max(self, x: SSAValue, y: SSAValue) -> SSAValue:
        return self.b.insert(arith.MaximumfOp(x, y)).result

    def exp(self, x: SSAValue) -> SSAValue:
        return self.b.insert(math.ExpOp(x)).result

    def log(self, x: SSAValue) -> SSAValue:
        return self.b.insert(math.LogOp(x)).result

    def erf(self, x: SSAValue) -> SSAValue:
        return self.b.insert(math.ErfOp(x)).result

    def tanh(self, x: SSAValue) -> SSAValue:
        return self.b.insert(math.TanhOp(x)).result

    def sqrt(self, x: SSAValue) -> SSAValue:
        return self.b.insert(math.SqrtOp(x)).result

    def cmp(self, predicate: str, x: SSAValue, y: SSAValue) -> SSAValue:
        """An i1 float comparison (`arith.cmpf`, e.g. "ogt", "oeq")."""
        return self.b.insert(arith.CmpfOp(x, y, predicate)).result

    def select(self, cond: SSAValue, yes: SSAValue, no: SSAValue) -> SSAValue:
        return self.b.insert(arith.SelectOp(cond, yes, no)).result

    def index(self, dim: int) -> SSAValue:
        return self.b.insert(linalg_ops.IndexOp(dim)).result

    def select_eq_index(
        self, i: SSAValue, label: SSAValue, yes: SSAValue, no: SSAValue
    ) -> SSAValue:
        """`yes` where the loop index equals the integer label, else `no`."""
        li = self.b.insert(arith.IndexCastOp(label, IndexType())).result
        eq = self.b.insert(arith.CmpiOp(i, li, "eq")).result
        return self.b.insert(arith.SelectOp(eq, yes, no)).result

    # -- used by the activations (lowering/elementwise_kernels.py) --

    def min(self, x: SSAValue, y: SSAValue) -> SSAValue:
        return self.b.insert(arith.MinimumfOp(x, y)).result

    def neg(self, x: SSAValue) -> SSAValue:
        return self.b.insert(arith.NegfOp(x)).result

    def floor(self, x: SSAValue) -> SSAValue:
        return self.b.insert(math.FloorOp(x)).result

    def ceil(self, x: SSAValue) -> SSAValue:
        return self.b.insert(math.CeilOp(x)).result

    # -- used by train.pow_tensor (lowering/elementwise_kernels.py) --

    def abs(self, x: SSAValue) -> SSAValue:
        return self.b.insert(math.AbsFOp(x)).result

    def copysign(self, magnitude: SSAValue, sign: SSAValue) -> SSAValue:
        return self.b.insert(math.CopySignOp(magnitude, sign)).result


class KernelBuilder:
    """A kernel: `func.func @name(%out..., %in...)` on memrefs whose body is
    a sequence of linalg ops."""

    def __init__(self, name: str, arg_types: Sequence[MemRefType]):
        self.block = Block(arg_types=list(arg_types))
        self.name = name
        self.args = list(self.block.args)
        self.scratch_types: list[MemRefType] = []
        self.builder = Builder(InsertPoint.at_end(self.block))

    def scratch(self, shape: Sequence[int]) -> SSAValue:
        """A temporary buffer: an extra kernel argument that the caller
        allocates (kernels never allocate memory themselves)."""
        t = memref(shape)
        self.scratch_types.append(t)
        return self.block.insert_arg(t, len(self.block.args))

    def view(self, v: SSAValue, shape: Sequence[int]) -> SSAValue:
        """The same buffer seen with another shape of the same or smaller
        element count; also a shape-only operand that gives loop bounds (like
        the window operand of linalg's pooling ops)."""
        t = memref(shape, _element(v))
        return self.builder.insert(view_op(v, t)).results[0]

    def finish(self) -> list[tuple[func.FuncOp, list[int]]]:
        """One function per linalg op (each a single loop nest, so register
        pressure stays that of one nest), with the indices of the kernel
        arguments it takes, in call order."""
        parts: list[tuple[func.FuncOp, list[int]]] = []
        for n, op in enumerate(
            [o for o in self.block.ops if isinstance(o, (linalg_ops.GenericOp, linalg_ops.MatmulOp))]
        ):
            roots: list[int] = []
            for v in op.operands:
                root = _root_arg(v)
                if root.index not in roots:
                    roots.append(root.index)
            block = Block(arg_types=[self.block.args[i].type for i in roots])
            mapping: dict[SSAValue, SSAValue] = {
                self.block.args[i]: block.args[k] for k, i in enumerate(roots)
            }
            for v in op.operands:
                # a view (maybe of a view): recreate its chain inside
                chain = []
                while v not in mapping:
                    cast = v.owner
                    assert isinstance(cast, VIEW_OPS)
                    chain.append(cast)
                    v = cast.operands[0]
                for cast in reversed(chain):
                    clone = cast.clone(value_mapper=mapping)
                    block.add_op(clone)
                    mapping[cast.results[0]] = clone.results[0]
            block.add_op(op.clone(value_mapper=mapping))
            block.add_op(func.ReturnOp())
            types = [a.type for a in block.args]
            parts.append((func.FuncOp(f"{self.name}_{n}", (types, []), Region(block)), roots))
        return parts

    def generic(
        self,
        ins: Sequence[SSAValue],
        outs: Sequence[SSAValue],
        maps: Sequence[AffineMapAttr],
        iterators: Sequence[Attribute],
        body: BodyFn,
        keep_unit_loops: bool = False,
    ) -> None:
        """A linalg.generic; `body(scalar, args)` gets one block argument per
        operand (inputs, then outputs) and returns the values to yield.
        One-trip loops are pinned to 0 unless `keep_unit_loops`."""
        arg_types = [_element(v) for v in (*ins, *outs)]
        block = Block(arg_types=arg_types)
        scalar = Scalar(Builder(InsertPoint.at_end(block)), _element(outs[0]))
        results = body(scalar, list(block.args))
        scalar.b.insert(linalg_ops.YieldOp(*results))
        if not keep_unit_loops and not any(isinstance(o, linalg_ops.IndexOp) for o in block.ops):
            maps, iterators = _drop_unit_loops([*ins, *outs], maps, iterators)
        self.builder.insert(
            linalg_ops.GenericOp(list(ins), list(outs), Region(block), maps, iterators)
        )

    def contraction(
        self,
        ins: Sequence[SSAValue],
        outs: Sequence[SSAValue],
        maps: Sequence[AffineMapAttr],
        iterators: Sequence[Attribute],
    ) -> None:
        """`out += x * y` summed over the reduction loops: `linalg.matmul`
        when, its one-trip loops pinned, it is a product of two matrices
        (loops m, n, k; the output (m, n); x (m, k) or (k, m), y (k, n) or
        (n, k)); else a generic with that body (`multiply_accumulate`).
        Operands with dimensions of one are not seen as matrices here: a
        kernel that writes such an operand whole could then no longer be
        fused into this one (kernel-fuse-producer wants one shape); a
        lowering that owns its buffers passes matrix views itself (a
        one-image convolution)."""
        operands = [*ins, *outs]
        kept_maps, kept_iters = _drop_unit_loops(operands, maps, iterators)
        if not _is_matmul(operands, kept_maps, kept_iters):
            self.generic(ins, outs, maps, iterators, multiply_accumulate)
            return
        op = linalg_ops.MatmulOp(list(ins), list(outs), res=())
        op.properties["indexing_maps"] = ArrayAttr(kept_maps)
        self.builder.insert(op)

    def matmul(
        self, x: SSAValue, y: SSAValue, out: SSAValue, trans_x: bool = False, trans_y: bool = False
    ) -> None:
        """out += op(x) op(y) over three matrices, op a transpose when asked."""
        self.contraction(
            [x, y],
            [out],
            [
                amap(3, [d(2), d(0)] if trans_x else [d(0), d(2)]),
                amap(3, [d(1), d(2)] if trans_y else [d(2), d(1)]),
                amap(3, [d(0), d(1)]),
            ],
            [PARALLEL, PARALLEL, REDUCTION],
        )

    def fill(self, out: SSAValue, value: float) -> None:
        shape = _shape(out)
        self.generic(
            [],
            [out],
            [identity(len(shape))],
            [PARALLEL] * len(shape),
            lambda s, a: [s.const(value)],
        )

    def map_elementwise(
        self,
        out: SSAValue,
        ins: Sequence[SSAValue],
        body: BodyFn,
    ) -> None:
        """out[i] = body(ins broadcast to out's shape [, out[i]])."""
        shape = _shape(out)
        if len(shape) > 1 and all(_shape(v) == shape for v in ins):
            # no broadcasting: one flat loop over contiguous buffers
            size = 1
            for n in shape:
                size *= n
            out = self.view(out, (size,))
            ins = [self.view(v, (size,)) for v in ins]
            shape = (size,)
        maps = [broadcast_map(shape, _shape(v)) for v in ins] + [identity(len(shape))]
        self.generic(list(ins), [out], maps, [PARALLEL] * len(shape), body)

    def reduce_into(
        self,
        out: SSAValue,
        x: SSAValue,
        axes: Sequence[int],
        combine: Callable[[Scalar, SSAValue, SSAValue], SSAValue],
        pre: Callable[[Scalar, SSAValue], SSAValue] | None = None,
    ) -> None:
        """out (x's shape with `axes` set to 1, or removed) accumulates
        combine(acc, pre(x)) over `axes`; out must hold the identity first."""
        xs = _shape(x)
        rank = len(xs)
        keep = len(_shape(out)) == rank
        out_exprs: list[Expr] = []
        for i in range(rank):
            if i in axes:
                if keep:
                    out_exprs.append(0)
            else:
                out_exprs.append(d(i))
        iters = [REDUCTION if i in axes else PARALLEL for i in range(rank)]

        def body(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
            v = pre(s, a[0]) if pre is not None else a[0]
            return [combine(s, a[1], v)]

        out_map = amap(rank, out_exprs) if out_exprs else amap(rank, [0])
        self.generic([x], [out], [identity(rank), out_map], iters, body)


def _loop_ranges(operands: Sequence[SSAValue], maps: Sequence[AffineMapAttr]) -> list[int]:
    n = maps[0].data.num_dims
    ranges = [0] * n
    for v, m in zip(operands, maps):
        for size, e in zip(_shape(v), m.data.results):
            if isinstance(e, AffineDimExpr) and ranges[e.position] == 0:
                ranges[e.position] = size
    return ranges


def _drop_unit_loops(
    operands: Sequence[SSAValue],
    maps: Sequence[AffineMapAttr],
    iterators: Sequence[Attribute],
) -> tuple[list[AffineMapAttr], list[Attribute]]:
    """Loops of one trip (batch 1, group 1, ...) only cost registers: pin
    them to 0 (not done for bodies that read loop indices).

    A unit loop stays when pinning it would leave a window expression as a
    bare loop that does not span its operand dimension: with a one-position
    output, `oh*s + i` becomes `i`, and linalg's verifier requires a bare
    `d(i)` result to equal the dimension (a padded input is larger than the
    window), and takes the loop's range from it."""
    ranges = _loop_ranges(operands, maps)
    keep = {i for i, r in enumerate(ranges) if r != 1}
    while True:
        kept = sorted(keep) or [len(ranges) - 1]
        if len(kept) == len(ranges):
            return list(maps), list(iterators)
        new_dims = [d(kept.index(i)) if i in kept else AffineExpr.constant(0) for i in range(len(ranges))]
        new_maps = [m.data.replace_dims_and_symbols(new_dims, [], len(kept), 0) for m in maps]
        restore: set[int] = set()
        for v, old, new in zip(operands, maps, new_maps):
            for size, e_old, e_new in zip(_shape(v), old.data.results, new.results):
                if (
                    isinstance(e_new, AffineDimExpr)
                    and not isinstance(e_old, AffineDimExpr)
                    and ranges[kept[e_new.position]] != size
                ):
                    restore |= {i for i in e_old.used_dims() if ranges[i] == 1}
        if not restore - keep:
            return [AffineMapAttr(m) for m in new_maps], [iterators[i] for i in kept]
        keep |= restore


def _is_matmul(
    operands: Sequence[SSAValue], maps: Sequence[AffineMapAttr], iterators: Sequence[Attribute]
) -> bool:
    """Loops (m, n, k) = (parallel, parallel, reduction) over three matrices:
    the output (m, n), the first input (m, k) or its transpose, the second
    (k, n) or its transpose."""
    if len(operands) != 3 or list(iterators) != [PARALLEL, PARALLEL, REDUCTION]:
        return False
    if any(len(_shape(v)) != 2 for v in operands):
        return False
    dims = [tuple(e.position if isinstance(e, AffineDimExpr) else None for e in m.data.results) for m in maps]
    return dims[0] in ((0, 2), (2, 0)) and dims[1] in ((2, 1), (1, 2)) and dims[2] == (0, 1)


def _root_arg(v: SSAValue) -> BlockArgument:
    while not isinstance(v, BlockArgument):
        owner = v.owner
        assert isinstance(owner, VIEW_OPS)
        v = owner.operands[0]
    return v


def _element(v: SSAValue) -> Attribute:
    t = v.type
    assert isinstance(t, MemRefType)
    return t.element_type


def _shape(v: SSAValue) -> tuple[int, ...]:
    t = v.type
    assert isinstance(t, MemRefType)
    return tuple(t.get_shape())


def memref(shape: Sequence[int], element_type: Attribute | None = None) -> MemRefType:
    return MemRefType(element_type or Float32Type(), list(shape) if shape else [1])


def linear_index(shape_: Sequence[int], offsets: Sequence[int], first_dim: int) -> Expr:
    """Row-major flat index of [d(first_dim + k) + offsets[k]] in `shape_`."""
    expr: Expr = 0
    stride = 1
    for k in reversed(range(len(shape_))):
        expr = (d(first_dim + k) + offsets[k]) * stride + expr
        stride *= shape_[k]
    return expr


def offset_copy(
    kb: KernelBuilder, src: SSAValue, dst: SSAValue, offsets: Sequence[int], into_larger: bool
) -> None:
    """dst[i + offsets] = src[i] over src's shape (into_larger, e.g. into a
    padded buffer) or dst[i] = src[i + offsets] over dst's shape (a window
    of src). When every dimension is offset or whole, the larger buffer is
    reached through the window (d(i) + offset(i)): a box of it. Otherwise
    (an asymmetric pad: offset 0 on a dimension of another size) it is read
    or written through a flat view with a linearised index: the linalg
    verifier requires a plain `d(i)` result to span the whole dimension, and
    `d(i) + 0` folds to plain `d(i)`. A leading one-trip loop keeps the
    index a sum even for rank-1 copies."""
    small, large = (src, dst) if into_larger else (dst, src)
    ss, ls = _shape(small), _shape(large)
    if all(o or a == b for o, a, b in zip(offsets, ss, ls)):
        # a box of the larger buffer, which the tiler moves by DMA as such
        # (a flat span would also be read in, to keep what lies between rows)
        rank = len(ss)
        window = amap(rank, [d(k) + o if o else d(k) for k, o in enumerate(offsets)])
        ins, outs = ([small], [large]) if into_larger else ([large], [small])
        maps = [identity(rank), window] if into_larger else [window, identity(rank)]
        kb.generic(ins, outs, maps, [PARALLEL] * rank, lambda s, a: [a[0]])
        return
    rank = len(ss) + 1
    size = 1
    for n in ls:
        size *= n
    flat = kb.view(large, (size,))
    lead = kb.view(small, (1, *ss))
    flat_map = amap(rank, [d(0) * size + linear_index(ls, offsets, 1)])
    ins, outs = ([lead], [flat]) if into_larger else ([flat], [lead])
    maps = [identity(rank), flat_map] if into_larger else [flat_map, identity(rank)]
    kb.generic(ins, outs, maps, [PARALLEL] * rank, lambda s, a: [a[0]], keep_unit_loops=True)


def pad_nchw(kb: KernelBuilder, x: SSAValue, pads: Sequence[int], fill: float) -> SSAValue:
    """x copied into a `fill`-padded NCHW scratch buffer (x itself without pads)."""
    if not any(pads):
        return x
    n, c, h, w = _shape(x)
    top, left, bottom, right = pads
    buf = kb.scratch((n, c, h + top + bottom, w + left + right))
    kb.fill(buf, fill)
    offset_copy(kb, x, buf, (0, 0, top, left), into_larger=True)
    return buf


def strided_copy(
    kb: KernelBuilder,
    small: SSAValue,
    large: SSAValue,
    starts: Sequence[int],
    steps: Sequence[int],
    into_larger: bool,
) -> None:
    """small[i] = large[starts + i * steps] (a strided slice, into_larger
    False) or large[starts + i * steps] = small[i] (its scatter), over
    small's shape. Like `offset_copy`, the large buffer is addressed through
    a flat view with a linearised index, behind a leading one-trip loop."""
    ss, ls = _shape(small), _shape(large)
    rank = len(ss) + 1
    size = 1
    for n in ls:
        size *= n
    index: Expr = d(0) * size
    stride = 1
    for k in reversed(range(len(ls))):
        index = index + (d(1 + k) * steps[k] + starts[k]) * stride
        stride *= ls[k]
    flat = kb.view(large, (size,))
    lead = kb.view(small, (1, *ss))
    flat_map = amap(rank, [index])
    ins, outs = ([lead], [flat]) if into_larger else ([flat], [lead])
    maps = [identity(rank), flat_map] if into_larger else [flat_map, identity(rank)]
    kb.generic(ins, outs, maps, [PARALLEL] * rank, lambda s, a: [a[0]], keep_unit_loops=True)
