"""The kernel of each train op as linalg on memrefs: `lower(kb, op)` fills
a KernelBuilder whose arguments are (out, *inputs) in the op's operand
order. Rank-0 tensors are 1-element memrefs."""

from __future__ import annotations

import math as pymath
from collections.abc import Callable, Sequence

from xdsl.dialects.builtin import AffineMapAttr, MemRefType
from xdsl.ir import Operation, SSAValue

from tdopt.dialects import train
from tdopt.lowering.kernel_builder import (
    F32_LOWEST,
    PARALLEL,
    REDUCTION,
    KernelBuilder,
    Scalar,
    amap,
    broadcast_map,
    d,
    identity,
    offset_copy,
    pad_nchw,
    strided_copy,
)

Lower = Callable[[KernelBuilder, Operation | None], None]


def shape(v: SSAValue) -> tuple[int, ...]:
    t = v.type
    assert isinstance(t, MemRefType)
    return tuple(t.get_shape())


def _binary(fn: Callable[[Scalar, SSAValue, SSAValue], SSAValue]) -> Lower:
    def lower(kb: KernelBuilder, op: Operation | None) -> None:
        out, a, b = kb.args
        kb.map_elementwise(out, [a, b], lambda s, x: [fn(s, x[0], x[1])])

    return lower


def _unary(fn: Callable[[Scalar, SSAValue], SSAValue]) -> Lower:
    def lower(kb: KernelBuilder, op: Operation | None) -> None:
        out, x = kb.args
        kb.map_elementwise(out, [x], lambda s, a: [fn(s, a[0])])

    return lower


def copy_kernel(kb: KernelBuilder, op: Operation | None) -> None:
    out, x = kb.args
    kb.map_elementwise(out, [x], lambda s, a: [a[0]])


def relu(s: Scalar, x: SSAValue) -> SSAValue:
    return s.max(x, s.const(0.0))


def gelu(form: str) -> Callable[[Scalar, SSAValue], SSAValue]:
    def erf_form(s: Scalar, x: SSAValue) -> SSAValue:
        e = s.erf(s.mul(x, s.const(1.0 / pymath.sqrt(2.0))))
        return s.mul(s.mul(x, s.const(0.5)), s.add(e, s.const(1.0)))

    def tanh_form(s: Scalar, x: SSAValue) -> SSAValue:
        x3 = s.mul(s.mul(x, x), x)
        inner = s.mul(s.add(x, s.mul(x3, s.const(0.044715))), s.const(pymath.sqrt(2.0 / pymath.pi)))
        return s.mul(s.mul(x, s.const(0.5)), s.add(s.tanh(inner), s.const(1.0)))

    return tanh_form if form == "tanh" else erf_form


def lower_gelu(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.GeluOp)
    _unary(gelu(op.form))(kb, op)


def lower_pow(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.PowOp)
    e = float(op.exponent.value.data)

    def fn(s: Scalar, x: SSAValue) -> SSAValue:
        if e == int(e) and 0 <= e <= 4:
            acc = s.const(1.0)
            for _ in range(int(e)):
                acc = s.mul(acc, x)
            return acc
        if e == 0.5:
            return s.sqrt(x)
        return s.exp(s.mul(s.log(x), s.const(e)))

    _unary(fn)(kb, op)


def lower_matmul(kb: KernelBuilder, op: Operation | None) -> None:
    """numpy matmul: loops (batch..., m, n, k); 1-D operands promoted."""
    out, a, b = kb.args
    sa, sb, so = shape(a), shape(b), shape(out)
    assert op is not None
    ra = len(op.operands[0].type.get_shape())
    rb = len(op.operands[1].type.get_shape())
    # iteration space: output dims then k
    n_out = len(so) if (ra > 0 and rb > 0) else 1
    k = n_out
    dims = n_out + 1
    out_map = amap(dims, [d(i) for i in range(n_out)])
    nb = n_out - (1 if ra > 1 else 0) - (1 if rb > 1 else 0)  # batch dims
    m_dim = nb if ra > 1 else None
    n_dim = (nb + (1 if ra > 1 else 0)) if rb > 1 else None
    batch_out = so[:nb]
    if ra == 1:
        a_map = amap(dims, [d(k)])
    else:
        a_batch = broadcast_map(batch_out, sa[:-2]).data.results if sa[:-2] else ()
        a_map = amap(dims, [*a_batch, d(m_dim), d(k)])  # type: ignore[arg-type]
    if rb == 1:
        b_map = amap(dims, [d(k)])
    else:
        b_batch = broadcast_map(batch_out, sb[:-2]).data.results if sb[:-2] else ()
        b_map = amap(dims, [*b_batch, d(k), d(n_dim)])  # type: ignore[arg-type]
    kb.fill(out, 0.0)
    iters = [PARALLEL] * n_out + [REDUCTION]
    kb.contraction(
        [a, b],
        [out],
        [a_map, b_map, out_map],
        iters,
    )


