"""numpy semantics of the `grad` dialect (backward kernels).

Like `kernels.py`, every function computes in the dtype of its inputs so
float64 graphs can be checked against finite differences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from tdopt.interpreter.kernels import erf, pad_nchw, slice_indices, softmax, windows


def relu_grad(x: np.ndarray, dy: np.ndarray) -> np.ndarray:
    return np.where(x > 0, dy, np.zeros((), dtype=dy.dtype)).astype(dy.dtype)


def gelu_grad(x: np.ndarray, dy: np.ndarray, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        c = math.sqrt(2.0 / math.pi)
        t = np.tanh(c * (x + 0.044715 * x**3))
        d = 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * c * (1.0 + 3 * 0.044715 * x**2)
    else:
        cdf = 0.5 * (1.0 + erf(x / np.asarray(math.sqrt(2.0), dtype=x.dtype)))
        pdf = np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
        d = cdf + x * pdf
    return (dy * d).astype(dy.dtype)


def softmax_grad(y: np.ndarray, dy: np.ndarray, axis: int) -> np.ndarray:
    return (y * (dy - (dy * y).sum(axis=axis, keepdims=True))).astype(dy.dtype)


def layernorm_grad(
    x: np.ndarray, scale: np.ndarray, dy: np.ndarray, axis: int, epsilon: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    axes = tuple(range(axis % x.ndim, x.ndim))
    lead = tuple(range(axis % x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    rstd = 1.0 / np.sqrt(((x - mean) ** 2).mean(axis=axes, keepdims=True) + epsilon)
    xhat = (x - mean) * rstd
    g = dy * scale
    # d/dx of (x - mean) * rstd, contracted with g
    dx = rstd * (
        g - g.mean(axis=axes, keepdims=True) - xhat * (g * xhat).mean(axis=axes, keepdims=True)
    )
    dscale = (dy * xhat).sum(axis=lead)
    dbias = dy.sum(axis=lead)
    return dx.astype(x.dtype), dscale.astype(x.dtype), dbias.astype(x.dtype)


def conv2d_input_grad(
    dy: np.ndarray,
    w: np.ndarray,
    input_shape: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
    group: int,
) -> np.ndarray:
    n, c, h, wd = input_shape
    m, cg, kh, kw = w.shape
    top, left, bottom, right = pads
    _, _, oh, ow = dy.shape
    sh, sw = strides
    dh, dw = dilations
    mg = m // group
    dx = np.zeros((n, c, h + top + bottom, wd + left + right), dtype=dy.dtype)
    # each kernel tap scatters dy (mixed over output channels) into a strided
    # window of the padded input
    for g in range(group):
        dyg = dy[:, g * mg : (g + 1) * mg]
        wg = w[g * mg : (g + 1) * mg]
        for i in range(kh):
            for j in range(kw):
                contrib = np.einsum("nmhw,mc->nchw", dyg, wg[:, :, i, j])
                dx[
                    :,
                    g * cg : (g + 1) * cg,
                    i * dh : i * dh + sh * (oh - 1) + 1 : sh,
                    j * dw : j * dw + sw * (ow - 1) + 1 : sw,
                ] += contrib
    return dx[:, :, top : top + h, left : left + wd].astype(dy.dtype)


def conv2d_weight_grad(
    x: np.ndarray,
    dy: np.ndarray,
    kernel: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
    group: int,
) -> np.ndarray:
    m = dy.shape[1]
    cg = x.shape[1] // group
    mg = m // group
    win = windows(pad_nchw(x, pads, 0.0), kernel[0], kernel[1], strides, dilations)
    outs = []
    for g in range(group):
        xs = win[:, g * cg : (g + 1) * cg]
        outs.append(
            np.einsum("nchwij,nmhw->mcij", xs, dy[:, g * mg : (g + 1) * mg], optimize=True)
        )
    return np.concatenate(outs, axis=0).astype(x.dtype)


def maxpool2d_grad(
    x: np.ndarray,
    dy: np.ndarray,
    kernel: Sequence[int],
    strides: Sequence[int],
    pads: Sequence[int],
) -> np.ndarray:
    kh, kw = kernel
    sh, sw = strides
    top, left, bottom, right = pads
    n, c, h, w = x.shape
    _, _, oh, ow = dy.shape
    win = windows(pad_nchw(x, pads, -np.inf), kh, kw, strides, (1, 1))
    first = win.reshape(n, c, oh, ow, kh * kw).argmax(axis=-1)  # first maximum
    dx = np.zeros((n, c, h + top + bottom, w + left + right), dtype=dy.dtype)
    for i in range(kh):
        for j in range(kw):
            routed = np.where(first == i * kw + j, dy, np.zeros((), dtype=dy.dtype))
            dx[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] += routed
    return dx[:, :, top : top + h, left : left + w].astype(dy.dtype)


def cross_entropy_grad(logits: np.ndarray, labels: np.ndarray, dy: np.ndarray) -> np.ndarray:
    n = logits.shape[0]
    p = softmax(logits, axis=1)
    p[np.arange(n), labels.astype(np.int64)] -= 1.0
    return (p * (dy / n)).astype(logits.dtype)


def slice_axis(x: np.ndarray, axis: int, start: int, size: int) -> np.ndarray:
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, start + size)
    return np.ascontiguousarray(x[tuple(index)])


def broadcast(x: np.ndarray, shape: Sequence[int]) -> np.ndarray:
    # np.array: np.ascontiguousarray makes a rank-0 result rank 1
    return np.array(np.broadcast_to(x, tuple(shape)), order="C")


# -- batch normalisation (issue 13) -------------------------------------------

from tdopt.interpreter.kernels import batch_statistics, channel_axes, per_channel  # noqa: E402


def batchnorm_grad(
    x: np.ndarray,
    scale: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    dy: np.ndarray,
    epsilon: float,
    training: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Gradients of `train.batchnorm` w.r.t. input, scale and bias. With
    batch statistics the input gradient goes through the mean and variance
    too: dx = scale * rstd * (dy - mean(dy) - xhat * mean(dy * xhat))."""
    n = x.ndim
    axes = channel_axes(n)
    if training:
        mean, var = batch_statistics(x)
    rstd = 1.0 / np.sqrt(var + np.asarray(epsilon, dtype=x.dtype))
    xhat = (x - per_channel(mean, n)) * per_channel(rstd, n)
    dscale = (dy * xhat).sum(axis=axes)
    dbias = dy.sum(axis=axes)
    if training:
        count = x.size // x.shape[1]
        inner = dy - per_channel(dbias / count, n) - xhat * per_channel(dscale / count, n)
    else:
        inner = dy
    dx = per_channel(scale * rstd, n) * inner
    return dx.astype(x.dtype), dscale.astype(x.dtype), dbias.astype(x.dtype)


def slice_scatter(
    dy: np.ndarray,
    input_shape: Sequence[int],
    starts: Sequence[int],
    sizes: Sequence[int],
    steps: Sequence[int],
) -> np.ndarray:
    dx = np.zeros(tuple(input_shape), dtype=dy.dtype)
    dx[slice_indices(starts, sizes, steps)] = dy
    return dx
