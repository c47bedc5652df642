"""numpy semantics of the train dialect's ops (the numeric oracle).

Each function computes in the dtype of its inputs, like the generated code
does, so float32 models are checked at float32 and float64 ones (finite
differences) at float64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_erf = np.vectorize(math.erf, otypes=[np.float64])


def erf(x: np.ndarray) -> np.ndarray:
    return _erf(x.astype(np.float64)).astype(x.dtype)


def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    if approximate == "tanh":
        c = np.asarray(math.sqrt(2.0 / math.pi), dtype=x.dtype)
        return (0.5 * x * (1.0 + np.tanh(c * (x + 0.044715 * x**3)))).astype(x.dtype)
    return (0.5 * x * (1.0 + erf(x / np.asarray(math.sqrt(2.0), dtype=x.dtype)))).astype(
        x.dtype
    )


def relu(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, np.zeros((), dtype=x.dtype))


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def layernorm(
    x: np.ndarray,
    scale: np.ndarray,
    bias: np.ndarray | None,
    axis: int,
    epsilon: float,
) -> np.ndarray:
    axes = tuple(range(axis % x.ndim, x.ndim))
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x - mean) / np.sqrt(var + np.asarray(epsilon, dtype=x.dtype)) * scale
    if bias is not None:
        y = y + bias
    return y.astype(x.dtype)


def gemm(
    a: np.ndarray,
    b: np.ndarray,
    c: np.ndarray | None,
    trans_a: bool,
    trans_b: bool,
    alpha: float,
    beta: float,
) -> np.ndarray:
    aa = a.T if trans_a else a
    bb = b.T if trans_b else b
    y = np.asarray(alpha, dtype=a.dtype) * (aa @ bb)
    if c is not None:
        y = y + np.asarray(beta, dtype=a.dtype) * c
    return y.astype(a.dtype)


def pad_nchw(x: np.ndarray, pads: Sequence[int], value: float) -> np.ndarray:
    top, left, bottom, right = pads
    return np.pad(
        x, ((0, 0), (0, 0), (top, bottom), (left, right)), constant_values=value
    )


def windows(
    x: np.ndarray, kh: int, kw: int, strides: Sequence[int], dilations: Sequence[int]
) -> np.ndarray:
    """[N, C, OH, OW, kh, kw] view of the (already padded) input."""
    dh, dw = dilations
    span_h, span_w = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    v = np.lib.stride_tricks.sliding_window_view(x, (span_h, span_w), axis=(2, 3))
    return v[:, :, :: strides[0], :: strides[1], ::dh, ::dw]


def conv2d(
    x: np.ndarray,
    w: np.ndarray,
    b: np.ndarray | None,
    strides: Sequence[int],
    pads: Sequence[int],
    dilations: Sequence[int],
    group: int,
) -> np.ndarray:
    m, cg, kh, kw = w.shape
    win = windows(pad_nchw(x, pads, 0.0), kh, kw, strides, dilations)
    mg = m // group
    outs = []
    for g in range(group):
        xs = win[:, g * cg : (g + 1) * cg]
        ws = w[g * mg : (g + 1) * mg]
        outs.append(np.einsum("nchwij,mcij->nmhw", xs, ws, optimize=True))
    y = np.concatenate(outs, axis=1)
    if b is not None:
        y = y + b.reshape(1, m, 1, 1)
    return y.astype(x.dtype)


def maxpool2d(
    x: np.ndarray, kernel: Sequence[int], strides: Sequence[int], pads: Sequence[int]
) -> np.ndarray:
    win = windows(pad_nchw(x, pads, -np.inf), kernel[0], kernel[1], strides, (1, 1))
    return win.max(axis=(4, 5)).astype(x.dtype)


def cross_entropy(logits: np.ndarray, labels: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    picked = logp[np.arange(logits.shape[0]), labels.astype(np.int64)]
    return np.asarray(-picked.mean(), dtype=logits.dtype)


def mse(prediction: np.ndarray, target: np.ndarray) -> np.ndarray:
    return np.asarray(((prediction - target) ** 2).mean(), dtype=prediction.dtype)


def reduce(x: np.ndarray, axes: Sequence[int], keepdims: bool, kind: str) -> np.ndarray:
    ax = tuple(axes) if axes else tuple(range(x.ndim))
    f = np.mean if kind == "mean" else np.sum
    return np.asarray(f(x, axis=ax, keepdims=keepdims), dtype=x.dtype)


# -- batch normalisation (issue 13) -------------------------------------------


def per_channel(v: np.ndarray, ndim: int) -> np.ndarray:
    """A channel vector broadcast along axis 1 of an N x C [x spatial...] tensor."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


def channel_axes(ndim: int) -> tuple[int, ...]:
    return (0, *range(2, ndim))


def batch_statistics(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and biased (population) variance."""
    axes = channel_axes(x.ndim)
    mean = x.mean(axis=axes)
    return mean, ((x - per_channel(mean, x.ndim)) ** 2).mean(axis=axes)


def batchnorm(
    x: np.ndarray,
    scale: np.ndarray,
    bias: np.ndarray,
    mean: np.ndarray,
    var: np.ndarray,
    epsilon: float,
    training: bool,
) -> np.ndarray:
    if training:
        mean, var = batch_statistics(x)
    n = x.ndim
    rstd = 1.0 / np.sqrt(var + np.asarray(epsilon, dtype=x.dtype))
    y = (x - per_channel(mean, n)) * per_channel(rstd * scale, n) + per_channel(bias, n)
    return y.astype(x.dtype)


def batchnorm_update(
    x: np.ndarray, mean: np.ndarray, var: np.ndarray, momentum: float
) -> tuple[np.ndarray, np.ndarray]:
    """Running statistics after one batch (ONNX momentum, unbiased variance)."""
    batch_mean, batch_var = batch_statistics(x)
    count = x.size // x.shape[1]
    unbiased = batch_var * (count / (count - 1))
    m = np.asarray(momentum, dtype=x.dtype)
    one = np.asarray(1.0, dtype=x.dtype)
    return (
        (m * mean + (one - m) * batch_mean).astype(x.dtype),
        (m * var + (one - m) * unbiased).astype(x.dtype),
    )


# -- strided slices --------------------------------------------------------------


def slice_indices(starts: Sequence[int], sizes: Sequence[int], steps: Sequence[int]):
    """The open mesh of the indices a strided slice selects (numpy's
    start:stop:step cannot express a negative step that ends at index 0)."""
    return np.ix_(*[s + k * np.arange(n) for s, n, k in zip(starts, sizes, steps)])


def strided_slice(
    x: np.ndarray, starts: Sequence[int], sizes: Sequence[int], steps: Sequence[int]
) -> np.ndarray:
    # np.array, not np.ascontiguousarray: that makes a rank-0 result rank 1
    return np.array(x[slice_indices(starts, sizes, steps)], dtype=x.dtype, order="C")
