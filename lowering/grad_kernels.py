"""The kernel of each `grad` op as linalg on memrefs, like `train_kernels.py`:
`lower(kb, op)` fills a KernelBuilder whose arguments are the op's outputs
(grad.layernorm has three) followed by its inputs in operand order. The
numpy semantics are `interpreter/grad_kernels.py`."""

from __future__ import annotations

import math as pymath
from collections.abc import Callable, Sequence

from xdsl.ir import Operation, SSAValue

from tdopt.dialects import grad, train
from tdopt.lowering.kernel_builder import (
    Expr,
    F32_LOWEST,
    KernelBuilder,
    PARALLEL,
    REDUCTION,
    Scalar,
    amap,
    broadcast_map,
    d,
    identity,
    offset_copy,
    pad_nchw,
    strided_copy,
)
from tdopt.lowering.train_kernels import Lower, _keep_shape, im2col, shape, window_map

Term = Callable[[Scalar, list[SSAValue]], SSAValue]


def _accumulate(
    kb: KernelBuilder,
    outs: Sequence[SSAValue],
    ins: Sequence[SSAValue],
    space: Sequence[int],
    axes: Sequence[int],
    terms: Sequence[Term],
) -> None:
    """outs[k] += terms[k](ins) summed over `axes` of the iteration space
    `space`, all in one loop nest; `ins` broadcast to `space` (numpy rules),
    each out is `space` with `axes` set to 1 or removed. Like
    `KernelBuilder.reduce_into` but for terms of several operands (e.g.
    sum(dy * y)), so no temporary holds the products."""
    rank = len(space)
    maps = [broadcast_map(space, shape(v)) for v in ins]
    for out in outs:
        keep = len(shape(out)) == rank
        out_exprs: list[Expr] = []
        for i in range(rank):
            if i not in axes:
                out_exprs.append(d(i))
            elif keep:
                out_exprs.append(0)
        maps.append(amap(rank, out_exprs or [0]))
    iters = [REDUCTION if i in axes else PARALLEL for i in range(rank)]
    n = len(ins)

    def body(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        return [s.add(acc, term(s, a[:n])) for acc, term in zip(a[n:], terms)]

    kb.generic(list(ins), list(outs), maps, iters, body)


def lower_relu_grad(kb: KernelBuilder, op: Operation | None) -> None:
    out, x, dy = kb.args

    def body(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        zero = s.const(0.0)
        return [s.select(s.cmp("ogt", a[0], zero), a[1], zero)]

    kb.map_elementwise(out, [x, dy], body)


def gelu_derivative(form: str) -> Callable[[Scalar, SSAValue], SSAValue]:
    """gelu'(x) in the exact (erf) or tanh form of `train.gelu`."""

    def erf_form(s: Scalar, x: SSAValue) -> SSAValue:
        # Phi(x) + x * phi(x)
        e = s.erf(s.mul(x, s.const(1.0 / pymath.sqrt(2.0))))
        cdf = s.mul(s.add(e, s.const(1.0)), s.const(0.5))
        pdf = s.mul(s.exp(s.mul(s.mul(x, x), s.const(-0.5))), s.const(1.0 / pymath.sqrt(2.0 * pymath.pi)))
        return s.add(cdf, s.mul(x, pdf))

    def tanh_form(s: Scalar, x: SSAValue) -> SSAValue:
        # 0.5 (1 + t) + 0.5 x (1 - t^2) c (1 + 3 * 0.044715 x^2),
        # t = tanh(c (x + 0.044715 x^3)), c = sqrt(2 / pi)
        c = pymath.sqrt(2.0 / pymath.pi)
        x2 = s.mul(x, x)
        inner = s.mul(s.mul(x, s.add(s.mul(x2, s.const(0.044715)), s.const(1.0))), s.const(c))
        t = s.tanh(inner)
        one = s.const(1.0)
        left = s.mul(s.add(t, one), s.const(0.5))
        slope = s.add(s.mul(x2, s.const(3 * 0.044715 * c)), s.const(c))
        right = s.mul(s.mul(s.mul(x, s.const(0.5)), s.sub(one, s.mul(t, t))), slope)
        return s.add(left, right)

    return tanh_form if form == "tanh" else erf_form


def lower_gelu_grad(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, grad.GeluGradOp)
    out, x, dy = kb.args
    deriv = gelu_derivative(op.form)
    kb.map_elementwise(out, [x, dy], lambda s, a: [s.mul(a[1], deriv(s, a[0]))])


def lower_softmax_grad(kb: KernelBuilder, op: Operation | None) -> None:
    """y * (dy - sum(dy * y, axis)); no division, y is the forward output."""
    assert isinstance(op, grad.SoftmaxGradOp)
    out, y, dy = kb.args
    ys = shape(y)
    axis = op.axis.value.data % len(ys)
    dot = kb.scratch(_keep_shape(ys, [axis]))
    kb.fill(dot, 0.0)
    _accumulate(kb, [dot], [y, dy], ys, [axis], [lambda s, a: s.mul(a[0], a[1])])
    kb.map_elementwise(out, [y, dy, dot], lambda s, a: [s.mul(a[0], s.sub(a[1], a[2]))])


def lower_layernorm_grad(kb: KernelBuilder, op: Operation | None) -> None:
    """dx = rstd * (g - mean(g) - xhat * mean(g * xhat)), g = dy * scale;
    dscale = sum(dy * xhat), dbias = sum(dy) over the leading dims. dx
    holds the centred input, then xhat, before it gets its final value."""
    assert isinstance(op, grad.LayerNormGradOp)
    dx, dscale, dbias, x, scale, dy = kb.args
    xs = shape(x)
    axis = op.axis.value.data % len(xs)
    axes = list(range(axis, len(xs)))
    lead = list(range(axis))
    count = 1
    for i in axes:
        count *= xs[i]
    inv = 1.0 / count
    eps = float(op.epsilon.value.data)
    stats = _keep_shape(xs, axes)
    mean = kb.scratch(stats)
    rstd = kb.scratch(stats)
    gxhat = kb.scratch(stats)
    # forward statistics, as in train.layernorm's kernel
    kb.fill(mean, 0.0)
    kb.reduce_into(mean, x, axes, lambda s, acc, v: s.add(acc, v))
    kb.map_elementwise(mean, [], lambda s, a: [s.mul(a[0], s.const(inv))])
    kb.map_elementwise(dx, [x, mean], lambda s, a: [s.sub(a[0], a[1])])
    kb.fill(rstd, 0.0)
    kb.reduce_into(rstd, dx, axes, lambda s, acc, v: s.add(acc, s.mul(v, v)))
    kb.map_elementwise(
        rstd,
        [],
        lambda s, a: [s.div(s.const(1.0), s.sqrt(s.add(s.mul(a[0], s.const(inv)), s.const(eps))))],
    )
    kb.map_elementwise(dx, [rstd], lambda s, a: [s.mul(a[1], a[0])])  # xhat
    # parameter gradients: sums over the leading (non-normalised) dims
    kb.fill(dscale, 0.0)
    kb.fill(dbias, 0.0)
    _accumulate(
        kb, [dscale, dbias], [dy, dx], xs, lead, [lambda s, a: s.mul(a[0], a[1]), lambda s, a: a[0]]
    )
    # row sums of g and g * xhat (`mean` is free again: it takes sum(g))
    kb.fill(mean, 0.0)
    kb.fill(gxhat, 0.0)
    _accumulate(
        kb,
        [mean, gxhat],
        [dy, scale, dx],
        xs,
        axes,
        [lambda s, a: s.mul(a[0], a[1]), lambda s, a: s.mul(s.mul(a[0], a[1]), a[2])],
    )

    def final(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        dyv, sv, gsum, gxsum, r, xhat = a
        g = s.mul(dyv, sv)
        centred = s.sub(g, s.mul(gsum, s.const(inv)))
        return [s.mul(r, s.sub(centred, s.mul(xhat, s.mul(gxsum, s.const(inv)))))]

    kb.map_elementwise(dx, [dy, scale, mean, gxhat, rstd], final)


def lower_conv2d_input_grad(kb: KernelBuilder, op: Operation | None) -> None:
    """Transposed convolution: one group as a matmul into window gradients
    added back into their windows (col2im); grouped in scatter form, every
    (dy element, kernel tap) pair adds dy * w into the padded input
    gradient. Then the pads are cut."""
    assert isinstance(op, grad.Conv2dInputGradOp)
    out, dy, w = kb.args
    strides, pads, dil, group = train.Conv2dOp.geometry(op.properties)
    n, c, h, wd = shape(out)
    m, cg, kh, kw = shape(w)
    _, _, oh, ow = shape(dy)
    mg = m // group
    top, left, bottom, right = pads
    padded = any(pads)
    dxp = kb.scratch((n, c, h + top + bottom, wd + left + right)) if padded else out
    kb.fill(dxp, 0.0)
    if group == 1:
        # the window gradients dcol = w^T dy as a matmul, (c*kh*kw, oh*ow)
        # per batch, then each column added back into its window (col2im)
        kdim = cg * kh * kw
        dcol = kb.scratch((n, kdim, oh * ow))
        kb.fill(dcol, 0.0)
        if n == 1:
            # one image: the product of two matrices
            kb.matmul(kb.view(w, (m, kdim)), kb.view(dy, (m, oh * ow)), kb.view(dcol, (kdim, oh * ow)),
                      trans_x=True)
        else:
            kb.contraction(
                [kb.view(w, (m, kdim)), kb.view(dy, (n, m, oh * ow))],
                [dcol],
                [amap(4, [d(3), d(1)]), amap(4, [d(0), d(3), d(2)]), amap(4, [d(0), d(1), d(2)])],
                [PARALLEL] * 3 + [REDUCTION],
            )
        dcol6 = kb.view(dcol, (n, cg, kh, kw, oh, ow))
        # loops n, c, i, j, oh, ow: only n and c address distinct outputs,
        # overlapping windows collide (reductions)
        kb.generic(
            [dcol6],
            [dxp],
            [identity(6), window_map(strides, dil)],
            [PARALLEL, PARALLEL] + [REDUCTION] * 4,
            lambda s, a: [s.add(a[1], a[0])],
        )
    else:
        # loops n, g, mo, oh, ow, c, i, j over views that split the channels into
        # (group, channel in group), so every loop is a plain dimension of dy or w
        dy5 = kb.view(dy, (n, group, mg, oh, ow))
        w5 = kb.view(w, (group, mg, cg, kh, kw))
        dims = 8
        dxp_map = amap(
            dims,
            [d(0), d(1) * cg + d(5), d(3) * strides[0] + d(6) * dil[0], d(4) * strides[1] + d(7) * dil[1]],
        )
        # only n, g and c address distinct outputs; the other loops collide
        # (overlapping taps), hence reductions
        iters = [PARALLEL, PARALLEL, REDUCTION, REDUCTION, REDUCTION, PARALLEL, REDUCTION, REDUCTION]
        kb.contraction(
            [dy5, w5],
            [dxp],
            [amap(dims, [d(0), d(1), d(2), d(3), d(4)]), amap(dims, [d(1), d(2), d(5), d(6), d(7)]), dxp_map],
            iters,
        )
    if padded:
        offset_copy(kb, dxp, out, (0, 0, top, left), into_larger=False)


def lower_conv2d_weight_grad(kb: KernelBuilder, op: Operation | None) -> None:
    """dw[m, c, i, j] = sum over n, oh, ow of xpad[n, .., oh*s + i*dil, ..] * dy[n, m, oh, ow]
    (one group: im2col and a matmul)."""
    assert isinstance(op, grad.Conv2dWeightGradOp)
    out, x, dy = kb.args
    strides, pads, dil, group = train.Conv2dOp.geometry(op.properties)
    m, cg, kh, kw = shape(out)
    n, _, oh, ow = shape(dy)
    mg = m // group
    xp = pad_nchw(kb, x, pads, 0.0)
    kb.fill(out, 0.0)
    if group == 1:
        # dw = dy col^T: the input windows as columns (im2col), one matmul
        # reduced over the batch and the output positions
        col = im2col(kb, xp, (cg, kh, kw), (oh, ow), strides, dil)
        kdim = cg * kh * kw
        if n == 1:
            # one image: dy (m, oh*ow) by the columns (kdim, oh*ow) transposed
            kb.matmul(kb.view(dy, (m, oh * ow)), kb.view(col, (kdim, oh * ow)), kb.view(out, (m, kdim)),
                      trans_y=True)
            return
        kb.contraction(
            [kb.view(dy, (n, m, oh * ow)), col],
            [kb.view(out, (m, kdim))],
            [amap(4, [d(2), d(0), d(3)]), amap(4, [d(2), d(1), d(3)]), amap(4, [d(0), d(1)])],
            [PARALLEL, PARALLEL, REDUCTION, REDUCTION],
        )
        return
    # loops g, mo, c, i, j (the weight), then n, oh, ow (reduced)
    dw5 = kb.view(out, (group, mg, cg, kh, kw))
    dy5 = kb.view(dy, (n, group, mg, oh, ow))
    dims = 8
    x_map = amap(
        dims,
        [d(5), d(0) * cg + d(2), d(6) * strides[0] + d(3) * dil[0], d(7) * strides[1] + d(4) * dil[1]],
    )
    kb.contraction(
        [xp, dy5],
        [dw5],
        [x_map, amap(dims, [d(5), d(0), d(1), d(6), d(7)]), amap(dims, [d(0), d(1), d(2), d(3), d(4)])],
        [PARALLEL] * 5 + [REDUCTION] * 3,
    )


def lower_maxpool_grad(kb: KernelBuilder, op: Operation | None) -> None:
    """dy goes to the first maximum of each window (row-major scan, like
    argmax), accumulating where windows overlap: the window max is
    recomputed, then one pass over the windows adds dy where x equals it
    and the window's `routed` flag is still 0, and sets the flag."""
    assert isinstance(op, grad.MaxPool2dGradOp)
    out, x, dy = kb.args
    kernel, strides, pads = train.MaxPool2dOp.geometry(op.properties)
    n, c, h, w = shape(x)
    _, _, oh, ow = shape(dy)
    top, left, bottom, right = pads
    # n and c fold into one loop (both parallel, contiguous in every
    # buffer): one loop level less keeps the routing nest's pointers, bounds
    # and counters within the integer registers (2x16x8x8 ran out)
    nc = n * c
    hp, wp = h + top + bottom, w + left + right
    xp = kb.view(pad_nchw(kb, x, pads, F32_LOWEST), (nc, hp, wp))
    dy3 = kb.view(dy, (nc, oh, ow))
    mx = kb.scratch((nc, oh, ow))
    routed = kb.scratch((nc, oh, ow))
    padded = any(pads)
    # views are taken of kernel arguments only (one level: the kernel
    # builder passes each loop nest the arguments its views start from)
    dxp4 = kb.scratch((n, c, hp, wp)) if padded else out
    dxp = kb.view(dxp4, (nc, hp, wp))
    window = kb.view(mx, kernel)  # only its shape is used (loop bounds)
    dims = 5
    x_map = amap(dims, [d(0), d(1) * strides[0] + d(3), d(2) * strides[1] + d(4)])
    pooled = amap(dims, [d(0), d(1), d(2)])
    win_map = amap(dims, [d(3), d(4)])
    kb.fill(mx, F32_LOWEST)
    kb.generic(
        [xp, window],
        [mx],
        [x_map, win_map, pooled],
        [PARALLEL] * 3 + [REDUCTION] * 2,
        lambda s, a: [s.max(a[2], a[0])],
    )
    kb.fill(routed, 0.0)
    kb.fill(dxp, 0.0)

    def route(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        xv, mv, g, _, acc, flag = a
        # 1 at the first maximum only: flag is 0 or 1, so (1 - flag) masks
        # later ties without an integer `and`
        hit = s.select(s.cmp("oeq", xv, mv), s.sub(s.const(1.0), flag), s.const(0.0))
        return [s.add(acc, s.mul(hit, g)), s.add(flag, hit)]

    # i, j innermost and in order, so the first match is argmax's; windows
    # overlap in dxp, hence reductions except over n*c
    kb.generic(
        [xp, mx, dy3, window],
        [dxp, routed],
        [x_map, pooled, pooled, win_map, x_map, pooled],
        [PARALLEL] + [REDUCTION] * 4,
        route,
    )
    if padded:
        offset_copy(kb, dxp4, out, (0, 0, top, left), into_larger=False)


def lower_cross_entropy_grad(kb: KernelBuilder, op: Operation | None) -> None:
    """(softmax(x) - onehot(labels)) * dy / N, as exp(x - max) * r - onehot * dy / N
    with r = dy / (N * sum exp): one division per row, not per element."""
    out, x, labels, dy = kb.args
    n, _ = shape(x)
    inv_n = 1.0 / n
    mx = kb.scratch((n, 1))
    rowscale = kb.scratch((n, 1))
    kb.fill(mx, F32_LOWEST)
    kb.reduce_into(mx, x, [1], lambda s, acc, v: s.max(acc, v))
    kb.map_elementwise(out, [x, mx], lambda s, a: [s.exp(s.sub(a[0], a[1]))])
    kb.fill(rowscale, 0.0)
    kb.reduce_into(rowscale, out, [1], lambda s, acc, v: s.add(acc, v))
    kb.map_elementwise(rowscale, [dy], lambda s, a: [s.div(s.mul(a[0], s.const(inv_n)), a[1])])

    def body(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        lab, r, g, e = a
        onehot = s.select_eq_index(s.index(1), lab, s.mul(g, s.const(inv_n)), s.const(0.0))
        return [s.sub(s.mul(e, r), onehot)]

    kb.generic(
        [labels, rowscale, dy],
        [out],
        [amap(2, [d(0)]), amap(2, [d(0), 0]), amap(2, [0]), identity(2)],
        [PARALLEL, PARALLEL],
        body,
    )


def lower_slice(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, grad.SliceOp)
    out, x = kb.args
    rank = len(shape(x))
    axis = op.axis.value.data % rank
    offsets = [op.start.value.data if i == axis else 0 for i in range(rank)]
    offset_copy(kb, x, out, offsets, into_larger=False)


def lower_broadcast(kb: KernelBuilder, op: Operation | None) -> None:
    out, x = kb.args
    kb.map_elementwise(out, [x], lambda s, a: [a[0]])


def lower_slice_scatter(kb: KernelBuilder, op: Operation | None) -> None:
    assert isinstance(op, grad.SliceScatterOp)
    out, dy = kb.args
    shape_in = train.ints(op.input_shape, ())
    starts, _, steps = train.slice_geometry(op.name, shape_in, op.properties)
    if not shape_in:  # the gradient of a rank-0 slice (a copy) is a copy
        kb.map_elementwise(out, [dy], lambda s, a: [a[0]])
        return
    kb.fill(out, 0.0)
    strided_copy(kb, dy, out, starts, steps, into_larger=True)


# -- batch normalisation (issue 13) -------------------------------------------

from tdopt.lowering.train_kernels import batch_statistics, channel_generic, inverse_std  # noqa: E402


def lower_batchnorm_grad(kb: KernelBuilder, op: Operation | None) -> None:
    """dscale = sum(dy * xhat), dbias = sum(dy) per channel, xhat = (x -
    mean) * rstd; dx = scale * rstd * dy with frozen statistics, and with
    batch statistics dx = scale * rstd * (dy - dbias / n - xhat * dscale / n)
    (n values per channel): the statistics' own gradients folded in."""
    assert isinstance(op, grad.BatchNormGradOp)
    dx, dscale, dbias, x, scale, mean, var, dy = kb.args
    eps = float(op.epsilon.value.data)
    training = op.training is not None
    c = shape(x)[1]
    rstd = kb.scratch((c,))
    if training:
        bmean = kb.scratch((c,))
        count = batch_statistics(kb, x, bmean, rstd)
        inverse_std(kb, rstd, rstd, 1.0 / count, eps)
        mean = bmean
    else:
        inverse_std(kb, rstd, var, 1.0, eps)
    kb.fill(dscale, 0.0)
    kb.fill(dbias, 0.0)

    def sums(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        g, xv, m, r, acc_s, acc_b = a
        xhat = s.mul(s.sub(xv, m), r)
        return [s.add(acc_s, s.mul(g, xhat)), s.add(acc_b, g)]

    channel_generic(kb, [dscale, dbias], [dy, x], [mean, rstd], sums, reduce=True)
    if not training:
        channel_generic(
            kb, [dx], [dy], [scale, rstd], lambda s, a: [s.mul(a[0], s.mul(a[1], a[2]))], reduce=False
        )
        return
    # dx = k (dy - db/n - (x - mean) r ds/n), k = scale r, as dx = k dy + p x + q
    # per channel (p = -k r ds/n, q = k (mean r ds - db)/n): the elementwise
    # pass reads two tensors and three vectors (registers hold every pointer)
    inv = 1.0 / count
    p = kb.scratch((c,))
    q = kb.scratch((c,))

    def coefficients(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        sc, r, m, ds, db, _, _ = a
        k = s.mul(sc, r)
        rds = s.mul(s.mul(r, ds), s.const(inv))
        return [s.mul(s.sub(s.const(0.0), k), rds), s.mul(k, s.sub(s.mul(m, rds), s.mul(db, s.const(inv))))]

    kb.generic(
        [scale, rstd, mean, dscale, dbias], [p, q], [identity(1)] * 7, [PARALLEL], coefficients
    )
    kb.map_elementwise(rstd, [scale], lambda s, a: [s.mul(a[0], a[1])])  # rstd <- k

    def final(s: Scalar, a: list[SSAValue]) -> list[SSAValue]:
        g, xv, k, pv, qv, _ = a
        return [s.add(s.add(s.mul(k, g), s.mul(pv, xv)), qv)]

    channel_generic(kb, [dx], [dy, x], [rstd, p, q], final, reduce=False)


GRAD_KERNELS: dict[type[Operation], Lower] = {
    grad.ReluGradOp: lower_relu_grad,
    grad.GeluGradOp: lower_gelu_grad,
    grad.SoftmaxGradOp: lower_softmax_grad,
    grad.LayerNormGradOp: lower_layernorm_grad,
    grad.Conv2dInputGradOp: lower_conv2d_input_grad,
    grad.Conv2dWeightGradOp: lower_conv2d_weight_grad,
    grad.MaxPool2dGradOp: lower_maxpool_grad,
    grad.CrossEntropyGradOp: lower_cross_entropy_grad,
    grad.SliceOp: lower_slice,
    grad.BroadcastOp: lower_broadcast,
    # strided slices
    grad.SliceScatterOp: lower_slice_scatter,
}

# batch normalisation (issue 13)
GRAD_KERNELS[grad.BatchNormGradOp] = lower_batchnorm_grad
