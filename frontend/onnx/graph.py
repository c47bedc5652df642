"""Reading an ONNX model: loading, opset, ONNX Runtime training graphs and
shape inference.

An ONNX Runtime training graph holds the forward pass, a loss, the gradient
ops and one optimizer node per trained tensor. tdopt derives its own
gradients, so only the loss's ancestors are kept; the optimizer nodes tell
which tensors are trainable and at which learning rate.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import onnx
from onnx import GraphProto, ModelProto, NodeProto, helper, numpy_helper

from tdopt.frontend.onnx.errors import ImportFailure

# default-domain opsets whose op semantics the converters know; the target
# range is 12-20 (the corpus and common PyTorch exports), neighbours are
# accepted because the ops used here did not change meaning there
MIN_OPSET, MAX_OPSET = 7, 24

LOSS_OPS = {("", "SoftmaxCrossEntropyLoss")}
SGD_OPS = {("", "SGD"), ("ai.onnx.preview.training", "SGD"), ("com.microsoft", "SGDOptimizer")}
OTHER_OPTIMIZERS = {
    "Momentum", "Adagrad", "Adam", "AdamOptimizer", "AdamWOptimizer",
    "LambOptimizer", "SGDOptimizerV2",
}


def domain_of(node: NodeProto) -> str:
    return "" if node.domain in ("", "ai.onnx") else node.domain


def shown_domain(node: NodeProto) -> str:
    return domain_of(node) or "ai.onnx"


def node_label(node: NodeProto, index: int) -> str:
    return node.name or f"#{index} ({node.output[0] if node.output else 'no output'})"


def load_model(path: str) -> ModelProto:
    if not os.path.exists(path):
        raise ImportFailure(f"no such file: {path}")
    try:
        return onnx.load(path)
    except Exception as e:  # protobuf decode errors have many types
        raise ImportFailure(f"{path}: not a readable ONNX model ({type(e).__name__}: {e})")


def default_opset(model: ModelProto) -> int:
    """The default-domain opset (the first entry when a training tool listed
    several)."""
    for imp in model.opset_import:
        if imp.domain in ("", "ai.onnx"):
            v = int(imp.version)
            if not MIN_OPSET <= v <= MAX_OPSET:
                raise ImportFailure(
                    f"the model uses opset {v} of the default ONNX domain; tdimport "
                    f"supports opsets {MIN_OPSET} to {MAX_OPSET} (tested: 12 to 20)"
                )
            return v
    raise ImportFailure("the model imports no default-domain (ai.onnx) opset")


@dataclass
class TrainingInfo:
    """What an ONNX Runtime training graph says about training."""

    loss_node: NodeProto
    # trained tensor -> learning rate (None when the graph does not fix it)
    learning_rates: dict[str, float | None] = field(default_factory=dict)
    dropped_nodes: int = 0


def _sgd_updates(node: NodeProto, inits: dict[str, onnx.TensorProto]) -> tuple[str, float | None]:
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    if node.op_type == "SGDOptimizer":  # com.microsoft: (ETA, W, G) -> (W', G')
        eta = inits.get(node.input[0])
        lr = float(numpy_helper.to_array(eta).reshape(-1)[0]) if eta is not None else None
        return node.input[1], lr
    lr = attrs.get("lr", attrs.get("learning_rate"))
    return node.input[0], (float(lr) if lr is not None else None)


def find_training(graph: GraphProto) -> TrainingInfo | None:
    """Recognise an ONNX Runtime training graph by its optimizer nodes."""
    sgd = [n for n in graph.node if (domain_of(n), n.op_type) in SGD_OPS]
    other = [n for n in graph.node if n.op_type in OTHER_OPTIMIZERS]
    if not sgd and not other:
        return None
    if other:
        names = ", ".join(f"'{n.name or n.op_type}' ({n.op_type}, domain "
                          f"{shown_domain(n)})" for n in other)
        raise ImportFailure(
            f"training graph with unsupported optimizer node(s): {names}; "
            "only SGD is recognised"
        )
    losses = [n for n in graph.node if (domain_of(n), n.op_type) in LOSS_OPS]
    if len(losses) != 1:
        raise ImportFailure(
            f"training graph with {len(losses)} SoftmaxCrossEntropyLoss nodes; "
            "expected exactly one loss"
        )
    inits = {i.name: i for i in graph.initializer}
    info = TrainingInfo(losses[0])
    for n in sgd:
        name, lr = _sgd_updates(n, inits)
        if name not in inits:
            raise ImportFailure(
                f"SGD node '{n.name}' updates '{name}', which is not an initializer"
            )
        info.learning_rates[name] = lr
    return info


def ancestors(graph: GraphProto, roots: list[str]) -> list[NodeProto]:
    """The nodes needed to compute `roots`, in a topological order (training
    tools do not always keep the graph sorted), else in graph order."""
    producer = {o: i for i, n in enumerate(graph.node) for o in n.output if o}
    keep: set[int] = set()
    todo = [producer[r] for r in roots if r in producer]
    while todo:
        i = todo.pop()
        if i in keep:
            continue
        keep.add(i)
        todo.extend(producer[x] for x in graph.node[i].input if x in producer)
    order: list[int] = []
    done: set[int] = set()
    for start in sorted(keep):  # iterative depth-first post-order
        if start in done:
            continue
        # `path`: the nodes being expanded, each with its dependencies not yet
        # visited; meeting one of them again is a cycle (which would
        # otherwise be expanded forever)
        on_path: set[int] = {start}
        path: list[tuple[int, list[int]]] = [(start, _deps(graph, producer, start))]
        while path:
            i, deps = path[-1]
            if not deps:
                path.pop()
                on_path.discard(i)
                done.add(i)
                order.append(i)
                continue
            d = deps.pop()
            if d in done:
                continue
            if d in on_path:
                cycle = [n for n, _ in path[[n for n, _ in path].index(d):]]
                raise ImportFailure(_cycle_message(graph, cycle))
            on_path.add(d)
            path.append((d, _deps(graph, producer, d)))
    return [graph.node[i] for i in order]


def _deps(graph: GraphProto, producer: dict[str, int], i: int) -> list[int]:
    """The producers of node i's inputs, reversed (popped in input order)."""
    return [producer[x] for x in reversed(graph.node[i].input) if x in producer]


