"""The state of one import: ONNX tensor names bound to SSA values or to
compile-time constants, and the parameters created from initializers."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from onnx import NodeProto, TensorProto, helper, numpy_helper
from xdsl.dialects.builtin import TensorType, f32, f64, i32, i64
from xdsl.ir import Attribute, Operation, SSAValue

from tdopt.dialects import train
from tdopt.frontend.onnx.errors import Unsupported
from tdopt.frontend.onnx.names import ssa_name

ELEMENT_TYPES: dict[int, Attribute] = {
    TensorProto.FLOAT: f32,
    TensorProto.DOUBLE: f64,
    TensorProto.INT64: i64,
    TensorProto.INT32: i32,
}


def element_type(onnx_type: int, what: str) -> Attribute:
    if onnx_type not in ELEMENT_TYPES:
        name = TensorProto.DataType.Name(onnx_type)
        raise Unsupported(f"{what} has element type {name}; tdopt handles FLOAT, DOUBLE, INT32, INT64")
    return ELEMENT_TYPES[onnx_type]


class Context:
    """Binds ONNX tensor names while the nodes are converted in order."""

    def __init__(self, initializers: Mapping[str, TensorProto], opset: int):
        self.opset = opset
        self.initializers = dict(initializers)
        self.values: dict[str, SSAValue] = {}
        # compile-time values: Constant outputs, integer initializers, folds
        self.static: dict[str, np.ndarray] = {}
        self.params: dict[str, train.ParamOp] = {}
        self.param_values: dict[str, np.ndarray] = {}
        self.ops: list[Operation] = []
        for name, t in self.initializers.items():
            if t.data_type not in (TensorProto.FLOAT, TensorProto.DOUBLE):
                self.static[name] = numpy_helper.to_array(t)

    # -- emitting ---------------------------------------------------------

    def emit(self, op: Operation) -> SSAValue:
        self.ops.append(op)
        return op.results[0]

    # -- reading operands -------------------------------------------------

    def value(self, name: str) -> SSAValue:
        """The SSA value of a data operand; initializers become parameters on
        first use, compile-time constants become `train.constant`."""
        if name in self.values:
            return self.values[name]
        if name in self.initializers and name not in self.static:
            self.values[name] = self._param(name)
        elif name in self.static:
            arr = self.static[name]
            if arr.dtype not in (np.float32, np.float64, np.int32, np.int64):
                raise Unsupported(f"constant '{name}' has dtype {arr.dtype}")
            v = self.emit(train.ConstantOp(train.dense_from_numpy(np.require(arr, requirements="C"))))
            v.name_hint = ssa_name(name)
            self.values[name] = v
        else:
            raise Unsupported(f"tensor '{name}' is not defined before its use")
        return self.values[name]

    def _param(self, name: str) -> SSAValue:
        arr = numpy_helper.to_array(self.initializers[name])
        t = train.tensor(arr.shape, f32 if arr.dtype == np.float32 else f64)
        op = train.ParamOp(name, t)
        op.result.name_hint = ssa_name(name)
        self.params[name] = op
        self.param_values[name] = arr
        return op.result

    def const(self, name: str, what: str) -> np.ndarray:
        """A compile-time operand (shape, axes, exponent): a constant or an
        initializer."""
        if name in self.static:
            return self.static[name]
        if name in self.initializers:
            return numpy_helper.to_array(self.initializers[name])
        raise Unsupported(f"{what} ('{name}') must be a constant or an initializer")

    def is_static(self, name: str) -> bool:
        return name in self.static

    def shape(self, name: str) -> tuple[int, ...]:
        if name in self.static:
            return tuple(self.static[name].shape)
        v = self.value(name)
        assert isinstance(v.type, TensorType)
        return tuple(v.type.get_shape())

    def tensor_type(self, name: str) -> TensorType:
        v = self.value(name)
        assert isinstance(v.type, TensorType)
        return v.type


def attributes(node: NodeProto) -> dict[str, object]:
    """Node attributes as Python values; strings decoded."""
    out: dict[str, object] = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        out[a.name] = v
    return out


def present(node: NodeProto, i: int) -> bool:
    """Whether optional input `i` is given (ONNX marks omitted ones by '')."""
    return len(node.input) > i and node.input[i] != ""
