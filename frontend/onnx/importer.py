"""ONNX graph -> train module: the driver of the conversion.

One function `@main`: its arguments are the graph inputs (ONNX names kept in
`train.arg_names`, which also holds names SSA names cannot), its results the graph
outputs (`train.result_names`), or the loss alone for a training import.
Initializers the model computes with become `train.param`s named after them;
their values go to the weights file named by the module attribute
`train.weights`, or inline when smaller than `inline_threshold` bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from onnx import ModelProto, NodeProto, numpy_helper
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, FloatAttr, ModuleOp, StringAttr, TensorType, f32, i64
from xdsl.ir import Block, Region, SSAValue
from xdsl.utils.exceptions import VerifyException

from tdopt.dialects import train
from tdopt.dialects.train_module import RESULT_NAMES
from tdopt.frontend.onnx import graph as G
from tdopt.frontend.onnx import trainable as T
from tdopt.frontend.onnx.context import Context, element_type
from tdopt.frontend.onnx.errors import ImportFailure, Unsupported
from tdopt.frontend.onnx.fold import fold
from tdopt.frontend.onnx.names import ssa_name, unique_ssa_names
from tdopt.frontend.onnx.ops import CONVERTERS

# the converters outside ops.py register themselves in CONVERTERS on import
from tdopt.frontend.onnx import activations, einsum, norms, slicing, spatial  # noqa: E402,F401,I001
from tdopt.frontend.onnx.patterns import fuse_gelu
from tdopt.frontend.onnx.torch_export import torch_initializers

LOSSES = ("cross-entropy", "mse")


@dataclass
class ImportOptions:
    trainable: str | None = None  # a `--trainable` spec; overrides a training graph's SGD set
    loss: str | None = None  # one of LOSSES
    label: str | None = None  # name of the label input the loss adds
    inline_threshold: int = 64  # parameters smaller than this many bytes go inline
    weights_file: str = "weights.npz"  # the `train.weights` attribute's value
    # sizes of an export's symbolic dimensions: `batch` for the leading one
    # of the inputs (`--batch N`), `dims` by the symbol's name (`--dim NAME=N`)
    batch: int | None = None
    dims: dict[str, int] = field(default_factory=dict)


@dataclass
class ImportResult:
    module: ModuleOp
    weights: dict[str, np.ndarray]  # the parameters that are not inline
    training: G.TrainingInfo | None = None  # set for ONNX Runtime training graphs
    trainable: list[str] = field(default_factory=list)


def import_onnx(model: ModelProto | str, options: ImportOptions | None = None) -> ImportResult:
    """Convert an ONNX model (or the path of one) into a train module."""
    opts = options or ImportOptions()
    _check_options(opts)
    if isinstance(model, str):
        model = G.load_model(model)
    model = bind_dimensions(model, opts.batch, opts.dims)
    opset = G.default_opset(model)
    info = G.find_training(model.graph)
    if info is not None:
        if opts.loss:
            raise ImportFailure(
                "--loss: the model is a training graph and already has its loss "
                f"('{info.loss_node.name}')"
            )
        model = G.forward_slice(model, info)
    # PyTorch's dynamo exporter: Linear weights back under PyTorch's names,
    # its scalar initializers as constants (torch_export.py)
    model, constants = torch_initializers(model)
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    cx = Context(inits, opset)
    for name in constants:
        cx.static[name] = numpy_helper.to_array(inits[name])

    inputs = _data_inputs(model)
    block = Block(arg_types=[_input_type(i) for i in inputs])
    onnx_names = [i.name for i in inputs]
    for arg, name, hint in zip(block.args, onnx_names, unique_ssa_names(onnx_names)):
        arg.name_hint = hint
        cx.values[name] = arg

    outputs = [o.name for o in g.output]
    nodes = fuse_gelu(G.ancestors(g, outputs), inits, set(outputs))
    _convert(cx, nodes, G.inferred_shapes(model), set(outputs))
    try:
        results = [cx.value(o) for o in outputs]
    except Unsupported as e:
        raise ImportFailure(f"graph output: {e}") from None
    # Deeploy declares a SoftmaxCrossEntropyLoss's loss as the [N, C]
    # log-probabilities (see graph.forward_slice): not checked
    losses = {n.output[0] for n in g.node if (G.domain_of(n), n.op_type) in G.LOSS_OPS and n.output}
    for o, r in zip(g.output, results):
        if o.name not in losses:
            _check_declared_shape(o, tuple(r.type.get_shape()))  # type: ignore[attr-defined]
    result_names = list(outputs)

    if info is not None:
        result_names = ["loss"]
        chosen = set(info.learning_rates)
    else:
        chosen = set()
        if opts.loss:
            results = [_append_loss(cx, block, results, opts, onnx_names, inits)]
            result_names = ["loss"]
            onnx_names.append(opts.label)  # type: ignore[arg-type]
    if opts.trainable:
        chosen = T.select(opts.trainable, cx.params, inits)
    # batchnorm running statistics are never trained (a glob may cover them)
    chosen -= {p.param_name for p in train.running_statistics(cx.ops)}
    _mark_trainable(cx, chosen, info)

    weights = _place_values(cx, opts.inline_threshold)
    # a Pad folded into every conv that reads it is not computed (issue 13)
    cx.ops = [
        op for op in cx.ops
        if not (isinstance(op, train.PadOp) and not op.results[0].uses and op.results[0] not in results)
    ]
    block.add_ops([*cx.params.values(), *cx.ops, func.ReturnOp(*results)])
    f = func.FuncOp(
        "main", ([a.type for a in block.args], [r.type for r in results]), Region(block)
    )
    # always: SSA names cannot hold every ONNX name, and upstream MLIR drops them
    f.attributes["train.arg_names"] = ArrayAttr([StringAttr(n) for n in onnx_names])
    f.attributes[RESULT_NAMES] = ArrayAttr([StringAttr(n) for n in result_names])
    module = ModuleOp([f])
    if weights:
        module.attributes["train.weights"] = StringAttr(opts.weights_file)
    try:
        module.verify()
    except VerifyException as e:
        first = str(e).strip().splitlines()[0]
        raise ImportFailure(f"internal error: the imported module does not verify: {first}")
    return ImportResult(module, weights, info, sorted(chosen))


def _check_declared_shape(value_info, computed: tuple[int, ...]) -> None:
    """A graph output's declared static shape must be the computed one (a
    disagreement means the model is not what its producer thinks). Only a
    [1] declared for a scalar is accepted: exporters were seen to write it."""
    t = value_info.type.tensor_type
    if not value_info.type.HasField("tensor_type") or not t.HasField("shape"):
        return
    dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
    if any(d is None for d in dims):  # symbolic dimensions declare nothing checkable
        return
    declared = tuple(int(d) for d in dims)  # type: ignore[arg-type]
    if declared == computed or (declared == (1,) and computed == ()):
        return
    raise ImportFailure(
        f"graph output '{value_info.name}' is declared with shape {list(declared)} but "
        f"computes shape {list(computed)} (fix the declaration or the graph)"
    )


def _check_options(opts: ImportOptions) -> None:
    if opts.loss is not None and opts.loss not in LOSSES:
        raise ImportFailure(f"--loss: unknown loss '{opts.loss}' (expected: {', '.join(LOSSES)})")
    if opts.loss and not opts.label:
        raise ImportFailure("--loss needs --label NAME (the input the loss compares with)")
    if opts.label and not opts.loss:
        raise ImportFailure("--label needs --loss")
    if opts.inline_threshold < 0:
        raise ImportFailure(f"--inline-threshold must be >= 0, got {opts.inline_threshold}")


def _data_inputs(model: ModelProto) -> list:
    inits = {i.name for i in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def bind_dimensions(model: ModelProto, batch: int | None, dims: dict[str, int]) -> ModelProto:
    """`model` with its symbolic dimensions (an export with dynamic_shapes)
    given sizes: the leading dimension of every data input that is
    symbolic gets `batch`, a symbol named in `dims` its value; the graph's
    inputs, outputs and value_info all change (a copy; `model` is kept)."""
    if batch is None and not dims:
        return model
    for what, n in [("--batch", batch)] + [(f"--dim {k}", v) for k, v in dims.items()]:
        if n is not None and n < 1:
            raise ImportFailure(f"{what}: a size must be at least 1, got {n}")
    found: set[str] = set()
    for vi in (*model.graph.input, *model.graph.output, *model.graph.value_info):
        for d in vi.type.tensor_type.shape.dim:
            if d.dim_param:
                found.add(d.dim_param)
    unknown = sorted(set(dims) - found)
    if unknown:
        have = ", ".join(f"'{f}'" for f in sorted(found)) or "none (every dimension is fixed)"
        raise ImportFailure(f"--dim {unknown[0]}: the model has no such symbolic dimension "
                            f"(its symbols: {have})")
    symbols = dict(dims)
    if batch is not None:
        leads = [(vi.name, vi.type.tensor_type.shape.dim[0]) for vi in _data_inputs(model)
                 if vi.type.tensor_type.shape.dim]
        symbolic = [lead.dim_param for _, lead in leads if lead.dim_param]
        for symbol in symbolic:
            symbols.setdefault(symbol, batch)
        # no symbolic batch: the export fixed it, --batch may only repeat it
        for name, lead in leads if not symbolic else []:
            if lead.HasField("dim_value") and lead.dim_value != batch:
                raise ImportFailure(
                    f"--batch {batch}: input '{name}' has a fixed leading dimension of "
                    f"{lead.dim_value}; export with a dynamic batch (torch.onnx.export(..., "
                    f"dynamic_shapes={{'{name}': {{0: torch.export.Dim('batch')}}}})) "
                    f"or give --batch {lead.dim_value}"
                )
    if not symbols:
        return model
    bound = ModelProto()
    bound.CopyFrom(model)
    for vi in (*bound.graph.input, *bound.graph.output, *bound.graph.value_info):
        for d in vi.type.tensor_type.shape.dim:
            if d.dim_param in symbols:
                d.dim_value = symbols[d.dim_param]  # clears dim_param (a oneof)
    return bound


def _input_type(value_info) -> TensorType:
    t = value_info.type.tensor_type
    if not value_info.type.HasField("tensor_type") or not t.HasField("shape"):
        raise ImportFailure(f"input '{value_info.name}' is not a tensor of known rank")
    dims = []
    for d in t.shape.dim:
        if not d.HasField("dim_value"):
            what = f"'{d.dim_param}'" if d.dim_param else "unknown"
            how = f"--dim {d.dim_param}=N" if d.dim_param else "a fixed size in the export"
            raise ImportFailure(
                f"input '{value_info.name}' has a dynamic dimension ({what}); "
                f"give its size: --batch N (the inputs' leading dimension) or {how}"
            )
        dims.append(int(d.dim_value))
    try:
        return train.tensor(dims, element_type(t.elem_type, f"input '{value_info.name}'"))
    except Unsupported as e:
        raise ImportFailure(str(e)) from None


def _convert(
    cx: Context, nodes: list[NodeProto], shapes: dict[str, tuple[int, ...]], outputs: set[str]
) -> None:
    """Convert the nodes in order; every node that cannot be imported is
    collected, and all of them are reported together."""
    needed = outputs | {x for n in nodes for x in n.input}
    failures: list[str] = []
    failed: set[str] = set()
    for index, node in enumerate(nodes):
        key = (G.domain_of(node), node.op_type)
        where = f"'{G.node_label(node, index)}' ({node.op_type}, domain {G.shown_domain(node)}"
        ins = [x for x in node.input if x]
        if any(x in failed for x in ins):  # downstream of a failure
            if key not in CONVERTERS:
                failures.append(where + ")")
            failed.update(node.output)
            continue
        try:
            results = None
            if ins and all(cx.is_static(x) for x in ins):
                results = fold(cx, node)  # compile-time arithmetic, e.g. on shapes
            if results is None:
                if key not in CONVERTERS:
                    raise Unsupported("")
                results = CONVERTERS[key](cx, node)
            _bind(cx, node, results, needed, shapes)
        except (Unsupported, VerifyException) as e:
            reason = str(e).strip().splitlines()[0] if str(e).strip() else ""
            failures.append(where + (f": {reason})" if reason else ")"))
            failed.update(node.output)
    if failures:
        raise ImportFailure(
            f"cannot import {len(failures)} ONNX node(s): " + "; ".join(failures)
        )


def _bind(cx: Context, node: NodeProto, results, needed: set[str], shapes) -> None:
    for j, name in enumerate(node.output):
        if not name:
            continue
        if j >= len(results):
            if name in needed:
                raise Unsupported(f"its output #{j} ('{name}') is used")
            continue
        r = results[j]
        if isinstance(r, np.ndarray):
            cx.static[name] = r
            continue
        if r.name_hint is None:
            r.name_hint = ssa_name(name)
        got = tuple(r.type.get_shape())  # type: ignore[attr-defined]
        if name in shapes and shapes[name] != got:
            raise Unsupported(
                f"ONNX infers shape {list(shapes[name])} for '{name}', tdimport {list(got)}"
            )
        cx.values[name] = r


def _append_loss(cx: Context, block: Block, results: list[SSAValue], opts: ImportOptions,
                 inputs: list[str], inits) -> SSAValue:
    if len(results) != 1:
        raise ImportFailure(f"--loss needs a graph with one output; this one has {len(results)}")
    label = opts.label
    assert label is not None
    if label in inputs or label in inits:
        raise ImportFailure(f"--label: the model already has a tensor named '{label}'")
    pred = results[0]
    ptype = pred.type
    assert isinstance(ptype, TensorType)
    if opts.loss == "cross-entropy":
        if ptype.get_num_dims() != 2:
            raise ImportFailure(
                f"--loss cross-entropy needs N x C logits; the graph output is {ptype}"
            )
        ltype = train.tensor([ptype.get_shape()[0]], i64)
    else:
        ltype = ptype
    arg = block.insert_arg(ltype, len(block.args))
    arg.name_hint = ssa_name(label)
    loss_cls = train.CrossEntropyOp if opts.loss == "cross-entropy" else train.MseOp
    return cx.emit(loss_cls.make([pred, arg]))


def _mark_trainable(cx: Context, chosen: set[str], info: G.TrainingInfo | None) -> None:
    for name in sorted(chosen):
        if name not in cx.params:
            raise ImportFailure(
                f"'{name}' is trained by the graph but the forward pass does not use it"
            )
        op = cx.params[name]
        op.properties["trainable"] = train.UnitAttr()
        lr = info.learning_rates.get(name) if info is not None else None
        if lr is not None:
            op.properties["lr"] = FloatAttr(lr, f32)


def _place_values(cx: Context, threshold: int) -> dict[str, np.ndarray]:
    weights: dict[str, np.ndarray] = {}
    for name, op in cx.params.items():
        arr = cx.param_values[name]
        if arr.nbytes < threshold:
            op.properties["value"] = train.dense_from_numpy(np.require(arr, requirements="C"))
        else:
            weights[name] = arr
    return weights