def _cycle_message(graph: GraphProto, cycle: list[int]) -> str:
    """The nodes of a cycle in data-flow order, each with the tensor it
    passes to the next one."""
    steps = []
    for k, i in enumerate(cycle):
        node = graph.node[i]
        # the next node in data-flow order is the previous one on the path
        consumer = graph.node[cycle[k - 1]] if k > 0 else graph.node[cycle[-1]]
        passed = next((o for o in node.output if o and o in consumer.input), "?")
        steps.append(f"'{node_label(node, i)}' ({node.op_type}) -[{passed}]->")
    first = graph.node[cycle[-1]]
    flow = [*reversed(steps), f"'{node_label(first, cycle[-1])}'"]
    return ("the graph has a cycle (an ONNX graph must be acyclic): " + " ".join(flow))


def forward_slice(model: ModelProto, info: TrainingInfo) -> ModelProto:
    """A copy of the training model holding only the loss and its ancestors,
    the loss as the single graph output."""
    g = model.graph
    loss = info.loss_node.output[0]
    nodes = ancestors(g, [loss])
    used = {x for n in nodes for x in n.input}
    inputs = [i for i in g.input if i.name in used]
    inits = [i for i in g.initializer if i.name in used]
    # Deeploy's graphs declare the loss node's output as the [N, C]
    # log-probabilities its gradient node reads; tdopt takes the ONNX
    # meaning, the (mean) loss, whose gradient is the same
    vi = [v for v in g.value_info if v.name in {o for n in nodes for o in n.output} - {loss}]
    out = helper.make_tensor_value_info(loss, onnx.TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, g.name, inputs, [out], inits, value_info=vi)
    sliced = helper.make_model(graph, opset_imports=_dedup_opsets(model))
    sliced.ir_version = model.ir_version
    info.dropped_nodes = len(g.node) - len(nodes)
    return sliced


def _dedup_opsets(model: ModelProto) -> list[onnx.OperatorSetIdProto]:
    seen: dict[str, onnx.OperatorSetIdProto] = {}
    for imp in model.opset_import:
        seen.setdefault(imp.domain, imp)
    return list(seen.values())


def inferred_shapes(model: ModelProto) -> dict[str, tuple[int, ...]]:
    """Static shapes of the graph's intermediate tensors from ONNX shape
    inference, to cross-check the importer's own. Graph outputs are left
    out: exporters were seen to declare them wrongly (a [1] for a scalar).
    Inference is best effort: a model it cannot process (contrib ops,
    inconsistent training graphs) gives what was declared."""
    try:
        model = onnx.shape_inference.infer_shapes(model, strict_mode=False)
    except Exception:
        pass
    g = model.graph
    shapes: dict[str, tuple[int, ...]] = {}
    for v in g.value_info:
        t = v.type.tensor_type
        if not t.HasField("shape"):
            continue
        dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
        if all(d is not None and d > 0 for d in dims) or not dims:
            shapes[v.name] = tuple(int(d) for d in dims)  # type: ignore[arg-type]
    return shapes
