"""Property-based fuzzer of the `train` dialect (issue 14, part 2).

It lives in `test/fuzz/`, not in `tools/`: it needs the test extras
(hypothesis, torch) that an installed tdopt does not ship, and it checks
the compiler rather than serving its users. `tools/fuzz.sh N` runs it as a
script; `test_fuzz.py` runs a small fixed (derandomized) budget in the suite.

A generated case (`Case`) is one function: a tensor `x` (an input, or a
parameter), 1 to 4 ops chained on it (`STEPS`), each op's other operands
parameters with a random trainable flag, and a cross-entropy or MSE loss.
Shapes are small (every dimension <= 8, at most 2048 elements per tensor).
With probability ~1/8 the last op gets invalid shapes or attributes.

Properties (`check_case`; each failure is one line in the returned list):
  (a) a valid module verifies; an invalid one, written as MLIR text and
      given to `tdopt`, fails with exit 1 and a diagnostic located at the
      op's line that names the op (never an internal error or traceback);
  (b) the reference interpreter's forward (float64) equals an independent
      PyTorch implementation of every op (`torch_*` below, not tdopt code);
  (c) `train-autodiff` gradients equal torch.autograd's;
  (d) optionally, `tdopt --finetune=TRAINABLE --emit=asm` with a random
      `--tile-l1` (none, 64k, 128k) and `--cores` succeeds, or fails with a
      diagnostic naming a train/grad op (an internal error is a bug);
  (e) optionally, the float32 training step (autodiff + SGD) runs on the
      RTL (random cores and L1 tiling) and matches the reference
      interpreter.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from hypothesis import strategies as st
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    StringAttr,
    UnitAttr,
    f64,
    i64,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.printer import Printer

from runner import one_in
from tdopt.dialects import train

MAX_DIM = 8
MAX_ELEMENTS = 2048
MAX_OPS = 4

Shape = tuple[int, ...]


# ---------------------------------------------------------------------------
# the generated case
# ---------------------------------------------------------------------------


@dataclass
class Extra:
    """A further operand of an op: a parameter, or (`fill`) a constant."""

    shape: Shape
    positive: bool = False  # values in [0.5, 1.5] (denominators)
    fill: float | None = None  # a constant of this value (avg-pool weights)
    trainable: bool = False


@dataclass
class Step:
    """One op of the chain: `kind` (a key of STEPS), its attributes as
    Python values, its other operands and the chain value's position."""

    kind: str
    attrs: dict[str, Any]
    extras: list[Extra] = field(default_factory=list)
    x_pos: int = 0
    invalid: str | None = None  # what is wrong (an invalid step is the last)


@dataclass
class Case:
    x_shape: Shape
    x_param: bool  # x is a parameter (else a function input)
    x_trainable: bool
    steps: list[Step]
    loss: str  # "cross_entropy" or "mse"
    seed: int
    compile: dict[str, Any] | None = None  # {"tile_l1": ..., "cores": ...}
    rtl: dict[str, Any] | None = None  # {"cores": ..., "tile_l1": ...}

    @property
    def invalid(self) -> bool:
        return bool(self.steps) and self.steps[-1].invalid is not None


def size(shape: Sequence[int]) -> int:
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def fits(shape: Sequence[int]) -> bool:
    return all(1 <= d <= MAX_DIM for d in shape) and size(shape) <= MAX_ELEMENTS


# ---------------------------------------------------------------------------
# attribute helpers
# ---------------------------------------------------------------------------


def arr(values: Sequence[int]):
    return train.i64_array(list(values))


def fl(v: float) -> FloatAttr:
    return FloatAttr(v, f64)


def i(v: int) -> IntegerAttr:
    return IntegerAttr(v, i64)


Draw = Callable[[st.SearchStrategy[Any]], Any]


def ints_(draw: Draw, lo: int, hi: int) -> int:
    return draw(st.integers(lo, hi))


# ---------------------------------------------------------------------------
# ops: how to draw a valid / invalid step, build it, and compute it in torch
# ---------------------------------------------------------------------------


class Kind:
    """An op of the fuzzer. `valid` draws a step for an input of `shape`
    (None when the op does not apply), `invalid` one the verifier must
    reject; `build` creates the train ops, `torch` computes the same
    function with PyTorch (operands in the step's order)."""

    op: type[Operation]

    def valid(self, draw: Draw, shape: Shape) -> Step | None:
        raise NotImplementedError

    def invalid(self, draw: Draw, shape: Shape) -> Step | None:
        return None

    def props(self, step: Step) -> dict[str, Attribute]:
        return {}

    def build(self, operands: list[SSAValue], step: Step, invalid_type: Attribute | None) -> Operation:
        props = {k: v for k, v in self.props(step).items() if v is not None}
        if invalid_type is not None:  # not inferable: the verifier must say why
            return self.op.create(operands=operands, result_types=[invalid_type], properties=props)
        return self.op.make(operands, **props)  # type: ignore[attr-defined]

    def torch(self, ts: list[torch.Tensor], step: Step) -> torch.Tensor:
        raise NotImplementedError


class Unary(Kind):
    def __init__(self, op, fn, params: dict[str, Sequence[float]] | None = None, bad: dict[str, Any] | None = None):
        self.op, self.fn, self.params, self.bad = op, fn, params or {}, bad or {}

    def valid(self, draw, shape):
        attrs = {}
        for name, choices in self.params.items():
            if draw(st.booleans()):
                attrs[name] = draw(st.sampled_from(list(choices)))
        return Step(self.op.name, attrs)

    def invalid(self, draw, shape):
        if not self.bad:
            return None
        name = draw(st.sampled_from(sorted(self.bad)))
        return Step(self.op.name, {name: self.bad[name]}, invalid=f"{name} = {self.bad[name]}")

    def props(self, step):
        return {k: (StringAttr(v) if isinstance(v, str) else fl(v)) for k, v in step.attrs.items()}

    def torch(self, ts, step):
        return self.fn(ts[0], **step.attrs)


def _gelu(x, approximate="none"):
    return F.gelu(x, approximate=approximate)


def _clip(x, min=None, max=None):
    if min is None and max is None:
        return x.clone()
    return torch.clamp(x, min, max)


def _hardsigmoid(x, alpha=0.2, beta=0.5):
    return torch.clamp(alpha * x + beta, 0.0, 1.0)


def _swish(x, alpha=1.0):
    return x * torch.sigmoid(alpha * x)