def lower_gemm(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.GemmOp)
    out, a, b, *rest = kb.args
    alpha = 1.0 if op.alpha is None else float(op.alpha.value.data)
    beta = 1.0 if op.beta is None else float(op.beta.value.data)
    kb.fill(out, 0.0)
    kb.matmul(a, b, out, trans_x=op.trans_a is not None, trans_y=op.trans_b is not None)
    if rest or alpha != 1.0:
        c = rest[0] if rest else None

        def epilogue(s: Scalar, x: list[SSAValue]) -> list[SSAValue]:
            acc = x[-1]
            y = s.mul(acc, s.const(alpha)) if alpha != 1.0 else acc
            if c is not None:
                cv = s.mul(x[0], s.const(beta)) if beta != 1.0 else x[0]
                y = s.add(y, cv)
            return [y]

        kb.map_elementwise(out, [c] if c is not None else [], epilogue)


def lower_conv2d(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.Conv2dOp)
    out, x, w, *rest = kb.args
    strides, pads, dil, group = train.Conv2dOp.geometry(op.properties)
    m, cg, kh, kw = shape(w)
    mg = m // group
    xp = pad_nchw(kb, x, pads, 0.0)
    if rest:
        kb.generic(
            [rest[0]], [out], [amap(4, [d(1)]), identity(4)], [PARALLEL] * 4, lambda s, a: [a[0]]
        )
    else:
        kb.fill(out, 0.0)
    n_, _, oh, ow = shape(out)
    if group == 1:
        # im2col: the windows as the columns of a (c*kh*kw, oh*ow) matrix,
        # then one matmul with the weights seen as (m, c*kh*kw), the shape
        # register blocking handles best (docs/kernels.md)
        col = im2col(kb, xp, (cg, kh, kw), (oh, ow), strides, dil)
        kdim = cg * kh * kw
        w2 = kb.view(w, (m, kdim))
        if n_ == 1:
            # one image: the weights (m, k) by the columns (k, oh*ow)
            kb.matmul(w2, kb.view(col, (kdim, oh * ow)), kb.view(out, (m, oh * ow)))
            return
        o3 = kb.view(out, (n_, m, oh * ow))
        kb.contraction(
            [w2, col],
            [o3],
            [amap(4, [d(1), d(3)]), amap(4, [d(0), d(3), d(2)]), amap(4, [d(0), d(1), d(2)])],
            [PARALLEL] * 3 + [REDUCTION],
        )
        return
    # grouped: loops n, g, mo, oh, ow, c, i, j over views that split the
    # channels into (group, channel in group), so every loop is a plain
    # dimension somewhere
    w5 = kb.view(w, (group, mg, cg, kh, kw))
    o5 = kb.view(out, (n_, group, mg, oh, ow))
    dims = 8
    x_map = amap(
        dims,
        [d(0), d(1) * cg + d(5), d(3) * strides[0] + d(6) * dil[0], d(4) * strides[1] + d(7) * dil[1]],
    )
    kb.contraction(
        [xp, w5],
        [o5],
        [x_map, amap(dims, [d(1), d(2), d(5), d(6), d(7)]), amap(dims, [d(0), d(1), d(2), d(3), d(4)])],
        [PARALLEL] * 5 + [REDUCTION] * 3,
    )


def im2col(
    kb: KernelBuilder,
    xp: SSAValue,
    window: tuple[int, int, int],
    out_hw: tuple[int, int],
    strides: Sequence[int],
    dil: Sequence[int],
) -> SSAValue:
    """A scratch (n, c*kh*kw, oh*ow) holding, per batch, the input window of
    every output position as a column (rows ordered like the weights'
    (c, kh, kw)), copied from the padded input `xp`."""
    c, kh, kw = window
    oh, ow = out_hw
    n = shape(xp)[0]
    col = kb.scratch((n, c * kh * kw, oh * ow))
    col6 = kb.view(col, (n, c, kh, kw, oh, ow))
    kb.generic([xp], [col6], [window_map(strides, dil), identity(6)], [PARALLEL] * 6, lambda s, a: [a[0]])
    return col


