"""Subgraphs recognised before conversion and replaced by one node.

Exact GELU, x * 0.5 * (1 + erf(x / sqrt 2)), is what exporters write for
`nn.GELU()` below opset 20: Div (or Mul by 1/sqrt 2), Erf, Add 1, and two
Muls by x and 0.5 in any association (the dynamo exporter multiplies
0.5 * (1 + erf) first, the TorchScript one x * (1 + erf)). The five nodes
become one `Gelu` node (one kernel, and `grad.gelu` in the backward pass
instead of the erf chain). A match needs every intermediate result to be
used only inside the pattern; anything else is left as it was.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from onnx import NodeProto, TensorProto, helper, numpy_helper

from tdopt.frontend.onnx.graph import domain_of


class Graph:
    """Producers, consumers and constant values of a node list."""

    def __init__(self, nodes: Sequence[NodeProto], initializers: Mapping[str, TensorProto],
                 outputs: set[str]):
        self.producer = {o: n for n in nodes for o in n.output if o}
        self.uses: dict[str, list[NodeProto]] = {}
        for n in nodes:
            for x in n.input:
                self.uses.setdefault(x, []).append(n)
        self.initializers = initializers
        self.outputs = outputs

    def scalar(self, name: str) -> float | None:
        """The value of a one-element constant (Constant node or initializer)."""
        value = None
        if name in self.initializers:
            value = numpy_helper.to_array(self.initializers[name])
        elif (n := self.producer.get(name)) is not None and n.op_type == "Constant" and domain_of(n) == "":
            for a in n.attribute:
                if a.name == "value":
                    value = numpy_helper.to_array(a.t)
                elif a.name in ("value_float", "value_int"):
                    value = np.asarray(helper.get_attribute_value(a))
        if value is None or value.size != 1 or value.dtype.kind not in "fi":
            return None
        return float(value.reshape(-1)[0])

    def only_use(self, name: str) -> NodeProto | None:
        """The single node using `name`, if it is not also a graph output."""
        users = self.uses.get(name, [])
        return users[0] if len(users) == 1 and name not in self.outputs else None


def _other(node: NodeProto, name: str) -> str | None:
    """The other input of a binary node that takes `name`."""
    ins = list(node.input)
    if len(ins) != 2 or name not in ins:
        return None
    return ins[1] if ins[0] == name else ins[0]


def _is(g: Graph, name: str | None, value: float) -> bool:
    v = None if name is None else g.scalar(name)
    return v is not None and math.isclose(v, value, rel_tol=1e-6)


def _scaled(g: Graph, node: NodeProto | None, op: str, value: float) -> str | None:
    """x when `node` is `op`(x, value) (or Mul(value, x))."""
    if node is None or node.op_type != op or len(node.input) != 2:
        return None
    if _is(g, node.input[1], value):
        return node.input[0]
    if op == "Mul" and _is(g, node.input[0], value):
        return node.input[1]
    return None


def _gelu_at(g: Graph, erf: NodeProto) -> tuple[str, list[NodeProto]] | None:
    """(x, the pattern's nodes ending with the last Mul) around an Erf node."""
    scaled = g.producer.get(erf.input[0])
    if scaled is None or g.only_use(erf.input[0]) is not erf:
        return None
    x = _scaled(g, scaled, "Div", math.sqrt(2.0)) or _scaled(g, scaled, "Mul", 1 / math.sqrt(2.0))
    if x is None:
        return None
    add = g.only_use(erf.output[0])
    if add is None or add.op_type != "Add" or not _is(g, _other(add, erf.output[0]), 1.0):
        return None
    m1 = g.only_use(add.output[0])
    if m1 is None or m1.op_type != "Mul":
        return None
    o1 = _other(m1, add.output[0])
    half = g.producer.get(o1) if o1 is not None else None
    if half is not None and _scaled(g, half, "Mul", 0.5) == x and g.only_use(half.output[0]) is m1:
        return x, [scaled, erf, add, half, m1]  # (1 + erf) * (x * 0.5)
    m2 = g.only_use(m1.output[0])
    if m2 is None or m2.op_type != "Mul":
        return None
    o2 = _other(m2, m1.output[0])
    if (o1 == x and _is(g, o2, 0.5)) or (_is(g, o1, 0.5) and o2 == x):
        return x, [scaled, erf, add, m1, m2]  # x * (1 + erf) * 0.5, 0.5 * (1 + erf) * x
    return None


def fuse_gelu(nodes: Sequence[NodeProto], initializers: Mapping[str, TensorProto],
              outputs: set[str]) -> list[NodeProto]:
    """The node list with every exact-GELU subgraph replaced by a Gelu node
    at the position of its last node."""
    g = Graph(nodes, initializers, outputs)
    replace: dict[int, NodeProto] = {}
    drop: set[int] = set()
    for erf in nodes:
        if erf.op_type != "Erf" or domain_of(erf) != "":
            continue
        found = _gelu_at(g, erf)
        if found is None:
            continue
        x, matched = found
        last = matched[-1]
        fused = helper.make_node("Gelu", [x], [last.output[0]], name=last.name or erf.name)
        replace[id(last)] = fused
        drop.update(id(n) for n in matched[:-1])
    out = []
    for n in nodes:
        if id(n) in replace:
            out.append(replace[id(n)])
        elif id(n) not in drop:
            out.append(n)
    return out