def _leaky(x, alpha=0.01):
    return torch.where(x > 0, x, alpha * x)


def broadcast(a: Shape, b: Shape) -> Shape | None:
    out = []
    for k in range(max(len(a), len(b))):
        da = a[len(a) - 1 - k] if k < len(a) else 1
        db = b[len(b) - 1 - k] if k < len(b) else 1
        if da != db and 1 not in (da, db):
            return None
        out.append(max(da, db))
    return tuple(reversed(out))


class Binary(Kind):
    def __init__(self, op, fn, positive_rhs: bool = False):
        self.op, self.fn, self.positive_rhs = op, fn, positive_rhs

    def valid(self, draw, shape):
        # the other operand: each aligned dimension equal, 1, or (where x
        # has 1) a new size; possibly extra leading dimensions
        rank = ints_(draw, 0, min(len(shape) + 1, 4))
        other = []
        for k in range(rank):
            if k < len(shape):
                d = shape[len(shape) - 1 - k]
                choices = [d, 1] + ([2, 3] if d == 1 else [])
                other.append(draw(st.sampled_from(choices)))
            else:
                other.append(ints_(draw, 1, 3))
        other_shape = tuple(reversed(other))
        out = broadcast(shape, other_shape)
        if out is None or not fits(out):
            return None
        # a parameter denominator is kept away from zero; x is then the numerator
        x_pos = 0 if self.positive_rhs else ints_(draw, 0, 1)
        return Step(self.op.name, {}, [Extra(other_shape, positive=self.positive_rhs)], x_pos)

    def invalid(self, draw, shape):
        big = [k for k, d in enumerate(shape) if d > 1]
        if not big:
            return None
        k = draw(st.sampled_from(big))
        other = list(shape)
        other[k] = shape[k] + 1
        return Step(self.op.name, {}, [Extra(tuple(other))], 0, invalid=f"shapes {shape} and {tuple(other)}")

    def torch(self, ts, step):
        return self.fn(ts[0], ts[1])


class MatMul(Kind):
    op = train.MatMulOp

    def valid(self, draw, shape):
        if not shape:
            return None
        if len(shape) >= 2 and draw(st.booleans()):  # x on the right: (M, K) @ x
            other = (ints_(draw, 1, 6), shape[-2])
            x_pos = 1
        else:
            k, n = shape[-1], ints_(draw, 1, 6)
            form = draw(st.sampled_from(["vector", "matrix", "batched"]))
            if form == "vector":
                other = (k,)
            elif form == "matrix":
                other = (k, n)
            else:
                other = (ints_(draw, 1, 3), k, n)
            x_pos = 0
        a, b = (shape, other) if x_pos == 0 else (other, shape)
        try:  # the batch dimensions may not broadcast
            out = tuple(torch.matmul(torch.zeros(a), torch.zeros(b)).shape)
        except RuntimeError:
            return None
        if not fits(out) or not fits(other):
            return None
        return Step(self.op.name, {}, [Extra(other)], x_pos)

    def invalid(self, draw, shape):
        if not shape:
            return None
        other = (shape[-1] + 1, ints_(draw, 1, 4))
        return Step(self.op.name, {}, [Extra(other)], 0, invalid=f"contraction {shape} @ {other}")

    def torch(self, ts, step):
        return torch.matmul(ts[0], ts[1])


class Gemm(Kind):
    op = train.GemmOp

    def valid(self, draw, shape):
        if len(shape) != 2:
            return None
        ta, tb = draw(st.booleans()), draw(st.booleans())
        m, k = shape[::-1] if ta else shape
        n = ints_(draw, 1, 6)
        b = (n, k) if tb else (k, n)
        c = draw(st.sampled_from([None, (n,), (m, 1), (m, n), (1, n), ()]))
        attrs = {"trans_a": ta, "trans_b": tb}
        for name in ("alpha", "beta"):
            if draw(st.booleans()):
                attrs[name] = draw(st.sampled_from([1.0, 0.5, -1.25, 2.0]))
        extras = [Extra(b)] + ([Extra(c)] if c is not None else [])
        return Step(self.op.name, attrs, extras)

    def invalid(self, draw, shape):
        if len(shape) != 2:
            b = (shape[-1] if shape else 1, 2)
            return Step(self.op.name, {"trans_a": False, "trans_b": False}, [Extra(b)], invalid=f"A of rank {len(shape)}")
        b = (shape[1] + 1, ints_(draw, 1, 4))
        return Step(self.op.name, {"trans_a": False, "trans_b": False}, [Extra(b)], invalid=f"A {shape}, B {b}")

    def props(self, step):
        a = step.attrs
        p: dict[str, Attribute] = {}
        if a.get("trans_a"):
            p["trans_a"] = UnitAttr()
        if a.get("trans_b"):
            p["trans_b"] = UnitAttr()
        for name in ("alpha", "beta"):
            if name in a:
                p[name] = fl(a[name])
        return p

    def torch(self, ts, step):
        a = step.attrs
        x = ts[0].T if a.get("trans_a") else ts[0]
        w = ts[1].T if a.get("trans_b") else ts[1]
        y = a.get("alpha", 1.0) * (x @ w)
        if len(ts) > 2:
            y = y + a.get("beta", 1.0) * ts[2]
        return y


def conv_out(size_: int, k: int, stride: int, pad: int, dil: int) -> int:
    return (size_ + pad - dil * (k - 1) - 1) // stride + 1


def spatial_props(attrs: dict[str, Any], names: Sequence[str]) -> dict[str, Attribute]:
    p: dict[str, Attribute] = {}
    for name in names:
        if name in attrs:
            v = attrs[name]
            p[name] = i(v) if isinstance(v, int) else arr(v)
    return p


def torch_pads(pads: Sequence[int]) -> tuple[int, int, int, int]:
    top, left, bottom, right = pads
    return (left, right, top, bottom)