def window_map(strides: Sequence[int], dil: Sequence[int]) -> AffineMapAttr:
    """Loops (n, c, i, j, oh, ow) -> the padded input element (n, c,
    oh*s + i*d, ow*s + j*d): where im2col reads a column entry and col2im
    adds it back."""
    return amap(6, [d(0), d(1), d(4) * strides[0] + d(2) * dil[0], d(5) * strides[1] + d(3) * dil[1]])


def lower_maxpool(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.MaxPool2dOp)
    out, x = kb.args
    kernel, strides, pads = train.MaxPool2dOp.geometry(op.properties)
    xp = pad_nchw(kb, x, pads, F32_LOWEST)
    kb.fill(out, F32_LOWEST)
    window = kb.view(out, kernel)  # only its shape is used
    dims = 6
    kb.generic(
        [xp, window],
        [out],
        [
            amap(dims, [d(0), d(1), d(2) * strides[0] + d(4), d(3) * strides[1] + d(5)]),
            amap(dims, [d(4), d(5)]),
            amap(dims, [d(0), d(1), d(2), d(3)]),
        ],
        [PARALLEL] * 4 + [REDUCTION] * 2,
        lambda s, a: [s.max(a[2], a[0])],
    )


def _keep_shape(x_shape, axes) -> tuple[int, ...]:
    return tuple(1 if i in axes else n for i, n in enumerate(x_shape))


def _local(kb: KernelBuilder, shp) -> SSAValue:
    return kb.scratch(shp)


def lower_softmax(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.SoftmaxOp)
    out, x = kb.args
    xs = shape(x)
    axis = op.axis.value.data % len(xs)
    red = _local(kb, _keep_shape(xs, [axis]))
    kb.fill(red, F32_LOWEST)
    kb.reduce_into(red, x, [axis], lambda s, acc, v: s.max(acc, v))
    kb.map_elementwise(out, [x, red], lambda s, a: [s.exp(s.sub(a[0], a[1]))])
    kb.fill(red, 0.0)
    kb.reduce_into(red, out, [axis], lambda s, acc, v: s.add(acc, v))
    kb.map_elementwise(out, [red], lambda s, a: [s.div(a[1], a[0])])


