"""Compile-time evaluation of nodes whose inputs are all constants (shape
arithmetic of PyTorch exports: Gather, Concat, Unsqueeze, Slice, Cast, ...),
with ONNX's own reference implementation of the op."""

from __future__ import annotations

import numpy as np
from onnx import NodeProto
from onnx.reference import ReferenceEvaluator

from tdopt.frontend.onnx.context import Context
from tdopt.frontend.onnx.graph import domain_of


def fold(cx: Context, node: NodeProto) -> list[np.ndarray] | None:
    """The node's outputs, or None when ONNX's reference cannot evaluate it."""
    if domain_of(node) != "":
        return None
    try:
        ev = ReferenceEvaluator(node, opsets={"": cx.opset})
        feeds = {x: cx.static[x] for x in node.input if x}
        outs = ev.run(None, feeds)
    except Exception:  # unknown op or invalid constant input: not foldable
        return None
    return [np.asarray(o) for o in outs]