class Conv(Kind):
    op = train.Conv2dOp

    def valid(self, draw, shape):
        if len(shape) != 4:
            return None
        n, c, h, w = shape
        divisors = [g for g in range(1, c + 1) if c % g == 0]
        group = draw(st.sampled_from(divisors + [c]))  # depthwise more often
        m = group * ints_(draw, 1, max(1, 6 // group) if group < c else 2)
        kh, kw = ints_(draw, 1, 3), ints_(draw, 1, 3)
        strides = (ints_(draw, 1, 3), ints_(draw, 1, 3))
        dil = (ints_(draw, 1, 2), ints_(draw, 1, 2))
        pads = tuple(ints_(draw, 0, 2) for _ in range(4))
        if conv_out(h, kh, strides[0], pads[0] + pads[2], dil[0]) < 1:
            kh, dil = 1, (1, dil[1])
        if conv_out(w, kw, strides[1], pads[1] + pads[3], dil[1]) < 1:
            kw, dil = 1, (dil[0], 1)
        attrs: dict[str, Any] = {}
        # defaults sometimes omitted, sometimes spelt out
        if strides != (1, 1) or draw(st.booleans()):
            attrs["strides"] = strides
        if any(pads) or draw(st.booleans()):
            attrs["pads"] = pads
        if dil != (1, 1) or draw(st.booleans()):
            attrs["dilations"] = dil
        if group != 1 or draw(st.booleans()):
            attrs["group"] = group
        extras = [Extra((m, c // group, kh, kw))]
        if draw(st.booleans()):
            extras.append(Extra((m,)))
        out = (n, m, conv_out(h, kh, strides[0], pads[0] + pads[2], dil[0]),
               conv_out(w, kw, strides[1], pads[1] + pads[3], dil[1]))
        if not fits(out):
            return None
        return Step(self.op.name, attrs, extras)

    def invalid(self, draw, shape):
        if len(shape) != 4:
            return Step(self.op.name, {}, [Extra((2, 1, 1, 1))], invalid=f"input of rank {len(shape)}")
        n, c, h, w = shape
        what = draw(st.sampled_from(["group", "channels", "bias", "stride", "pads", "kernel", "dilations"]))
        attrs: dict[str, Any] = {}
        weight, extras = (2, c, 1, 1), []
        if what == "group":
            attrs["group"] = c + 1
            weight = (c + 1, 1, 1, 1)
        elif what == "channels":
            weight = (2, c + 1, 1, 1)
        elif what == "bias":
            extras = [Extra((3,))]
        elif what == "stride":
            attrs["strides"] = (0, 1)
        elif what == "pads":
            attrs["pads"] = (0, -1, 0, 0)
        elif what == "kernel":
            weight = (2, c, h + 1, 1)
        else:
            attrs["dilations"] = (1,)
        return Step(self.op.name, attrs, [Extra(weight)] + extras, invalid=what)

    def props(self, step):
        return spatial_props(step.attrs, ("strides", "pads", "dilations", "group"))

    def torch(self, ts, step):
        a = step.attrs
        x = F.pad(ts[0], torch_pads(a.get("pads", (0, 0, 0, 0))))
        bias = ts[2] if len(ts) > 2 else None
        return F.conv2d(x, ts[1], bias, a.get("strides", (1, 1)), 0, a.get("dilations", (1, 1)), a.get("group", 1))


class MaxPool(Kind):
    op = train.MaxPool2dOp

    def valid(self, draw, shape):
        if len(shape) != 4:
            return None
        _, _, h, w = shape
        k = (ints_(draw, 1, 3), ints_(draw, 1, 3))
        s = (ints_(draw, 1, 3), ints_(draw, 1, 3))
        pads = (ints_(draw, 0, k[0] - 1), ints_(draw, 0, k[1] - 1), ints_(draw, 0, k[0] - 1), ints_(draw, 0, k[1] - 1))
        if conv_out(h, k[0], s[0], pads[0] + pads[2], 1) < 1 or conv_out(w, k[1], s[1], pads[1] + pads[3], 1) < 1:
            k, pads = (1, 1), (0, 0, 0, 0)
        attrs: dict[str, Any] = {"kernel": k}
        if s != (1, 1) or draw(st.booleans()):
            attrs["strides"] = s
        if any(pads) or draw(st.booleans()):
            attrs["pads"] = pads
        return Step(self.op.name, attrs)

    def invalid(self, draw, shape):
        if len(shape) != 4:
            return Step(self.op.name, {"kernel": (1, 1)}, invalid=f"input of rank {len(shape)}")
        _, _, h, w = shape
        what = draw(st.sampled_from(["pads", "kernel", "window", "strides"]))
        attrs: dict[str, Any] = {"kernel": (2, 2)} if h >= 2 and w >= 2 else {"kernel": (1, 1)}
        if what == "pads":
            attrs["pads"] = (attrs["kernel"][0], 0, 0, 0)
        elif what == "kernel":
            attrs["kernel"] = (0, 1)
        elif what == "window":
            attrs["kernel"] = (h + 1, 1)
        else:
            attrs["strides"] = (1,)
        return Step(self.op.name, attrs, invalid=what)

    def props(self, step):
        return spatial_props(step.attrs, ("kernel", "strides", "pads"))

    def torch(self, ts, step):
        a = step.attrs
        x = F.pad(ts[0], torch_pads(a.get("pads", (0, 0, 0, 0))), value=-math.inf)
        return F.max_pool2d(x, a["kernel"], a.get("strides", (1, 1)))


class AvgPool(Kind):
    """Average pooling as the ONNX importer expresses it: a depthwise
    convolution with a constant 1/(kh*kw) kernel (zero padding counted).
    The torch side is F.avg_pool2d."""

    op = train.Conv2dOp

    def valid(self, draw, shape):
        if len(shape) != 4:
            return None
        _, c, h, w = shape
        k = (ints_(draw, 1, min(3, h)), ints_(draw, 1, min(3, w)))
        s = (ints_(draw, 1, 3), ints_(draw, 1, 3))
        pads = (ints_(draw, 0, k[0] - 1), ints_(draw, 0, k[1] - 1), ints_(draw, 0, k[0] - 1), ints_(draw, 0, k[1] - 1))
        return Step("avgpool", {"kernel": k, "strides": s, "pads": pads},
                    [Extra((c, 1, *k), fill=1.0 / (k[0] * k[1]))])

    def props(self, step):
        a = step.attrs
        return {"strides": arr(a["strides"]), "pads": arr(a["pads"]), "group": i(step.extras[0].shape[0])}

    def torch(self, ts, step):
        a = step.attrs
        x = F.pad(ts[0], torch_pads(a["pads"]))
        return F.avg_pool2d(x, a["kernel"], a["strides"])


class Softmax(Kind):
    op = train.SoftmaxOp

    def valid(self, draw, shape):
        if not shape:
            return None
        return Step(self.op.name, {"axis": ints_(draw, -len(shape), len(shape) - 1)})

    def invalid(self, draw, shape):
        r = len(shape)
        axis = draw(st.sampled_from([max(r, 1), -r - 1]))
        return Step(self.op.name, {"axis": axis}, invalid=f"axis {axis} of rank {r}")

    def props(self, step):
        return {"axis": i(step.attrs["axis"])}

    def torch(self, ts, step):
        return torch.softmax(ts[0], step.attrs["axis"])


class LayerNorm(Kind):
    op = train.LayerNormOp

    def valid(self, draw, shape):
        if not shape:
            return None
        axis = ints_(draw, -len(shape), len(shape) - 1)
        norm = shape[axis:]
        extras = [Extra(norm)] + ([Extra(norm)] if draw(st.booleans()) else [])
        return Step(self.op.name, {"axis": axis, "epsilon": draw(st.sampled_from([1e-5, 1e-3]))}, extras)

    def invalid(self, draw, shape):
        if not shape:
            return None
        wrong = (*shape[1:], shape[0] + 1) if len(shape) > 1 else (shape[0] + 1,)
        return Step(self.op.name, {"axis": 0, "epsilon": 1e-5}, [Extra(wrong)], invalid=f"scale {wrong}")

    def props(self, step):
        return {"axis": i(step.attrs["axis"]), "epsilon": fl(step.attrs["epsilon"])}

    def torch(self, ts, step):
        axis = step.attrs["axis"] % ts[0].dim()
        norm = tuple(ts[0].shape[axis:])
        bias = ts[2] if len(ts) > 2 else None
        return F.layer_norm(ts[0], norm, ts[1], bias, eps=step.attrs["epsilon"])


class Reduce(Kind):
    def __init__(self, op, fn):
        self.op, self.fn = op, fn

    def valid(self, draw, shape):
        r = len(shape)
        chosen = draw(st.lists(st.integers(0, max(r - 1, 0)), unique=True, max_size=r)) if r else []
        axes = [a - r if draw(st.booleans()) else a for a in chosen]
        return Step(self.op.name, {"axes": axes, "keepdims": draw(st.booleans())})

    def invalid(self, draw, shape):
        r = len(shape)
        if r == 0:
            return Step(self.op.name, {"axes": [1], "keepdims": False}, invalid="axis 1 of a scalar")
        axes = draw(st.sampled_from([[0, -r], [r]]))
        return Step(self.op.name, {"axes": axes, "keepdims": False}, invalid=f"axes {axes} of rank {r}")

    def props(self, step):
        return {"axes": arr(step.attrs["axes"]), "keepdims": UnitAttr() if step.attrs["keepdims"] else None}

    def torch(self, ts, step):
        x = ts[0]
        dims = [a % x.dim() for a in step.attrs["axes"]] or list(range(x.dim()))
        if not dims:
            return x.clone()
        return self.fn(x, dim=dims, keepdim=step.attrs["keepdims"])


def factorizations(count: int, draw: Draw) -> Shape:
    """A random shape of `count` elements, every dimension <= MAX_DIM."""
    primes, n, p = [], count, 2
    while n > 1:
        while n % p == 0:
            primes.append(p)
            n //= p
        p += 1
    order = draw(st.permutations(primes)) if primes else []
    dims: list[int] = []
    for q in order:
        if dims and dims[-1] * q <= MAX_DIM and draw(st.booleans()):
            dims[-1] *= q
        else:
            dims.append(q)
    for _ in range(ints_(draw, 0, 1)):
        dims.insert(ints_(draw, 0, len(dims)), 1)
    return tuple(dims)


class Reshape(Kind):
    op = train.ReshapeOp

    def valid(self, draw, shape):
        target = factorizations(size(shape), draw)
        if len(target) > 5:
            return None
        return Step(self.op.name, {"shape": target})

    def invalid(self, draw, shape):
        target = (size(shape) + 1,)
        return Step(self.op.name, {"shape": target}, invalid=f"{shape} into {target}")

    def build(self, operands, step, invalid_type):
        et = operands[0].type.element_type  # type: ignore[attr-defined]
        return train.ReshapeOp.create(operands=operands, result_types=[train.tensor(step.attrs["shape"], et)])

    def torch(self, ts, step):
        return ts[0].reshape(step.attrs["shape"])


class Transpose(Kind):
    op = train.TransposeOp

    def valid(self, draw, shape):
        if len(shape) < 2:
            return None
        return Step(self.op.name, {"perm": list(draw(st.permutations(range(len(shape)))))})

    def invalid(self, draw, shape):
        r = len(shape)
        perm = draw(st.sampled_from([[0] * (r + 1), list(range(r + 1))]))
        return Step(self.op.name, {"perm": perm}, invalid=f"perm {perm} of rank {r}")

    def props(self, step):
        return {"perm": arr(step.attrs["perm"])}

    def torch(self, ts, step):
        return ts[0].permute(step.attrs["perm"])


class Concat(Kind):
    op = train.ConcatOp

    def valid(self, draw, shape):
        if not shape:
            return None
        axis = ints_(draw, -len(shape), len(shape) - 1)
        a = axis % len(shape)
        extras, total = [], shape[a]
        for _ in range(ints_(draw, 1, 2)):
            s = list(shape)
            s[a] = ints_(draw, 1, 3)
            total += s[a]
            extras.append(Extra(tuple(s)))
        out = list(shape)
        out[a] = total
        if not fits(out):
            return None
        return Step(self.op.name, {"axis": axis}, extras, ints_(draw, 0, len(extras)))

    def invalid(self, draw, shape):
        if len(shape) < 2:
            return None
        s = list(shape)
        s[1] += 1
        return Step(self.op.name, {"axis": 0}, [Extra(tuple(s))], invalid=f"{shape} with {tuple(s)} on axis 0")

    def props(self, step):
        return {"axis": i(step.attrs["axis"])}

    def torch(self, ts, step):
        return torch.cat(ts, step.attrs["axis"])


class Slice(Kind):
    op = train.SliceOp

    def valid(self, draw, shape):
        starts, sizes, steps = [], [], []
        for n in shape:
            step = draw(st.sampled_from([1, 1, 2, -1, -2]))
            start = ints_(draw, 0, n - 1)
            most = (n - 1 - start) // step + 1 if step > 0 else start // -step + 1
            starts.append(start)
            sizes.append(ints_(draw, 1, most))
            steps.append(step)
        attrs: dict[str, Any] = {"starts": starts, "sizes": sizes}
        if any(s != 1 for s in steps) or draw(st.booleans()):
            attrs["steps"] = steps
        return Step(self.op.name, attrs)

    def invalid(self, draw, shape):
        if not shape:
            return None
        r = len(shape)
        what = draw(st.sampled_from(["start", "step", "length"]))
        starts, sizes, steps = [0] * r, [1] * r, [1] * r
        if what == "start":
            starts[0] = shape[0]
        elif what == "step":
            steps[-1] = 0
        else:
            sizes = sizes[1:]
        return Step(self.op.name, {"starts": starts, "sizes": sizes, "steps": steps}, invalid=what)

    def props(self, step):
        return spatial_props(step.attrs, ("starts", "sizes", "steps"))

    def torch(self, ts, step):
        x = ts[0]
        steps = step.attrs.get("steps", [1] * x.dim())
        for d, (start, n, s) in enumerate(zip(step.attrs["starts"], step.attrs["sizes"], steps)):
            index = torch.tensor([start + k * s for k in range(n)])
            x = torch.index_select(x, d, index)
        return x


class Pad(Kind):
    op = train.PadOp

    def valid(self, draw, shape):
        pads = [ints_(draw, 0, 2) for _ in range(2 * len(shape))]
        r = len(shape)
        out = [n + pads[k] + pads[r + k] for k, n in enumerate(shape)]
        if not fits(out):
            return None
        attrs: dict[str, Any] = {"pads": pads}
        if draw(st.booleans()):
            attrs["value"] = draw(st.sampled_from([0.0, 1.5, -2.0]))
        return Step(self.op.name, attrs)

    def invalid(self, draw, shape):
        r = len(shape)
        pads = draw(st.sampled_from([[0] * (2 * r + 1), [-1] + [0] * (2 * r - 1) if r else [-1]]))
        return Step(self.op.name, {"pads": pads}, invalid=f"pads {pads} of rank {r}")

    def props(self, step):
        p: dict[str, Attribute] = {"pads": arr(step.attrs["pads"])}
        if "value" in step.attrs:
            p["value"] = fl(step.attrs["value"])
        return p

    def torch(self, ts, step):
        x, pads = ts[0], step.attrs["pads"]
        r = x.dim()
        flat = [p for axis in reversed(range(r)) for p in (pads[axis], pads[r + axis])]
        return F.pad(x, flat, value=step.attrs.get("value", 0.0)) if flat else x.clone()


NOT_FINITE: dict[str, Any] = {"alpha": float("nan")}

STEPS: dict[str, Kind] = {
    "relu": Unary(train.ReluOp, lambda x: torch.relu(x)),
    "gelu": Unary(train.GeluOp, _gelu, {"approximate": ["none", "tanh"]}, {"approximate": "fast"}),
    "sigmoid": Unary(train.SigmoidOp, lambda x: torch.sigmoid(x)),
    "tanh": Unary(train.TanhOp, lambda x: torch.tanh(x)),
    "exp": Unary(train.ExpOp, lambda x: torch.exp(x)),
    "neg": Unary(train.NegOp, lambda x: -x),
    "erf": Unary(train.ErfOp, lambda x: torch.erf(x)),
    "softplus": Unary(train.SoftplusOp, lambda x: F.softplus(x)),
    "hardswish": Unary(train.HardSwishOp, lambda x: x * torch.clamp(x / 6 + 0.5, 0.0, 1.0)),
    "clip": Unary(train.ClipOp, _clip, {"min": [-0.5, 0.0, 0.3], "max": [0.2, 1.0, 6.0]},
                  {"min": float("nan"), "max": float("inf")}),
    "leaky_relu": Unary(train.LeakyReluOp, _leaky, {"alpha": [0.01, 0.1, 0.3]}, NOT_FINITE),
    "hardsigmoid": Unary(train.HardSigmoidOp, _hardsigmoid, {"alpha": [0.2, 1 / 6], "beta": [0.5, 0.25]}, NOT_FINITE),
    "swish": Unary(train.SwishOp, _swish, {"alpha": [1.0, 1.5]}, NOT_FINITE),
    "add": Binary(train.AddOp, torch.add),
    "sub": Binary(train.SubOp, torch.sub),
    "mul": Binary(train.MulOp, torch.mul),
    "div": Binary(train.DivOp, torch.div, positive_rhs=True),
    "max": Binary(train.MaxOp, torch.maximum),
    "min": Binary(train.MinOp, torch.minimum),
    "matmul": MatMul(),
    "gemm": Gemm(),
    "conv2d": Conv(),
    "maxpool2d": MaxPool(),
    "avgpool": AvgPool(),
    "softmax": Softmax(),
    "layernorm": LayerNorm(),
    "reduce_sum": Reduce(train.ReduceSumOp, torch.sum),
    "reduce_mean": Reduce(train.ReduceMeanOp, torch.mean),
    "reshape": Reshape(),
    "transpose": Transpose(),
    "concat": Concat(),
    "slice": Slice(),
    "pad": Pad(),
}


def kind_of(step: Step) -> Kind:
    return STEPS[step.kind.removeprefix("train.")]


# ---------------------------------------------------------------------------
# the hypothesis strategy
# ---------------------------------------------------------------------------


def shapes(rank: int) -> st.SearchStrategy[Shape]:
    return st.lists(st.integers(1, MAX_DIM), min_size=rank, max_size=rank).map(tuple).filter(fits)


@st.composite
def cases(
    draw: Draw,
    invalid_rate: int = 8,
    compile_rate: int = 0,
    rtl_rate: int = 0,
) -> Case:
    """A random case; one in `invalid_rate` has an invalid last op, one in
    `compile_rate` (0: none) is compiled to assembly, one in `rtl_rate`
    runs on the RTL."""
    rank = draw(st.sampled_from([0, 1, 2, 2, 3, 4, 4, 4]))
    x_shape = draw(shapes(rank))
    names = sorted(STEPS)
    steps: list[Step] = []
    shape = x_shape
    invalid = invalid_rate > 0 and draw(st.integers(0, invalid_rate - 1)) == 0
    n_ops = ints_(draw, 1, MAX_OPS)
    while len(steps) < n_ops:
        kind = draw(st.sampled_from(names))
        last = len(steps) == n_ops - 1
        if invalid and last:
            step = STEPS[kind].invalid(draw, shape)
            if step is None:
                continue
            steps.append(step)
            break
        step = STEPS[kind].valid(draw, shape)
        if step is None:
            continue
        out = result_shape(step, shape)
        if not fits(out) and out != ():
            continue
        steps.append(step)
        shape = out
    x_param = draw(st.booleans())
    x_trainable = x_param and draw(st.booleans())
    for step in steps:
        for e in step.extras:
            e.trainable = e.fill is None and draw(st.booleans())
    if not x_trainable and not any(e.trainable for s in steps for e in s.extras):
        x_param = x_trainable = True  # something to differentiate
    loss = "mse" if shape == () else draw(st.sampled_from(["cross_entropy", "mse"]))
    seed = draw(st.integers(0, 2**31 - 1))
    compile_ = rtl = None
    if compile_rate and not invalid and one_in(draw, compile_rate):
        compile_ = {"tile_l1": draw(st.sampled_from([None, "64k", "128k"])), "cores": ints_(draw, 1, 8)}
    if rtl_rate and not invalid and one_in(draw, rtl_rate):
        rtl = {"cores": ints_(draw, 1, 8), "tile_l1": draw(st.sampled_from([None, "64k", "128k"]))}
    return Case(x_shape, x_param, x_trainable, steps, loss, seed, compile_, rtl)


def result_shape(step: Step, shape: Shape) -> Shape:
    """The step's result shape, from PyTorch on zeros."""
    ts = [torch.zeros(shape, dtype=torch.float64)] + [torch.ones(e.shape, dtype=torch.float64) for e in step.extras]
    ts.insert(step.x_pos, ts.pop(0))
    return tuple(kind_of(step).torch(ts, step).shape)


# ---------------------------------------------------------------------------
# values, the train module, the torch reference
# ---------------------------------------------------------------------------


def logits_shape(shape: Shape) -> Shape:
    if len(shape) == 1:
        return (1, shape[0])
    return (shape[0], size(shape[1:]))


@dataclass
class Values:
    x: np.ndarray
    extras: list[list[np.ndarray]]  # per step
    target: np.ndarray  # labels (int64) or the MSE target


def values(case: Case) -> Values:
    rng = np.random.default_rng(case.seed)
    x = rng.standard_normal(case.x_shape)
    extras = []
    for step in case.steps:
        vs = []
        for e in step.extras:
            if e.fill is not None:
                vs.append(np.full(e.shape, e.fill))
            elif e.positive:
                vs.append(rng.uniform(0.5, 1.5, e.shape))
            else:
                vs.append(rng.standard_normal(e.shape) * 0.7)
        extras.append(vs)
    shape = chain_shape(case)
    if case.loss == "cross_entropy":
        n, c = logits_shape(shape)
        target = rng.integers(0, c, n).astype(np.int64)
    else:
        target = rng.standard_normal(shape)
    return Values(x, extras, target)


def chain_shape(case: Case) -> Shape:
    shape = case.x_shape
    for step in case.steps:
        if step.invalid is None:
            shape = result_shape(step, shape)
    return shape


def param_names(case: Case) -> list[tuple[str, bool]]:
    """(name, trainable) of every parameter, in creation order."""
    out = [("x", case.x_trainable)] if case.x_param else []
    for k, step in enumerate(case.steps):
        for j, e in enumerate(step.extras):
            if e.fill is None:
                out.append((f"s{k}_{j}", e.trainable))
    return out


def build_module(case: Case, vals: Values, dtype: type, loss: bool = True, flags: bool = True) -> ModuleOp:
    """main(): the chain and (with `loss`) the loss; parameters hold their
    values inline, trainable as the case says (`flags`). Not verified (an
    invalid case's last op is invalid)."""
    et = Float64Type() if dtype == np.float64 else Float32Type()
    arg_types: list[Attribute] = []
    arg_names: list[str] = []
    if not case.x_param:
        arg_types.append(train.tensor(case.x_shape, et))
        arg_names.append("x")
    valid = not case.invalid
    if loss and valid:
        if case.loss == "cross_entropy":
            arg_types.append(train.tensor(vals.target.shape, i64))
            arg_names.append("labels")
        else:
            arg_types.append(train.tensor(vals.target.shape, et))
            arg_names.append("target")
    block = Block(arg_types=arg_types)
    for arg, name in zip(block.args, arg_names):
        arg.name_hint = name
    args = dict(zip(arg_names, block.args))

    def emit(op: Operation) -> SSAValue:
        block.add_op(op)
        return op.results[0]

    def param(name: str, v: np.ndarray, trainable: bool) -> SSAValue:
        a = np.asarray(v, dtype)
        return emit(train.ParamOp(name, train.tensor(a.shape, et), flags and trainable, train.dense_from_numpy(a)))

    if case.x_param:
        y = param("x", vals.x, case.x_trainable)
    else:
        y = args["x"]
    for k, step in enumerate(case.steps):
        operands = []
        for j, (e, v) in enumerate(zip(step.extras, vals.extras[k])):
            if e.fill is not None:
                operands.append(emit(train.ConstantOp(train.dense_from_numpy(np.asarray(v, dtype)))))
            else:
                operands.append(param(f"s{k}_{j}", v, e.trainable))
        operands.insert(step.x_pos, y)
        bad_type = y.type if step.invalid is not None else None
        y = emit(kind_of(step).build(operands, step, bad_type))
    if loss and valid:
        if case.loss == "cross_entropy":
            shape = tuple(y.type.get_shape())  # type: ignore[attr-defined]
            if len(shape) != 2:
                y = emit(train.ReshapeOp.make_to(y, logits_shape(shape)))
            y = emit(train.CrossEntropyOp.make([y, args["labels"]]))
        else:
            y = emit(train.MseOp.make([y, args["target"]]))
    block.add_op(func.ReturnOp(y))
    f = func.FuncOp("main", (arg_types, [y.type]), Region(block))
    return ModuleOp([f])


def inputs_of(case: Case, vals: Values, dtype: type, loss: bool = True) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    if not case.x_param:
        out["x"] = np.asarray(vals.x, dtype)
    if loss:
        key = "labels" if case.loss == "cross_entropy" else "target"
        out[key] = vals.target if case.loss == "cross_entropy" else np.asarray(vals.target, dtype)
    return out


def torch_reference(case: Case, vals: Values) -> tuple[torch.Tensor, torch.Tensor, dict[str, torch.Tensor]]:
    """(chain output, loss, trainable tensors by name) computed with PyTorch
    in float64; the tensors have their .grad after loss.backward()."""
    leaves: dict[str, torch.Tensor] = {}
    x = torch.tensor(vals.x, requires_grad=case.x_trainable)
    if case.x_trainable:
        leaves["x"] = x
    y = x
    for k, step in enumerate(case.steps):
        ts = []
        for j, (e, v) in enumerate(zip(step.extras, vals.extras[k])):
            t = torch.tensor(v, requires_grad=e.trainable)
            if e.trainable:
                leaves[f"s{k}_{j}"] = t
            ts.append(t)
        ts.insert(step.x_pos, y)
        y = kind_of(step).torch(ts, step)
    if case.loss == "cross_entropy":
        loss = F.cross_entropy(y.reshape(logits_shape(tuple(y.shape))), torch.tensor(vals.target))
    else:
        loss = F.mse_loss(y, torch.tensor(vals.target))
    return y, loss, leaves


# ---------------------------------------------------------------------------
# the properties
# ---------------------------------------------------------------------------


@dataclass
class Stats:
    generated: int = 0
    valid: int = 0
    rejected: int = 0  # invalid cases rejected with a located diagnostic
    checked: int = 0  # forward and gradients compared with torch
    nonfinite: int = 0  # skipped: the torch reference is not finite
    compiled: int = 0
    compile_diagnostics: int = 0  # compile refused with a diagnostic naming an op
    rtl_runs: int = 0
    rtl_matched: int = 0
    mismatches: int = 0
    internal_errors: int = 0
    other_failures: int = 0
    known: int = 0  # failures matching KNOWN_BUGS (reported, not fixed)
    failures: list[str] = field(default_factory=list)

    def summary(self) -> str:
        keys = ["generated", "valid", "rejected", "checked", "nonfinite", "compiled", "compile_diagnostics",
                "rtl_runs", "rtl_matched", "mismatches", "internal_errors", "other_failures", "known"]
        return " ".join(f"{k}={getattr(self, k)}" for k in keys)


INTERNAL = re.compile(r"internal compiler error|Traceback")


def run_tdopt(args: list[str]) -> tuple[int, str]:
    """`tdopt ARGS` in this process: (exit code, stderr)."""
    from tdopt.tools.tdopt import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = main(args)
        except SystemExit as e:  # argparse
            code = int(e.code or 0)
    return code, err.getvalue()


def print_module(module: ModuleOp) -> str:
    stream = io.StringIO()
    Printer(stream=stream).print_op(module)
    return stream.getvalue() + "\n"


def close(got: np.ndarray, want: np.ndarray, rtol: float, atol: float) -> str | None:
    got, want = np.asarray(got), np.asarray(want)
    if got.shape != want.shape:
        return f"shape {got.shape} != {want.shape}"
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    if not np.allclose(got, want, rtol=rtol, atol=atol * scale, equal_nan=False):
        err = float(np.max(np.abs(got - want)))
        return f"max abs error {err:.3g} (scale {scale:.3g})"
    return None


def check_invalid(case: Case, vals: Values, stats: Stats, workdir: str) -> list[str]:
    """(a) for an invalid case: tdopt rejects it at the op's line."""
    module = build_module(case, vals, np.float32, loss=False)
    text = print_module(module)
    path = os.path.join(workdir, "invalid.mlir")
    with open(path, "w") as f:
        f.write(text)
    op_name = module.body.block.ops.first.body.block.last_op.prev_op.name  # type: ignore[union-attr]
    line = max(k for k, t in enumerate(text.splitlines(), 1) if op_name in t)
    code, err = run_tdopt([path])
    if INTERNAL.search(err):
        stats.internal_errors += 1
        return [f"invalid {op_name} ({case.steps[-1].invalid}): {err.strip().splitlines()[0]}"]
    where = re.search(rf"{re.escape(path)}:(\d+):(\d+): error: (.*)", err)
    if code != 1 or where is None:
        stats.other_failures += 1
        return [f"invalid {op_name} ({case.steps[-1].invalid}) not rejected with a located "
                f"diagnostic: exit {code}, {err.strip()[:200]!r}"]
    if int(where.group(1)) != line or op_name not in err:
        stats.other_failures += 1
        return [f"invalid {op_name}: diagnostic at line {where.group(1)}, the op is on line {line}: "
                f"{where.group(3)}"]
    stats.rejected += 1
    return []


def check_reference(case: Case, vals: Values, stats: Stats) -> list[str]:
    """(a) verifies, (b) forward, (c) gradients against torch."""
    from tdopt.interpreter.reference import run_function
    from tdopt.passes.autodiff import TrainAutodiffPass

    forward = build_module(case, vals, np.float64, loss=False)
    with_loss = build_module(case, vals, np.float64)
    try:
        forward.verify()
        with_loss.verify()
    except Exception as e:  # a case the generator thinks valid
        stats.other_failures += 1
        return [f"valid module rejected: {type(e).__name__}: {str(e).strip().splitlines()[0]}"]
    stats.valid += 1
    y, loss, leaves = torch_reference(case, vals)
    if not torch.isfinite(y).all() or not torch.isfinite(loss):
        stats.nonfinite += 1
        return []
    loss.backward()
    failures = []
    try:
        (got,) = run_function(forward, inputs_of(case, vals, np.float64, loss=False)).values()
        if (why := close(got, y.detach().numpy(), 1e-9, 1e-10)) is not None:
            failures.append(f"forward differs from torch: {why}")
        step = with_loss.clone()
        TrainAutodiffPass().apply(Context(), step)
        step.verify()
        out = run_function(step, inputs_of(case, vals, np.float64))
    except Exception as e:
        stats.internal_errors += 1
        return [f"reference/autodiff raised {type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}"]
    if (why := close(out["loss"], loss.detach().numpy(), 1e-9, 1e-10)) is not None:
        failures.append(f"loss differs from torch: {why}")
    for name, t in leaves.items():
        want = t.grad.numpy() if t.grad is not None else np.zeros(tuple(t.shape))
        got = out.get(f"{name}_grad")
        if got is None:
            failures.append(f"no gradient {name}_grad (results: {sorted(out)})")
        elif (why := close(got, want, 1e-7, 1e-9)) is not None:
            failures.append(f"gradient {name} differs from torch.autograd: {why}")
    stats.mismatches += bool(failures)
    stats.checked += 1
    return failures


# Bugs found and reported, not yet fixed: counted as `known`, not as
# failures, so that the fixed budget keeps checking everything else. Each
# has a strict xfail regression test in test_fuzz.py: fixing the bug fails
# that test until its entry here is removed.
KNOWN_BUGS: dict[str, re.Pattern[str]] = {
    # none open; entries are (name: a pattern of the compile or RTL error)
}


def known_bug(message: str) -> str | None:
    return next((name for name, pattern in KNOWN_BUGS.items() if pattern.search(message)), None)


NAMES_OP = re.compile(r"'(train|grad)\.\w+'|\b(train|grad)\.\w+")


def check_compile(case: Case, vals: Values, stats: Stats, workdir: str) -> list[str]:
    """(d) tdopt --finetune=TRAINABLE --emit=asm [--tile-l1] [--cores]."""
    assert case.compile is not None
    module = build_module(case, vals, np.float32, flags=False)
    path = os.path.join(workdir, "case.mlir")
    with open(path, "w") as f:
        f.write(print_module(module))
    trainable = [n for n, t in param_names(case) if t]
    args = [path, "--finetune=" + ",".join(trainable), "--emit=asm", "-o", os.path.join(workdir, "case.s"),
            "--cores", str(case.compile["cores"])]
    if case.compile["tile_l1"]:
        args += ["--tile-l1", case.compile["tile_l1"]]
    code, err = run_tdopt(args)
    if code == 0:
        stats.compiled += 1
        return []
    first = err.strip().splitlines()[0] if err.strip() else f"exit {code}, no message"
    if known_bug(err) is not None:
        stats.known += 1
        return []
    if INTERNAL.search(err) or "register" in err:
        stats.internal_errors += 1
        return [f"compile {' '.join(args[1:])}: {first}"]
    if code != 1 or not NAMES_OP.search(err):
        stats.other_failures += 1
        return [f"compile {' '.join(args[1:])}: exit {code}, the diagnostic names no op: {first}"]
    stats.compile_diagnostics += 1
    return []


def check_rtl(case: Case, vals: Values, stats: Stats) -> list[str]:
    """(e) the float32 training step on the RTL against the reference."""
    from tdopt.interpreter.reference import run_function
    from tdopt.passes.autodiff import TrainAutodiffPass
    from tdopt.passes.train_sgd import TrainSgdPass
    from tdopt.tools.context import make_context
    from tdopt.tools.rtl_run import run_on_rtl

    assert case.rtl is not None
    step = build_module(case, vals, np.float32)
    TrainAutodiffPass().apply(Context(), step)
    TrainSgdPass().apply(Context(), step)
    step.verify()
    inputs = inputs_of(case, vals, np.float32)
    want = run_function(step, inputs)
    if not all(np.isfinite(v).all() for v in want.values()):
        return []
    tile = case.rtl["tile_l1"]
    try:
        run = run_on_rtl(make_context(), step.clone(), inputs, cores=case.rtl["cores"],
                         l1=tile or "128k", tile_l1=tile is not None)
    except Exception as e:
        from tdopt.tools.diagnostics import expected_failure

        first = str(e).strip().splitlines()[0] if str(e).strip() else ""
        if known_bug(str(e)) is not None:
            stats.known += 1
            return []
        diag = expected_failure(e)
        if diag is not None and NAMES_OP.search(str(diag)) and not INTERNAL.search(str(diag)):
            stats.compile_diagnostics += 1
            return []
        stats.internal_errors += 1
        return [f"RTL run {case.rtl} raised {type(e).__name__}: {first}"]
    stats.rtl_runs += 1
    failures = []
    for name, v in want.items():
        got = run.results.get(name)
        if got is None:
            failures.append(f"RTL {case.rtl}: no result {name}")
        elif (why := close(got, v, 2e-3, 2e-4)) is not None:
            failures.append(f"RTL {case.rtl}: {name} differs from the reference: {why}")
    if failures:
        stats.mismatches += 1
    else:
        stats.rtl_matched += 1
    return failures


def check_case(case: Case, stats: Stats) -> list[str]:
    """Every property of one case; the failures, one line each."""
    stats.generated += 1
    vals = values(case)
    with tempfile.TemporaryDirectory(prefix="tdopt-fuzz-") as workdir:
        if case.invalid:
            return check_invalid(case, vals, stats, workdir)
        failures = check_reference(case, vals, stats)
        if failures:
            return failures
        if case.compile is not None:
            failures += check_compile(case, vals, stats, workdir)
        if case.rtl is not None:
            failures += check_rtl(case, vals, stats)
    return failures


def describe(case: Case) -> str:
    """A one-line reproducer: the chain and its shapes."""
    parts = [f"x{list(case.x_shape)}{'(param, trainable)' if case.x_trainable else '(param)' if case.x_param else ''}"]
    for s in case.steps:
        extras = ", ".join(f"{list(e.shape)}{'*' if e.trainable else ''}" for e in s.extras)
        bad = f" INVALID({s.invalid})" if s.invalid else ""
        parts.append(f"{s.kind.removeprefix('train.')}{s.attrs}[{extras}]@{s.x_pos}{bad}")
    return " -> ".join(parts) + f" -> {case.loss} (seed {case.seed}, compile {case.compile}, rtl {case.rtl})"


# ---------------------------------------------------------------------------
# the script (tools/fuzz.sh)
# ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    from runner import run_examples

    p = argparse.ArgumentParser(description="fuzz the train dialect (issue 14)")
    p.add_argument("n", type=int, help="examples (hypothesis max_examples)")
    p.add_argument("--compile-rate", type=int, default=int(os.environ.get("TDOPT_FUZZ_COMPILE_RATE", "5")),
                   help="compile one case in N to assembly (0: none; default 5)")
    p.add_argument("--rtl-rate", type=int, default=int(os.environ.get("TDOPT_FUZZ_RTL_RATE", "0")),
                   help="run one case in N on the RTL (0: none, the default)")
    p.add_argument("--shrink", action="store_true",
                   help="stop at the first failure and minimise it (default: count them all)")
    a = p.parse_args(argv)
    stats = Stats()

    try:
        run_examples(a.n, cases(compile_rate=a.compile_rate, rtl_rate=a.rtl_rate),
                     lambda case: check_case(case, stats), describe, stats.failures, a.shrink,
                     progress=stats.summary)
    finally:
        print(stats.summary())
    return 1 if stats.failures else 0


if __name__ == "__main__":
    sys.exit(main())