def lower_layernorm(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.LayerNormOp)
    out, x, scale, *rest = kb.args
    xs = shape(x)
    axis = op.axis.value.data % len(xs)
    axes = list(range(axis, len(xs)))
    count = 1
    for i in axes:
        count *= xs[i]
    eps = float(op.epsilon.value.data)
    mean = _local(kb, _keep_shape(xs, axes))
    rstd = _local(kb, _keep_shape(xs, axes))
    kb.fill(mean, 0.0)
    kb.reduce_into(mean, x, axes, lambda s, acc, v: s.add(acc, v))
    kb.map_elementwise(mean, [], lambda s, a: [s.mul(a[0], s.const(1.0 / count))])
    # out temporarily holds the centred values
    kb.map_elementwise(out, [x, mean], lambda s, a: [s.sub(a[0], a[1])])
    kb.fill(rstd, 0.0)
    kb.reduce_into(rstd, out, axes, lambda s, acc, v: s.add(acc, s.mul(v, v)))
    kb.map_elementwise(
        rstd,
        [],
        lambda s, a: [s.div(s.const(1.0), s.sqrt(s.add(s.mul(a[0], s.const(1.0 / count)), s.const(eps))))],
    )
    ins = [rstd, scale, *rest]

    def norm(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        y = s.mul(s.mul(a[-1], a[0]), a[1])
        if rest:
            y = s.add(y, a[2])
        return [y]

    kb.map_elementwise(out, ins, norm)


def lower_transpose(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.TransposeOp)
    out, x = kb.args
    perm = train.ints(op.perm, ())
    rank = len(perm)
    if rank == 0:  # a rank-0 transpose is a copy (of a 1-element buffer)
        copy_kernel(kb, op)
        return
    # out[i0..] = x[j] where j[perm[k]] = i_k
    x_exprs = [d(0)] * rank
    for k, p in enumerate(perm):
        x_exprs[p] = d(k)
    kb.generic([x], [out], [amap(rank, x_exprs), identity(rank)], [PARALLEL] * rank, lambda s, a: [a[0]])


def lower_concat(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.ConcatOp)
    out, *xs = kb.args
    rank = len(shape(out))
    axis = op.axis.value.data % rank
    offset = 0
    for x in xs:
        # through offset_copy: at offset 0 a plain `d(axis)` map would claim
        # the whole output dimension (invalid linalg, see offset_copy)
        offsets = [offset if i == axis else 0 for i in range(rank)]
        offset_copy(kb, x, out, offsets, into_larger=True)
        offset += shape(x)[axis]


def _reduce(kind: str) -> Lower:
    def lower(kb: KernelBuilder, op: Operation | None) -> None:
        assert isinstance(op, train.ReduceOp)
        out, x = kb.args
        xs = shape(x)
        rank0 = len(op.operands[0].type.get_shape())
        axes = train.ReduceOp.reduced_axes.__func__(type(op), op.properties, rank0)  # type: ignore[attr-defined]
        if all(xs[i] == 1 for i in axes):
            # over axes of one element (a weight gradient summed over a batch
            # of one): a copy, which kernel-fuse-producer folds into its reader
            rank = len(shape(out))
            kb.generic(
                [kb.view(x, shape(out))], [out], [identity(rank)] * 2, [PARALLEL] * rank, lambda s, a: [a[0]]
            )
            return
        kb.fill(out, 0.0)
        kb.reduce_into(out, x, list(axes), lambda s, acc, v: s.add(acc, v))
        if kind == "mean":
            count = 1
            for i in axes:
                count *= xs[i]
            kb.map_elementwise(out, [], lambda s, a: [s.mul(a[0], s.const(1.0 / count))])

    return lower


def lower_cross_entropy(kb: KernelBuilder, op: Operation | None) -> None:
    """mean over rows of logsumexp(x) - x[label]. A label outside [0, C)
    would pick nothing (a zero term): the program checks the labels on the
    cluster before this kernel runs (entry_to_riscv.LabelChecks)."""
    out, x, labels = kb.args
    n, c = shape(x)
    mx = _local(kb, (n, 1))
    tot = _local(kb, (n, 1))
    kb.fill(mx, F32_LOWEST)
    kb.reduce_into(mx, x, [1], lambda s, acc, v: s.max(acc, v))
    kb.fill(tot, 0.0)
    kb.generic(
        [x, mx],
        [tot],
        [identity(2), amap(2, [d(0), 0]), amap(2, [d(0), 0])],
        [PARALLEL, REDUCTION],
        lambda s, a: [s.add(a[2], s.exp(s.sub(a[0], a[1])))],
    )
    # tot <- log(tot) + max  (per row)
    kb.generic(
        [mx],
        [tot],
        [identity(2), identity(2)],
        [PARALLEL, PARALLEL],
        lambda s, a: [s.add(s.log(a[1]), a[0])],
    )
    kb.fill(out, 0.0)
    # out += (tot[n] - x[n, label[n]]) / N, the picked logit found by index
    inv_n = 1.0 / n

    def body(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        xv, lab, tv, acc = a
        j = s.index(1)
        zero = s.const(0.0)
        picked = s.select_eq_index(j, lab, s.sub(tv, xv), zero)
        return [s.add(acc, s.mul(picked, s.const(inv_n)))]

    kb.generic(
        [x, labels, tot],
        [out],
        [identity(2), amap(2, [d(0)]), amap(2, [d(0), 0]), amap(2, [0])],
        [REDUCTION, REDUCTION],
        body,
    )


# a full reduction of at least this many elements is summed in two stages
# (rows in parallel on the cores, then their partial sums on one)
SPLIT_REDUCTION_MIN = 1024
SPLIT_REDUCTION_ROWS = 64


def split_rows(count: int) -> int:
    """Rows to view `count` elements as for a two-stage full reduction: the
    largest divisor of `count` up to SPLIT_REDUCTION_ROWS that leaves rows
    of at least 16, or 1 (one stage)."""
    if count < SPLIT_REDUCTION_MIN:
        return 1
    return max((r for r in range(1, SPLIT_REDUCTION_ROWS + 1) if count % r == 0 and count // r >= 16),
               default=1)


def lower_mse(kb: KernelBuilder, op: Operation | None) -> None:
    """mean((p - t)^2). A large one sums rows of the flattened tensors on
    every core into partial sums, then those on one core (a full reduction
    to a scalar has no parallel loop: it would run on core 0 alone)."""
    out, p, t = kb.args
    ps = shape(p)
    count = 1
    for v in ps:
        count *= v
    inv = 1.0 / count

    def term(s: Scalar, a: list[SSAValue]) -> SSAValue:
        return s.mul(s.mul(s.sub(a[0], a[1]), s.sub(a[0], a[1])), s.const(inv))

    rows = split_rows(count)
    if rows > 1:
        cols = count // rows
        p2, t2 = kb.view(p, [rows, cols]), kb.view(t, [rows, cols])
        partial = kb.scratch([rows])
        kb.fill(partial, 0.0)
        kb.generic(
            [p2, t2],
            [partial],
            [identity(2), identity(2), amap(2, [d(0)])],
            [PARALLEL, REDUCTION],
            lambda s, a: [s.add(a[2], term(s, a))],
        )
        kb.fill(out, 0.0)
        kb.generic([partial], [out], [identity(1), amap(1, [0])], [REDUCTION],
                   lambda s, a: [s.add(a[1], a[0])])
        return
    kb.fill(out, 0.0)
    rank = len(ps)
    kb.generic(
        [p, t],
        [out],
        [identity(rank), identity(rank), amap(rank, [0])],
        [REDUCTION] * rank,
        lambda s, a: [s.add(a[2], term(s, a))],
    )


def lower_slice(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.SliceOp)
    out, x = kb.args
    xs = tuple(op.input.type.get_shape())  # type: ignore[attr-defined]
    starts, _, steps = train.slice_geometry(op.name, xs, op.properties)
    if not xs:  # a rank-0 slice is a copy
        copy_kernel(kb, op)
        return
    strided_copy(kb, out, x, starts, steps, into_larger=False)


# -- batch normalisation (issue 13) -------------------------------------------


def channel_map(rank: int) -> AffineMapAttr:
    """A per-channel vector read along axis 1 of a rank-`rank` iteration space."""
    return amap(rank, [d(1)])


def channel_generic(
    kb: KernelBuilder,
    outs: Sequence[SSAValue],
    tensors: Sequence[SSAValue],
    vectors: Sequence[SSAValue],
    body: Callable[[Scalar, list[SSAValue]], list[SSAValue]],
    reduce: bool,
) -> None:
    """One loop nest over the N x C [x spatial...] shape of `tensors[0]`:
    `tensors` are read elementwise, `vectors` per channel; `outs` are
    tensors (`reduce` False) or per-channel vectors summed over every
    dimension but 1 (`reduce` True). `body` gets (tensors, vectors, outs).
    Tensors are seen as N x C x (spatial size): three loops at most, so the
    pointers of every operand fit the integer registers."""
    xs = shape(tensors[0])
    flat = (xs[0], xs[1], pymath.prod(xs[2:]))
    tensors = [kb.view(t, flat) for t in tensors]
    if not reduce:
        outs = [kb.view(o, flat) for o in outs]
    rank = 3
    ins = [*tensors, *vectors]
    maps = [identity(rank)] * len(tensors) + [channel_map(rank)] * len(vectors)
    maps += [channel_map(rank) if reduce else identity(rank)] * len(outs)
    iters = [PARALLEL if (i == 1 or not reduce) else REDUCTION for i in range(rank)]
    kb.generic(ins, list(outs), maps, iters, body)


def batch_statistics(kb: KernelBuilder, x: SSAValue, mean: SSAValue, sq: SSAValue) -> int:
    """mean[c] = the batch mean, sq[c] = the sum of squared deviations from
    it (two passes: no cancellation); returns the values per channel."""
    xs = shape(x)
    count = pymath.prod(xs) // xs[1]
    kb.fill(mean, 0.0)
    channel_generic(kb, [mean], [x], [], lambda s, a: [s.add(a[1], a[0])], reduce=True)
    kb.map_elementwise(mean, [], lambda s, a: [s.mul(a[0], s.const(1.0 / count))])
    kb.fill(sq, 0.0)

    def squares(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        dev = s.sub(a[0], a[1])
        return [s.add(a[2], s.mul(dev, dev))]

    channel_generic(kb, [sq], [x], [mean], squares, reduce=True)
    return count


def inverse_std(kb: KernelBuilder, rstd: SSAValue, var: SSAValue, scale: float, eps: float) -> None:
    """rstd[c] = 1 / sqrt(var[c] * scale + eps)."""

    def body(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        return [s.div(s.const(1.0), s.sqrt(s.add(s.mul(a[0], s.const(scale)), s.const(eps))))]

    kb.map_elementwise(rstd, [var], body)


def lower_batchnorm(kb: KernelBuilder, op: Operation | None) -> None:
    """y = x * a[c] + b[c] with a = scale * rstd, b = bias - mean * a: the
    statistics per channel first (the batch's in training mode), then one
    elementwise pass."""
    assert isinstance(op, train.BatchNormOp)
    out, x, scale, bias, mean, var = kb.args
    eps = float(op.epsilon.value.data)
    c = shape(x)[1]
    a = kb.scratch((c,))
    b = kb.scratch((c,))
    if op.training is not None:
        count = batch_statistics(kb, x, b, a)  # b: mean, a: squared deviations
        inverse_std(kb, a, a, 1.0 / count, eps)
        mean = b
    else:
        inverse_std(kb, a, var, 1.0, eps)
    # a = scale * rstd, b = bias - mean * a (mean may live in b: read first)
    kb.map_elementwise(a, [scale], lambda s, v: [s.mul(v[1], v[0])])
    kb.map_elementwise(b, [mean, bias, a], lambda s, v: [s.sub(v[1], s.mul(v[0], v[2]))])
    channel_generic(kb, [out], [x], [a, b], lambda s, v: [s.add(s.mul(v[0], v[1]), v[2])], reduce=False)


def lower_batchnorm_update(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, train.BatchNormUpdateOp)
    new_mean, new_var, x, mean, var = kb.args
    m = float(op.momentum.value.data)
    c = shape(x)[1]
    bmean = kb.scratch((c,))
    sq = kb.scratch((c,))
    count = batch_statistics(kb, x, bmean, sq)
    kb.map_elementwise(
        new_mean, [mean, bmean], lambda s, v: [s.add(s.mul(v[0], s.const(m)), s.mul(v[1], s.const(1.0 - m)))]
    )
    # the unbiased batch variance: squared deviations / (count - 1)
    w = (1.0 - m) / (count - 1)
    kb.map_elementwise(
        new_var, [var, sq], lambda s, v: [s.add(s.mul(v[0], s.const(m)), s.mul(v[1], s.const(w)))]
    )



# -- padding (issue 13) -----------------------------------------------------


def lower_pad(kb: KernelBuilder, op: Operation | None) -> None:
    """The pad value everywhere, then the input copied into its window."""
    assert isinstance(op, train.PadOp)
    out, x = kb.args
    begins, _ = op.begins_ends()
    kb.fill(out, op.pad_value)
    # a rank-0 tensor is a 1-element buffer: one (zero) offset for its dimension
    offsets = [*begins] + [0] * (len(shape(out)) - len(begins))
    offset_copy(kb, x, out, offsets, into_larger=True)


KERNELS: dict[type[Operation], Lower] = {
    train.AddOp: _binary(lambda s, a, b: s.add(a, b)),
    train.SubOp: _binary(lambda s, a, b: s.sub(a, b)),
    train.MulOp: _binary(lambda s, a, b: s.mul(a, b)),
    train.DivOp: _binary(lambda s, a, b: s.div(a, b)),
    train.ReluOp: _unary(relu),
    train.SqrtOp: _unary(lambda s, x: s.sqrt(x)),
    train.GeluOp: lower_gelu,
    train.PowOp: lower_pow,
    train.MatMulOp: lower_matmul,
    train.GemmOp: lower_gemm,
    train.Conv2dOp: lower_conv2d,
    train.MaxPool2dOp: lower_maxpool,
    train.SoftmaxOp: lower_softmax,
    train.LayerNormOp: lower_layernorm,
    train.TransposeOp: lower_transpose,
    train.ConcatOp: lower_concat,
    train.ReduceMeanOp: _reduce("mean"),
    train.ReduceSumOp: _reduce("sum"),
    train.CrossEntropyOp: lower_cross_entropy,
    train.MseOp: lower_mse,
    # strided slices
    train.SliceOp: lower_slice,
}

# batch normalisation (issue 13)
KERNELS.update({train.BatchNormOp: lower_batchnorm, train.BatchNormUpdateOp: lower_batchnorm_update})
# padding (issue 13)
KERNELS[train.PadOp] = lower_pad

# weight gradient fused with its SGD update (issue 17, passes/train_fuse_weight_update.py)


def lower_gemm_accumulate(kb: KernelBuilder, op: Operation | None) -> None:
    """`W += op(A) op(B)` in place: kernel args (W, A, B), no fill, so the
    contraction's output operand is the weight itself (the -lr scale is
    already in A or B). For an in-place `train.gemm` with C = W, alpha =
    beta = 1 (`in_place_accumulations` in train_to_linalg.py)."""
    assert isinstance(op, train.GemmOp)
    out, a, b = kb.args
    kb.matmul(a, b, out, trans_x=op.trans_a is not None, trans_y=op.trans_b is not None)
