"""What the PyTorch dynamo exporter (`torch.onnx.export`'s default) says
about its initializers, read from its metadata.

The exporter tags every parameter it keeps with the value_info metadata
`pkg.torch.export.graph_signature.InputSpec.kind = PARAMETER` and
`pkg.torch.onnx.original_node_name = p_<path with _>`; every node carries
the module path of its call (`pkg.torch.onnx.name_scopes`, the module is
the second-to-last entry) and the FX node it comes from
(`pkg.torch.onnx.fx_node`, naming the placeholders `%p_...` it reads).
Three things need that metadata:

- a Linear's weight is transposed at export time (constant folding of
  `aten.linear`) and stored as `val_N`: it is named `PATH.weight.T`
  (PyTorch's weight, transposed), so parameter names keep PyTorch's module
  paths (`--trainable 'head.*'`, train-lora's block index);
- parameters of equal value (every LayerNorm's initial ones and zeros) are
  stored once and shared by their nodes: each node gets its own copy under
  its module's name again, as they are distinct parameters in training;
- one-element float initializers (1/sqrt(d) scales, GELU's sqrt 2, 0.5,
  1) are compile-time constants, never parameters.

A model without the tags (the TorchScript exporter, other tools) is left
as it is.
"""

from __future__ import annotations

import ast
import math

from onnx import ModelProto, TensorProto

KIND = "pkg.torch.export.graph_signature.InputSpec.kind"
SCOPES = "pkg.torch.onnx.name_scopes"
FX_NODE = "pkg.torch.onnx.fx_node"


def _metadata(proto) -> dict[str, str]:
    return {p.key: p.value for p in proto.metadata_props}


ORIGINAL = "pkg.torch.onnx.original_node_name"


def _intended(node, name: str, original: str | None) -> str | None:
    """The PyTorch name of initializer `name` as `node` uses it, when the
    node's metadata names a different parameter than the initializer's own
    (None: keep it)."""
    md = _metadata(node)
    fx = md.get(FX_NODE, "")
    if not fx or (original is not None and f"%{original}" in fx):
        return None
    try:
        scopes = ast.literal_eval(md.get(SCOPES, ""))
    except (ValueError, SyntaxError):
        return None
    if not isinstance(scopes, list) or len(scopes) < 2 or not scopes[-2]:
        return None
    module = str(scopes[-2])
    if original is not None:  # a shared parameter: same attribute, this module
        attr, suffix = name.rsplit(".", 1)[-1], ""
    elif node.op_type == "MatMul" and list(node.input)[1:] == [name] and "aten.linear" in fx:
        attr, suffix = "weight", ".T"
    else:
        return None
    placeholder = "%p_" + module.replace(".", "_") + "_" + attr
    if not any(placeholder + end in fx for end in (",", ")")):
        return None
    return f"{module}.{attr}{suffix}"


def torch_initializers(model: ModelProto) -> tuple[ModelProto, set[str]]:
    """(the model with its parameters under PyTorch's names, the
    one-element float initializers that are constants) of a dynamo export;
    other models come back unchanged, with no constants."""
    g = model.graph
    originals = {
        v.name: _metadata(v).get(ORIGINAL)
        for v in [*g.value_info, *g.input]
        if _metadata(v).get(KIND) == "PARAMETER"
    }
    if not originals:
        return model, set()
    floats = {
        i.name: i for i in g.initializer if i.data_type in (TensorProto.FLOAT, TensorProto.DOUBLE)
    }
    constants = {
        n for n, i in floats.items() if n not in originals and math.prod(i.dims) == 1
    }
    out = ModelProto()
    out.CopyFrom(model)
    inits = {i.name: i for i in out.graph.initializer}
    for node in out.graph.node:
        for k, name in enumerate(node.input):
            if name not in floats or name in constants:
                continue
            new = _intended(node, name, originals.get(name))
            if new is None or new == name:
                continue
            if new not in inits:
                copy = out.graph.initializer.add()
                copy.CopyFrom(inits[name])
                copy.name = new
                inits[new] = copy
            node.input[k] = new
    return out, constants
