"""The `train` dialect: tensor-level model ops, parameters and losses.

Every op infers its result type from its operands and properties
(`infer_type`); the verifier checks the declared result type against it, so
a malformed op is rejected with a message that names the op and the shape it
expected. Builders (`TrainOp.make`) use the same inference, so passes and the
importer never spell out result types by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar, cast

import numpy as np
from xdsl.dialects.builtin import (
    I64,
    AnyFloat,
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    SymbolNameConstraint,
    TensorType,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation, SSAValue
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    traits_def,
    var_operand_def,
)
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.traits import OpTrait, Pure
from xdsl.utils.exceptions import VerifyException

Shape = tuple[int, ...]

FLOAT_TYPES = (Float32Type, Float64Type)


# ---------------------------------------------------------------------------
# helpers shared by the ops
# ---------------------------------------------------------------------------


def tensor(shape: Sequence[int], element_type: Attribute) -> TensorType:
    return TensorType(element_type, list(shape))


def shape_str(shape: Sequence[int]) -> str:
    return "x".join(str(d) for d in shape) if shape else "scalar"


def type_str(t: Attribute) -> str:
    return str(t)


def i64_array(values: Sequence[int]) -> DenseArrayBase:
    return DenseArrayBase.from_list(i64, list(values))


def ints(attr: DenseArrayBase | None, default: Sequence[int]) -> tuple[int, ...]:
    if attr is None:
        return tuple(default)
    return tuple(int(v) for v in attr.get_values())


def broadcast_shapes(op: str, a: Shape, b: Shape) -> Shape:
    """numpy (multidirectional) broadcasting, with an error naming the op."""
    out: list[int] = []
    for i in range(max(len(a), len(b))):
        da = a[len(a) - 1 - i] if i < len(a) else 1
        db = b[len(b) - 1 - i] if i < len(b) else 1
        if da != db and da != 1 and db != 1:
            raise VerifyException(
                f"'{op}': operand shapes {shape_str(a)} and {shape_str(b)} are not "
                f"broadcast-compatible (dimension -{i + 1}: {da} vs {db})"
            )
        out.append(max(da, db) if da != 0 and db != 0 else 0)
    return tuple(reversed(out))


def normalize_axis(op: str, axis: int, rank: int, what: str = "axis") -> int:
    if not -rank <= axis < max(rank, 1):
        raise VerifyException(
            f"'{op}': {what} {axis} is out of range for a rank-{rank} tensor "
            f"(expected {-rank} <= {what} < {rank})"
        )
    return axis % rank if rank else 0


def as_tensor(op: str, t: Attribute, what: str) -> TensorType:
    if not isinstance(t, TensorType):
        raise VerifyException(f"'{op}': {what} must be a ranked tensor, got {t}")
    return cast(TensorType, t)


def float_tensor(op: str, t: Attribute, what: str) -> TensorType:
    tt = as_tensor(op, t, what)
    if not isinstance(tt.element_type, FLOAT_TYPES):
        raise VerifyException(
            f"'{op}': {what} must have f32 or f64 elements, got {tt.element_type}"
        )
    return tt


def same_element_type(op: str, types: Sequence[TensorType]) -> Attribute:
    et = types[0].element_type
    for t in types[1:]:
        if t.element_type != et:
            raise VerifyException(
                f"'{op}': operands must share one element type, got "
                + ", ".join(str(x.element_type) for x in types)
            )
    return et


def expect_rank(op: str, t: TensorType, rank: int, what: str, layout: str) -> Shape:
    shape = tuple(t.get_shape())
    if len(shape) != rank:
        raise VerifyException(
            f"'{op}': {what} must have rank {rank} ({layout}), got {t}"
        )
    return shape


# ---------------------------------------------------------------------------
# base class
# ---------------------------------------------------------------------------


# Discardable attributes the project's own passes put on train and grad ops
# (train-lora tags the add of an adapter; the `cluster` dialect's attributes
# sit on functions, globals and allocs, never here). Anything else is a typo
# or an attribute no pass reads, which would be kept and silently ignored.
# the adapter tag train-lora puts on the add of an adapter branch
# ({base = "NAME", scale = s}) and train-lora-merge reads
LORA_TAG = "train.lora"
KNOWN_DISCARDABLE = (LORA_TAG,)


@dataclass(frozen=True)
class KnownAttributes(OpTrait):
    """Verifier of the attribute dictionary: only the op's properties and
    the known discardable attributes."""

    def verify(self, op: Operation) -> None:
        props = sorted(type(op).get_irdl_definition().properties)  # type: ignore[attr-defined]
        for name in op.attributes:
            if name in KNOWN_DISCARDABLE:
                continue
            if name in props:
                raise VerifyException(
                    f"'{op.name}': '{name}' is a property of the op, given as a discardable "
                    f"attribute (generic form: write it in <{{{name} = ...}}>)"
                )
            known = ", ".join(KNOWN_DISCARDABLE)
            raise VerifyException(
                f"'{op.name}': unknown attribute '{name}'; accepted: the op's properties "
                f"({', '.join(props) or 'none'}) and the discardable attributes {known}"
            )


class TrainOp(IRDLOperation):
    """An op of the train dialect with a single, inferred result."""

    traits = traits_def(Pure(), KnownAttributes())
    irdl_options = (ParsePropInAttrDict(),)

    @classmethod
    def infer_type(
        cls, operands: Sequence[Attribute], props: Mapping[str, Attribute]
    ) -> TensorType:
        raise NotImplementedError(cls.name)

    @classmethod
    def make(
        cls,
        operands: Sequence[SSAValue | Operation],
        **props: Attribute | None,
    ):
        values = [SSAValue.get(o) for o in operands]
        p = {k: v for k, v in props.items() if v is not None}
        result = cls.infer_type([v.type for v in values], p)
        return cls.create(operands=values, result_types=[result], properties=p)

    def verify_(self) -> None:
        expected = self.infer_type([o.type for o in self.operands], self.properties)
        actual = self.results[0].type
        if actual != expected:
            raise VerifyException(
                f"'{self.name}': result type {actual} does not match the inferred "
                f"type {expected}"
            )


class MultiResultOp(TrainOp):
    """A train-level op with several inferred results (`infer_types`); the
    verifier compares every declared result type with the inferred one."""

    @classmethod
    def infer_types(
        cls, operands: Sequence[Attribute], props: Mapping[str, Attribute]
    ) -> list[TensorType]:
        raise NotImplementedError(cls.name)

    @classmethod
    def make(cls, operands: Sequence[SSAValue | Operation], **props: Attribute | None):
        values = [SSAValue.get(o) for o in operands]
        p = {k: v for k, v in props.items() if v is not None}
        types = cls.infer_types([v.type for v in values], p)
        return cls.create(operands=values, result_types=types, properties=p)

    def verify_(self) -> None:
        expected = self.infer_types([o.type for o in self.operands], self.properties)
        actual = [r.type for r in self.results]
        if actual != expected:
            raise VerifyException(
                f"'{self.name}': result types {', '.join(map(str, actual))} do not "
                f"match the inferred types {', '.join(map(str, expected))}"
            )


# ---------------------------------------------------------------------------
# parameters and constants
# ---------------------------------------------------------------------------


@irdl_op_definition
class ParamOp(IRDLOperation):
    """A model parameter: trainable or frozen, initial value inline or from the
    weights file named by the module attribute `train.weights` (key = name)."""

    name = "train.param"

    sym_name = prop_def(SymbolNameConstraint())
    trainable = opt_prop_def(UnitAttr)
    value = opt_prop_def(DenseIntOrFPElementsAttr)
    # learning rate recorded by importers of training graphs (e.g. ONNX SGD nodes)
    lr = opt_prop_def(FloatAttr)
    result = result_def(TensorType)

    traits = traits_def(Pure(), KnownAttributes())
    irdl_options = (ParsePropInAttrDict(),)
    # `train.param @name [trainable] [{attrs}] : type` or, with an inline value
    # whose type is the result type, `train.param @name ... = dense<...> : type`;
    # the learning rate recorded by importers prints as `{lr = ...}`

    @classmethod
    def parse(cls, parser: Parser) -> "ParamOp":
        name = parser.parse_symbol_name().data
        trainable = parser.parse_optional_keyword("trainable") is not None
        with_keyword = parser.parse_optional_attr_dict_with_keyword()
        extra = with_keyword.data if with_keyword is not None else parser.parse_optional_attr_dict()
        value = None
        if parser.parse_optional_punctuation("=") is not None:
            pos = parser.pos
            attr = parser.parse_attribute()
            if not isinstance(attr, DenseIntOrFPElementsAttr):
                parser.raise_error(
                    "expected a dense<...> : tensor<...> initial value", pos, parser.pos
                )
            value = attr
            type = attr.type
        else:
            parser.parse_punctuation(":")
            type = parser.parse_type()
        op = cls(name, cast(TensorType, type), trainable, value)
        for key, attr in extra.items():
            # `lr` is a property; every other entry stays a discardable attribute
            if key == "lr":
                op.properties["lr"] = attr
            else:
                op.attributes[key] = attr
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_symbol_name(self.param_name)
        if self.is_trainable:
            printer.print_string(" trainable")
        extra = dict(self.attributes)
        if self.lr is not None:
            extra["lr"] = self.lr
        if extra:
            printer.print_op_attributes(extra)
        if self.value is not None:
            printer.print_string(" = ")
            printer.print_attribute(self.value)
        else:
            printer.print_string(" : ")
            printer.print_attribute(self.result.type)

    def __init__(
        self,
        name: str,
        type: TensorType,
        trainable: bool = False,
        value: DenseIntOrFPElementsAttr | None = None,
    ):
        props: dict[str, Attribute] = {"sym_name": StringAttr(name)}
        if trainable:
            props["trainable"] = UnitAttr()
        if value is not None:
            props["value"] = value
        super().__init__(properties=props, result_types=[type])

    @property
    def param_name(self) -> str:
        return self.sym_name.data

    @property
    def is_trainable(self) -> bool:
        return self.trainable is not None

    def verify_(self) -> None:
        t = float_tensor(self.name, self.result.type, "a parameter")
        if self.value is not None and self.value.type != t:
            raise VerifyException(
                f"'{self.name}' @{self.param_name}: inline value has type "
                f"{self.value.type}, expected {t}"
            )
        # parameter names are the tensors' identities (weights file keys,
        # `NAME_updated` outputs): they must be unique in the module
        top: Operation = self
        while top.parent_op() is not None:
            top = cast(Operation, top.parent_op())
        for other in top.walk():
            if other is not self and isinstance(other, ParamOp):
                if other.param_name == self.param_name:
                    raise VerifyException(
                        f"'{self.name}': parameter @{self.param_name} is defined "
                        "more than once"
                    )


@irdl_op_definition
class ConstantOp(IRDLOperation):
    """A constant tensor that is not a parameter (never trained)."""

    name = "train.constant"

    value = prop_def(DenseIntOrFPElementsAttr)
    result = result_def(TensorType)

    traits = traits_def(Pure(), KnownAttributes())
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, value: DenseIntOrFPElementsAttr):
        super().__init__(properties={"value": value}, result_types=[value.type])

    @classmethod
    def parse(cls, parser: Parser) -> "ConstantOp":
        pos = parser.pos
        attr = parser.parse_attribute()
        if not isinstance(attr, DenseIntOrFPElementsAttr):
            parser.raise_error("expected a dense<...> : tensor<...> value", pos, parser.pos)
        op = cls(attr)
        if (extra := parser.parse_optional_attr_dict()) :
            op.attributes.update(extra)
        return op

    def print(self, printer: Printer) -> None:
        printer.print_string(" ")
        printer.print_attribute(self.value)
        if self.attributes:
            printer.print_op_attributes(self.attributes)

    def verify_(self) -> None:
        if self.value.type != self.result.type:
            raise VerifyException(
                f"'{self.name}': value type {self.value.type} does not match "
                f"result type {self.result.type}"
            )


def dense_from_numpy(array: np.ndarray) -> DenseIntOrFPElementsAttr:
    """A dense attribute holding a numpy array (f32, f64, i32 or i64)."""
    from xdsl.dialects.builtin import BytesAttr, i32

    kinds = {
        np.dtype(np.float32): Float32Type(),
        np.dtype(np.float64): Float64Type(),
        np.dtype(np.int32): i32,
        np.dtype(np.int64): i64,
    }
    if array.dtype not in kinds:
        raise ValueError(f"unsupported dtype {array.dtype} for a dense attribute")
    little = array.astype(array.dtype.newbyteorder("<"), copy=False)
    t = tensor(array.shape, kinds[array.dtype])
    return DenseIntOrFPElementsAttr(t, BytesAttr(np.ascontiguousarray(little).tobytes()))


def numpy_dtype(element_type: Attribute) -> np.dtype:
    if isinstance(element_type, Float32Type):
        return np.dtype(np.float32)
    if isinstance(element_type, Float64Type):
        return np.dtype(np.float64)
    if isinstance(element_type, IntegerType):
        return np.dtype({8: np.int8, 16: np.int16, 32: np.int32, 64: np.int64}[
            element_type.width.data
        ])
    raise ValueError(f"no numpy dtype for {element_type}")


def numpy_from_dense(attr: DenseIntOrFPElementsAttr) -> np.ndarray:
    dt = numpy_dtype(attr.get_element_type()).newbyteorder("<")
    shape = tuple(attr.get_shape())
    flat = np.frombuffer(attr.data.data, dtype=dt)
    if flat.size == 1 and int(np.prod(shape)) != 1:  # splat
        return np.full(shape, flat[0], dtype=dt.newbyteorder("="))
    return flat.reshape(shape).astype(dt.newbyteorder("="))


# ---------------------------------------------------------------------------
# elementwise
# ---------------------------------------------------------------------------


class BinaryOp(TrainOp):
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        a = float_tensor(cls.name, operands[0], "lhs")
        b = float_tensor(cls.name, operands[1], "rhs")
        et = same_element_type(cls.name, [a, b])
        return tensor(
            broadcast_shapes(cls.name, tuple(a.get_shape()), tuple(b.get_shape())), et
        )


@irdl_op_definition
class AddOp(BinaryOp):
    """Elementwise sum with numpy broadcasting."""

    name = "train.add"


@irdl_op_definition
class SubOp(BinaryOp):
    """Elementwise difference with numpy broadcasting."""

    name = "train.sub"


@irdl_op_definition
class MulOp(BinaryOp):
    """Elementwise product with numpy broadcasting."""

    name = "train.mul"


@irdl_op_definition
class DivOp(BinaryOp):
    """Elementwise quotient with numpy broadcasting."""

    name = "train.div"


class UnaryOp(TrainOp):
    input = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        return float_tensor(cls.name, operands[0], "input")


@irdl_op_definition
class ReluOp(UnaryOp):
    """max(x, 0)."""

    name = "train.relu"


@irdl_op_definition
class SqrtOp(UnaryOp):
    """Elementwise square root."""

    name = "train.sqrt"


@irdl_op_definition
class PowOp(UnaryOp):
    """x ** exponent, with a scalar exponent."""

    name = "train.pow"
    exponent = prop_def(FloatAttr)


GELU_FORMS = ("none", "tanh")


def gelu_form(op: IRDLOperation) -> str:
    """The `approximate` property of a GELU op (or its gradient)."""
    attr = op.properties.get("approximate")
    return "none" if attr is None else cast(StringAttr, attr).data


def verify_gelu_form(op: IRDLOperation) -> None:
    if gelu_form(op) not in GELU_FORMS:
        raise VerifyException(
            f"'{op.name}': approximate must be one of "
            f"{', '.join(repr(f) for f in GELU_FORMS)}, got {gelu_form(op)!r}"
        )


@irdl_op_definition
class GeluOp(UnaryOp):
    """GELU, exact (erf, `approximate = "none"`, the default) or tanh form."""

    name = "train.gelu"
    approximate = opt_prop_def(StringAttr)

    @property
    def form(self) -> str:
        return gelu_form(self)

    def verify_(self) -> None:
        verify_gelu_form(self)
        super().verify_()


@irdl_op_definition
class SoftmaxOp(UnaryOp):
    """Softmax along one axis."""

    name = "train.softmax"
    axis = prop_def(IntegerAttr[I64])

    @classmethod
    def infer_type(cls, operands, props):
        t = float_tensor(cls.name, operands[0], "input")
        normalize_axis(cls.name, props["axis"].value.data, t.get_num_dims())
        return t


@irdl_op_definition
class LayerNormOp(TrainOp):
    """Layer normalisation over dimensions [axis, rank) with scale and an
    optional bias of shape input.shape[axis:]."""

    name = "train.layernorm"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    result = result_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    epsilon = prop_def(FloatAttr)
    assembly_format = (
        "$input `,` $scale (`,` $bias^)? attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "input")
        shape = tuple(x.get_shape())
        axis = normalize_axis(cls.name, props["axis"].value.data, len(shape))
        norm = shape[axis:]
        for what, t in zip(("scale", "bias"), operands[1:]):
            tt = float_tensor(cls.name, t, what)
            if tuple(tt.get_shape()) != norm:
                raise VerifyException(
                    f"'{cls.name}': {what} must have shape {shape_str(norm)} "
                    f"(input shape from axis {axis}), got {tt}"
                )
        same_element_type(cls.name, [x, *[cast(TensorType, t) for t in operands[1:]]])
        return x


# ---------------------------------------------------------------------------
# linear algebra and convolution
# ---------------------------------------------------------------------------


@irdl_op_definition
class MatMulOp(TrainOp):
    """numpy.matmul: batched, with broadcasting batch dimensions; 1-D operands
    are promoted and the promoted dimension removed."""

    name = "train.matmul"
    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        a = float_tensor(cls.name, operands[0], "lhs")
        b = float_tensor(cls.name, operands[1], "rhs")
        et = same_element_type(cls.name, [a, b])
        sa, sb = tuple(a.get_shape()), tuple(b.get_shape())
        if not sa or not sb:
            raise VerifyException(f"'{cls.name}': operands must have rank >= 1")
        pa = (1, *sa) if len(sa) == 1 else sa
        pb = (*sb, 1) if len(sb) == 1 else sb
        if pa[-1] != pb[-2]:
            raise VerifyException(
                f"'{cls.name}': contraction dimensions differ: lhs {shape_str(sa)} "
                f"has {pa[-1]} columns, rhs {shape_str(sb)} has {pb[-2]} rows "
                f"(expected rhs shape ...x{pa[-1]}x{pb[-1]})"
            )
        batch = broadcast_shapes(cls.name, pa[:-2], pb[:-2])
        out = [*batch]
        if len(sa) > 1:
            out.append(pa[-2])
        if len(sb) > 1:
            out.append(pb[-1])
        return tensor(out, et)


@irdl_op_definition
class GemmOp(TrainOp):
    """alpha * op(A) @ op(B) + beta * C, op = optional transpose; C broadcast
    to the M x N result (ONNX Gemm)."""

    name = "train.gemm"
    a = operand_def(TensorType)
    b = operand_def(TensorType)
    c = opt_operand_def(TensorType)
    result = result_def(TensorType)
    trans_a = opt_prop_def(UnitAttr)
    trans_b = opt_prop_def(UnitAttr)
    alpha = opt_prop_def(FloatAttr)
    beta = opt_prop_def(FloatAttr)
    assembly_format = (
        "$a `,` $b (`,` $c^)? attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        a = float_tensor(cls.name, operands[0], "A")
        b = float_tensor(cls.name, operands[1], "B")
        sa = expect_rank(cls.name, a, 2, "A", "M x K")
        sb = expect_rank(cls.name, b, 2, "B", "K x N")
        if "trans_a" in props:
            sa = sa[::-1]
        if "trans_b" in props:
            sb = sb[::-1]
        if sa[1] != sb[0]:
            raise VerifyException(
                f"'{cls.name}': op(A) is {shape_str(sa)} and op(B) is "
                f"{shape_str(sb)}; expected op(B) of shape {sa[1]}x{sb[1]}"
            )
        out = (sa[0], sb[1])
        ts = [a, b]
        if len(operands) > 2:
            c = float_tensor(cls.name, operands[2], "C")
            ts.append(c)
            sc = tuple(c.get_shape())
            if broadcast_shapes(cls.name, sc, out) != out:
                raise VerifyException(
                    f"'{cls.name}': C of shape {shape_str(sc)} does not broadcast to "
                    f"the result shape {shape_str(out)}"
                )
        return tensor(out, same_element_type(cls.name, ts))


def conv_out_dim(size: int, k: int, stride: int, pad: int, dilation: int) -> int:
    return (size + pad - dilation * (k - 1) - 1) // stride + 1


@irdl_op_definition
class Conv2dOp(TrainOp):
    """2-D convolution, NCHW input, MCkk weight (C = channels / group), optional
    bias [M]. pads = [top, left, bottom, right] (ONNX order)."""

    name = "train.conv2d"
    input = operand_def(TensorType)
    weight = operand_def(TensorType)
    bias = opt_operand_def(TensorType)
    result = result_def(TensorType)
    strides = opt_prop_def(DenseArrayBase)
    pads = opt_prop_def(DenseArrayBase)
    dilations = opt_prop_def(DenseArrayBase)
    group = opt_prop_def(IntegerAttr[I64])
    assembly_format = (
        "$input `,` $weight (`,` $bias^)? attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def geometry(cls, props: Mapping[str, Attribute]):
        strides = ints(props.get("strides"), (1, 1))
        pads = ints(props.get("pads"), (0, 0, 0, 0))
        dil = ints(props.get("dilations"), (1, 1))
        group = props["group"].value.data if "group" in props else 1
        for what, vals, n in (("strides", strides, 2), ("dilations", dil, 2)):
            if len(vals) != n or min(vals) < 1:
                raise VerifyException(
                    f"'{cls.name}': {what} must be {n} positive integers, got {list(vals)}"
                )
        if len(pads) != 4 or min(pads) < 0:
            raise VerifyException(
                f"'{cls.name}': pads must be 4 non-negative integers "
                f"[top, left, bottom, right], got {list(pads)}"
            )
        if group < 1:
            raise VerifyException(f"'{cls.name}': group must be >= 1, got {group}")
        return strides, pads, dil, group

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "input")
        w = float_tensor(cls.name, operands[1], "weight")
        n, c, h, wd = expect_rank(cls.name, x, 4, "input", "N x C x H x W")
        m, cg, kh, kw = expect_rank(cls.name, w, 4, "weight", "M x C/group x kH x kW")
        strides, pads, dil, group = cls.geometry(props)
        if c % group:  # no weight shape can fit: say so, not which weight to use
            raise VerifyException(
                f"'{cls.name}': group = {group} does not divide the {c} input channels "
                f"(expected a group count that divides {c})"
            )
        if m % group or cg != c // group:
            raise VerifyException(
                f"'{cls.name}': input has {c} channels and group = {group}; expected "
                f"a weight of shape {m}x{c // group if group else c}x{kh}x{kw} with "
                f"{m} divisible by {group}, got {w}"
            )
        ts = [x, w]
        if len(operands) > 2:
            b = float_tensor(cls.name, operands[2], "bias")
            ts.append(b)
            if tuple(b.get_shape()) != (m,):
                raise VerifyException(
                    f"'{cls.name}': bias must have shape {m}, got {b}"
                )
        oh = conv_out_dim(h, kh, strides[0], pads[0] + pads[2], dil[0])
        ow = conv_out_dim(wd, kw, strides[1], pads[1] + pads[3], dil[1])
        if oh < 1 or ow < 1:
            raise VerifyException(
                f"'{cls.name}': a {kh}x{kw} kernel does not fit the padded "
                f"{h}x{wd} input"
            )
        return tensor((n, m, oh, ow), same_element_type(cls.name, ts))


@irdl_op_definition
class MaxPool2dOp(TrainOp):
    """2-D max pooling over NCHW, pads = [top, left, bottom, right]."""

    name = "train.maxpool2d"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    kernel = prop_def(DenseArrayBase)
    strides = opt_prop_def(DenseArrayBase)
    pads = opt_prop_def(DenseArrayBase)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    @classmethod
    def geometry(cls, props: Mapping[str, Attribute]):
        kernel = ints(props["kernel"], ())
        strides = ints(props.get("strides"), (1, 1))
        pads = ints(props.get("pads"), (0, 0, 0, 0))
        if len(kernel) != 2 or min(kernel) < 1:
            raise VerifyException(
                f"'{cls.name}': kernel must be 2 positive integers, got {list(kernel)}"
            )
        if len(strides) != 2 or min(strides) < 1:
            raise VerifyException(
                f"'{cls.name}': strides must be 2 positive integers, got {list(strides)}"
            )
        if len(pads) != 4 or min(pads) < 0 or max(pads[0], pads[2]) >= kernel[0] or max(pads[1], pads[3]) >= kernel[1]:
            raise VerifyException(
                f"'{cls.name}': pads must be 4 non-negative integers smaller than the "
                f"kernel, got {list(pads)}"
            )
        return kernel, strides, pads

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "input")
        n, c, h, w = expect_rank(cls.name, x, 4, "input", "N x C x H x W")
        kernel, strides, pads = cls.geometry(props)
        oh = conv_out_dim(h, kernel[0], strides[0], pads[0] + pads[2], 1)
        ow = conv_out_dim(w, kernel[1], strides[1], pads[1] + pads[3], 1)
        if oh < 1 or ow < 1:
            raise VerifyException(
                f"'{cls.name}': a {kernel[0]}x{kernel[1]} window does not fit the "
                f"{h}x{w} input"
            )
        return tensor((n, c, oh, ow), x.element_type)


# ---------------------------------------------------------------------------
# shape manipulation
# ---------------------------------------------------------------------------


@irdl_op_definition
class TransposeOp(TrainOp):
    """Permute dimensions: result.shape[i] = input.shape[perm[i]]."""

    name = "train.transpose"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    perm = prop_def(DenseArrayBase)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        x = as_tensor(cls.name, operands[0], "input")
        shape = tuple(x.get_shape())
        perm = ints(props["perm"], ())
        if sorted(perm) != list(range(len(shape))):
            raise VerifyException(
                f"'{cls.name}': perm {list(perm)} is not a permutation of "
                f"0..{len(shape) - 1} for input {x}"
            )
        return tensor([shape[p] for p in perm], x.element_type)


@irdl_op_definition
class ReshapeOp(TrainOp):
    """Reinterpret the elements with the result type's shape (same count)."""

    name = "train.reshape"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    @classmethod
    def make_to(cls, input: SSAValue | Operation, shape: Sequence[int]) -> "ReshapeOp":
        v = SSAValue.get(input)
        t = as_tensor(cls.name, v.type, "input")
        return cls.create(operands=[v], result_types=[tensor(shape, t.element_type)])

    @classmethod
    def infer_type(cls, operands, props):  # the target shape is not inferable
        raise VerifyException(f"'{cls.name}': use ReshapeOp.make_to(value, shape)")

    def verify_(self) -> None:
        x = as_tensor(self.name, self.input.type, "input")
        r = as_tensor(self.name, self.result.type, "result")
        if x.element_type != r.element_type:
            raise VerifyException(
                f"'{self.name}': element types differ: {x.element_type} vs {r.element_type}"
            )
        if x.element_count() != r.element_count():
            raise VerifyException(
                f"'{self.name}': cannot reshape {x} ({x.element_count()} elements) "
                f"into {r} ({r.element_count()} elements)"
            )


@irdl_op_definition
class SqueezeOp(TrainOp):
    """Remove the listed size-1 dimensions."""

    name = "train.squeeze"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    axes = prop_def(DenseArrayBase)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        x = as_tensor(cls.name, operands[0], "input")
        shape = tuple(x.get_shape())
        axes = {normalize_axis(cls.name, a, len(shape)) for a in ints(props["axes"], ())}
        for a in axes:
            if shape[a] != 1:
                raise VerifyException(
                    f"'{cls.name}': cannot squeeze dimension {a} of {x}: its size is "
                    f"{shape[a]}, expected 1"
                )
        return tensor([d for i, d in enumerate(shape) if i not in axes], x.element_type)


@irdl_op_definition
class UnsqueezeOp(TrainOp):
    """Insert size-1 dimensions at the listed positions of the result."""

    name = "train.unsqueeze"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    axes = prop_def(DenseArrayBase)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        x = as_tensor(cls.name, operands[0], "input")
        shape = list(x.get_shape())
        rank = len(shape) + len(ints(props["axes"], ()))
        axes = sorted(normalize_axis(cls.name, a, rank) for a in ints(props["axes"], ()))
        if len(set(axes)) != len(axes):
            raise VerifyException(f"'{cls.name}': axes {axes} contain duplicates")
        for a in axes:
            shape.insert(a, 1)
        return tensor(shape, x.element_type)


@irdl_op_definition
class ConcatOp(TrainOp):
    """Concatenate along one axis; other dimensions must agree."""

    name = "train.concat"
    inputs = var_operand_def(TensorType)
    result = result_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    assembly_format = "$inputs attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        if not operands:
            raise VerifyException(f"'{cls.name}': expected at least one input")
        ts = [as_tensor(cls.name, t, f"input {i}") for i, t in enumerate(operands)]
        et = same_element_type(cls.name, ts)
        first = tuple(ts[0].get_shape())
        axis = normalize_axis(cls.name, props["axis"].value.data, len(first))
        total = 0
        for i, t in enumerate(ts):
            s = tuple(t.get_shape())
            if len(s) != len(first) or s[:axis] + s[axis + 1 :] != first[:axis] + first[axis + 1 :]:
                want = list(first)
                want[axis] = -1
                raise VerifyException(
                    f"'{cls.name}': input {i} has shape {shape_str(s)}; expected "
                    f"{shape_str(want).replace('-1', '?')} (all dimensions but "
                    f"axis {axis} equal)"
                )
            total += s[axis]
        out = list(first)
        out[axis] = total
        return tensor(out, et)


class ReduceOp(TrainOp):
    input = operand_def(TensorType)
    result = result_def(TensorType)
    axes = prop_def(DenseArrayBase)
    keepdims = opt_prop_def(UnitAttr)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    @classmethod
    def reduced_axes(cls, props: Mapping[str, Attribute], rank: int) -> tuple[int, ...]:
        """The normalized axes; an empty list reduces every dimension."""
        axes = ints(props["axes"], ())
        if not axes:
            return tuple(range(rank))
        norm = [normalize_axis(cls.name, a, rank) for a in axes]
        if len(set(norm)) != len(norm):
            raise VerifyException(f"'{cls.name}': axes {list(axes)} contain duplicates")
        return tuple(sorted(norm))

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "input")
        shape = tuple(x.get_shape())
        axes = cls.reduced_axes(props, len(shape))
        if "keepdims" in props:
            out = [1 if i in axes else d for i, d in enumerate(shape)]
        else:
            out = [d for i, d in enumerate(shape) if i not in axes]
        return tensor(out, x.element_type)


@irdl_op_definition
class ReduceMeanOp(ReduceOp):
    """Mean over the listed axes (all when empty)."""

    name = "train.reduce_mean"


@irdl_op_definition
class ReduceSumOp(ReduceOp):
    """Sum over the listed axes (all when empty)."""

    name = "train.reduce_sum"


# ---------------------------------------------------------------------------
# activations, elementwise math, max / min and reduce_max
#
# One class per op; their numpy semantics (interpreter/elementwise.py),
# derivatives (passes/autodiff/rules.py, dialects/grad.py) and kernels
# (lowering/elementwise_kernels.py) are tables keyed by these classes.
# ---------------------------------------------------------------------------


class ScalarParams:
    """Float properties with defaults (ONNX's), read by `param(name)`; a
    given value must be finite. Shared by forward and gradient ops."""

    DEFAULTS: ClassVar[Mapping[str, float | None]] = {}

    def param(self, name: str) -> float | None:
        attr = cast(IRDLOperation, self).properties.get(name)
        if attr is None:
            return self.DEFAULTS[name]
        return float(cast(FloatAttr, attr).value.data)

    def verify_params(self) -> None:
        op = cast(IRDLOperation, self)
        for name in self.DEFAULTS:
            value = self.param(name)
            if value is not None and not np.isfinite(value):
                raise VerifyException(f"'{op.name}': {name} must be a finite number, got {value}")


class ParamUnaryOp(ScalarParams, UnaryOp):
    def verify_(self) -> None:
        self.verify_params()
        super().verify_()


@irdl_op_definition
class SigmoidOp(UnaryOp):
    """1 / (1 + exp(-x))."""

    name = "train.sigmoid"


@irdl_op_definition
class TanhOp(UnaryOp):
    """Hyperbolic tangent."""

    name = "train.tanh"


@irdl_op_definition
class HardSigmoidOp(ParamUnaryOp):
    """max(0, min(1, alpha * x + beta)); alpha 0.2 and beta 0.5 by default
    (ONNX), PyTorch's nn.Hardsigmoid is alpha = 1/6."""

    name = "train.hardsigmoid"
    alpha = opt_prop_def(FloatAttr)
    beta = opt_prop_def(FloatAttr)
    DEFAULTS: ClassVar[Mapping[str, float | None]] = {"alpha": 0.2, "beta": 0.5}


@irdl_op_definition
class HardSwishOp(UnaryOp):
    """x * max(0, min(1, x / 6 + 1/2))."""

    name = "train.hardswish"


@irdl_op_definition
class LeakyReluOp(ParamUnaryOp):
    """x where x > 0, else alpha * x (alpha 0.01 by default)."""

    name = "train.leaky_relu"
    alpha = opt_prop_def(FloatAttr)
    DEFAULTS: ClassVar[Mapping[str, float | None]] = {"alpha": 0.01}


@irdl_op_definition
class ClipOp(ParamUnaryOp):
    """min(max(x, min), max); either bound may be absent (no bound). With
    min > max every element becomes max (ONNX and torch.clamp)."""

    name = "train.clip"
    min = opt_prop_def(FloatAttr)
    max = opt_prop_def(FloatAttr)
    DEFAULTS: ClassVar[Mapping[str, float | None]] = {"min": None, "max": None}


@irdl_op_definition
class ExpOp(UnaryOp):
    """Elementwise e^x."""

    name = "train.exp"


@irdl_op_definition
class LogOp(UnaryOp):
    """Elementwise natural logarithm."""

    name = "train.log"


@irdl_op_definition
class NegOp(UnaryOp):
    """Elementwise -x."""

    name = "train.neg"


@irdl_op_definition
class ErfOp(UnaryOp):
    """Elementwise error function."""

    name = "train.erf"


@irdl_op_definition
class CeilOp(UnaryOp):
    """Smallest integer >= x (gradient zero)."""

    name = "train.ceil"


@irdl_op_definition
class FloorOp(UnaryOp):
    """Largest integer <= x (gradient zero)."""

    name = "train.floor"


@irdl_op_definition
class SwishOp(ParamUnaryOp):
    """x * sigmoid(alpha * x) (ONNX Swish; alpha = 1 is SiLU)."""

    name = "train.swish"
    alpha = opt_prop_def(FloatAttr)
    DEFAULTS: ClassVar[Mapping[str, float | None]] = {"alpha": 1.0}


@irdl_op_definition
class SoftplusOp(UnaryOp):
    """log(1 + exp(x))."""

    name = "train.softplus"


@irdl_op_definition
class MaxOp(BinaryOp):
    """Elementwise maximum with numpy broadcasting."""

    name = "train.max"


@irdl_op_definition
class MinOp(BinaryOp):
    """Elementwise minimum with numpy broadcasting."""

    name = "train.min"


@irdl_op_definition
class ReduceMaxOp(ReduceOp):
    """Maximum over the listed axes (all when empty)."""

    name = "train.reduce_max"


ELEMENTWISE_MATH_OPS: tuple[type[IRDLOperation], ...] = (
    SigmoidOp,
    TanhOp,
    HardSigmoidOp,
    HardSwishOp,
    LeakyReluOp,
    ClipOp,
    ExpOp,
    LogOp,
    NegOp,
    ErfOp,
    CeilOp,
    FloorOp,
    SwishOp,
    SoftplusOp,
    MaxOp,
    MinOp,
    ReduceMaxOp,
)


# ---------------------------------------------------------------------------
# losses
# ---------------------------------------------------------------------------


@irdl_op_definition
class CrossEntropyOp(TrainOp):
    """Softmax cross-entropy of logits [N, C] against integer labels [N],
    mean over the batch; a scalar."""

    name = "train.cross_entropy"
    logits = operand_def(TensorType)
    labels = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = "$logits `,` $labels attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "logits")
        y = as_tensor(cls.name, operands[1], "labels")
        n, _ = expect_rank(cls.name, x, 2, "logits", "N x C")
        if not isinstance(y.element_type, IntegerType):
            raise VerifyException(
                f"'{cls.name}': labels must have integer elements, got {y}"
            )
        if tuple(y.get_shape()) != (n,):
            raise VerifyException(
                f"'{cls.name}': labels must have shape {n} (one class index per "
                f"row of the logits), got {y}"
            )
        return tensor((), x.element_type)


@irdl_op_definition
class MseOp(TrainOp):
    """Mean squared error over all elements; a scalar."""

    name = "train.mse"
    prediction = operand_def(TensorType)
    target = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$prediction `,` $target attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        p = float_tensor(cls.name, operands[0], "prediction")
        t = float_tensor(cls.name, operands[1], "target")
        if p.get_shape() != t.get_shape():
            raise VerifyException(
                f"'{cls.name}': target must have the prediction's shape "
                f"{shape_str(tuple(p.get_shape()))}, got {t}"
            )
        return tensor((), same_element_type(cls.name, [p, t]))


# ---------------------------------------------------------------------------
# strided slices (ONNX Slice, Split, Gather with constant indices)
# ---------------------------------------------------------------------------


def slice_geometry(
    op: str, shape: Shape, props: Mapping[str, Attribute]
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """(starts, sizes, steps) of a strided slice of a tensor of `shape`,
    checked: one entry per dimension, starts in range, steps non-zero and
    every selected index start + i * step (0 <= i < size) inside the
    dimension. Shared by `train.slice` and its gradient `grad.slice_scatter`."""
    rank = len(shape)
    starts = ints(props["starts"], ())
    sizes = ints(props["sizes"], ())
    steps = ints(props.get("steps"), (1,) * rank)
    for what, vals in (("starts", starts), ("sizes", sizes), ("steps", steps)):
        if len(vals) != rank:
            raise VerifyException(
                f"'{op}': {what} must have one entry per dimension of the rank-{rank} "
                f"input ({shape_str(shape)}), got {list(vals)}"
            )
    for i, (n, start, size, step) in enumerate(zip(shape, starts, sizes, steps)):
        last = start + (size - 1) * step
        if step == 0 or size < 1 or not 0 <= start < n or not 0 <= last < n:
            raise VerifyException(
                f"'{op}': dimension {i} of size {n}: start {start}, size {size}, step "
                f"{step} select indices outside [0, {n}) (expected step != 0, size >= 1, "
                f"start and start + (size - 1) * step in range)"
            )
    return starts, sizes, steps


@irdl_op_definition
class SliceOp(TrainOp):
    """result[i] = input[starts + i * steps] per dimension: a strided slice
    with static, normalised bounds (`starts` non-negative, `steps` non-zero,
    possibly negative; the result shape is `sizes`)."""

    name = "train.slice"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    starts = prop_def(DenseArrayBase)
    sizes = prop_def(DenseArrayBase)
    steps = opt_prop_def(DenseArrayBase)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        x = as_tensor(cls.name, operands[0], "input")
        _, sizes, _ = slice_geometry(cls.name, tuple(x.get_shape()), props)
        return tensor(sizes, x.element_type)


# ---------------------------------------------------------------------------
# batch normalisation (issue 13)
# ---------------------------------------------------------------------------


def channel_vectors(op: str, x: TensorType, named: Sequence[tuple[str, Attribute]]) -> int:
    """The channel count of an N x C [x spatial...] input; every named
    operand must be a vector of that many elements with x's element type."""
    shape = tuple(x.get_shape())
    if len(shape) < 2:
        raise VerifyException(
            f"'{op}': input must have rank >= 2 (N x C [x spatial...]), got {x}"
        )
    c = shape[1]
    ts = [x]
    for what, t in named:
        tt = float_tensor(op, t, what)
        if tuple(tt.get_shape()) != (c,):
            raise VerifyException(
                f"'{op}': {what} must have shape {c} (one value per channel of "
                f"input {shape_str(shape)}), got {tt}"
            )
        ts.append(tt)
    same_element_type(op, ts)
    return c


def values_per_channel(shape: Sequence[int]) -> int:
    """How many values a channel of an N x C [x spatial...] tensor holds."""
    return int(np.prod(shape)) // shape[1]


def verify_batch_statistics(op: str, x: TensorType) -> None:
    """Batch statistics need two values per channel (the running variance
    is unbiased, as in PyTorch, which rejects one value per channel too)."""
    if values_per_channel(tuple(x.get_shape())) < 2:
        raise VerifyException(
            f"'{op}': batch statistics need more than one value per channel; "
            f"input {x} has one"
        )


def verify_momentum(op: str, props: Mapping[str, Attribute]) -> None:
    m = props.get("momentum")
    if m is not None and not 0.0 <= cast(FloatAttr, m).value.data <= 1.0:
        raise VerifyException(
            f"'{op}': momentum must be in [0, 1] (ONNX convention: the weight of "
            f"the old running value), got {cast(FloatAttr, m).value.data}"
        )


@irdl_op_definition
class BatchNormOp(TrainOp):
    """Batch normalisation over channel axis 1 of an N x C [x spatial...]
    input: y = (x - mean) / sqrt(var + epsilon) * scale + bias, per channel.

    Without `training`: mean and var are the operands, the (frozen) running
    statistics (inference, fine-tuning with frozen statistics; foldable into
    a preceding conv or gemm by `train-fold-batchnorm`). With `training`: y
    uses the batch statistics (mean and biased variance over every dimension
    but 1); the mean and var operands are then the running statistics that
    `train-sgd` updates (`train.batchnorm_update`) with `momentum` (ONNX
    convention: running = momentum * running + (1 - momentum) * batch;
    default 0.9)."""

    name = "train.batchnorm"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    bias = operand_def(TensorType)
    mean = operand_def(TensorType)
    var = operand_def(TensorType)
    result = result_def(TensorType)
    epsilon = prop_def(FloatAttr)
    momentum = opt_prop_def(FloatAttr)
    training = opt_prop_def(UnitAttr)
    assembly_format = (
        "$input `,` $scale `,` $bias `,` $mean `,` $var attr-dict `:` "
        "functional-type(operands, results)"
    )

    DEFAULT_MOMENTUM: ClassVar[float] = 0.9

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "input")
        channel_vectors(
            cls.name, x, list(zip(("scale", "bias", "mean", "var"), operands[1:]))
        )
        if "training" in props:
            verify_batch_statistics(cls.name, x)
        verify_momentum(cls.name, props)
        return x

    @property
    def momentum_value(self) -> float:
        return self.DEFAULT_MOMENTUM if self.momentum is None else float(self.momentum.value.data)

    def verify_(self) -> None:
        super().verify_()
        for what, v in (("mean", self.mean), ("var", self.var)):
            if isinstance(v.owner, ParamOp) and v.owner.is_trainable:
                raise VerifyException(
                    f"'{self.name}': the running {what} @{v.owner.param_name} is "
                    "a statistic, not a trainable parameter (train its scale and "
                    "bias; `training` mode updates the statistics)"
                )


def running_statistics(ops: Sequence[Operation]) -> set[ParamOp]:
    """The parameters some `train.batchnorm` among `ops` (or nested in them)
    reads as its running mean or variance: never trainable."""
    found: set[ParamOp] = set()
    for top in ops:
        for op in top.walk():
            if isinstance(op, BatchNormOp):
                for v in (op.mean, op.var):
                    if isinstance(v.owner, ParamOp):
                        found.add(v.owner)
    return found


@irdl_op_definition
class BatchNormUpdateOp(MultiResultOp):
    """The running-statistics update of a training-mode batch normalisation
    (two results, not differentiated; `train-sgd` emits it):

        mean' = momentum * mean + (1 - momentum) * batch_mean
        var'  = momentum * var  + (1 - momentum) * batch_var_unbiased

    with the batch statistics over every dimension of the N x C [x
    spatial...] input but 1. The variance is the unbiased one (divided by
    count - 1), as PyTorch updates it; ONNX's reference text uses the
    population variance, but PyTorch is where training-mode BatchNorm
    graphs come from. `momentum` follows ONNX (PyTorch's is 1 - it)."""

    name = "train.batchnorm_update"
    input = operand_def(TensorType)
    mean = operand_def(TensorType)
    var = operand_def(TensorType)
    new_mean = result_def(TensorType)
    new_var = result_def(TensorType)
    momentum = prop_def(FloatAttr)

    assembly_format = (
        "$input `,` $mean `,` $var attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_types(
        cls, operands: Sequence[Attribute], props: Mapping[str, Attribute]
    ) -> list[TensorType]:
        x = float_tensor(cls.name, operands[0], "input")
        channel_vectors(cls.name, x, list(zip(("mean", "var"), operands[1:])))
        verify_batch_statistics(cls.name, x)
        verify_momentum(cls.name, props)
        return [cast(TensorType, operands[1]), cast(TensorType, operands[2])]


# ---------------------------------------------------------------------------
# padding (issue 13)
# ---------------------------------------------------------------------------


@irdl_op_definition
class PadOp(TrainOp):
    """Constant padding: pads = [begin_0, ..., begin_{r-1}, end_0, ...,
    end_{r-1}] (ONNX order), non-negative, filled with `value` (default 0;
    infinities allowed, e.g. before a max pool)."""

    name = "train.pad"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    pads = prop_def(DenseArrayBase)
    value = opt_prop_def(FloatAttr)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "input")
        shape = tuple(x.get_shape())
        pads = ints(props["pads"], ())
        if len(pads) != 2 * len(shape) or min(pads, default=0) < 0:
            raise VerifyException(
                f"'{cls.name}': pads must be {2 * len(shape)} non-negative integers "
                f"(begin and end of each dimension of {x}), got {list(pads)}"
            )
        r = len(shape)
        return tensor([n + pads[i] + pads[r + i] for i, n in enumerate(shape)], x.element_type)

    @property
    def pad_value(self) -> float:
        return 0.0 if self.value is None else float(self.value.value.data)

    def begins_ends(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        pads = ints(self.pads, ())
        r = len(pads) // 2
        return pads[:r], pads[r:]


BATCHNORM_OPS: tuple[type[IRDLOperation], ...] = (BatchNormOp, BatchNormUpdateOp, PadOp)


# ---------------------------------------------------------------------------
# Pow with a tensor exponent (ONNX Pow whose exponent is not a constant scalar)
# ---------------------------------------------------------------------------


@irdl_op_definition
class PowTensorOp(BinaryOp):
    """lhs ** rhs elementwise with numpy broadcasting, numpy's (and
    torch.pow's) real semantics: a negative base gives a real result for an
    integer exponent (negative for an odd one) and NaN otherwise; 0 ** 0 = 1,
    0 ** b = 0 for b > 0 and +inf for b < 0. `train.pow` is the form with a
    constant scalar exponent."""

    name = "train.pow_tensor"


LOSS_OPS: tuple[type[TrainOp], ...] = (CrossEntropyOp, MseOp)

MODEL_OPS: tuple[type[IRDLOperation], ...] = (
    Conv2dOp,
    MaxPool2dOp,
    GemmOp,
    MatMulOp,
    AddOp,
    SubOp,
    MulOp,
    DivOp,
    ReluOp,
    GeluOp,
    SoftmaxOp,
    LayerNormOp,
    TransposeOp,
    ReshapeOp,
    SqueezeOp,
    UnsqueezeOp,
    ReduceMeanOp,
    ReduceSumOp,
    SqrtOp,
    PowOp,
    ConcatOp,
    # strided slices
    SliceOp,
)
MODEL_OPS += ELEMENTWISE_MATH_OPS
MODEL_OPS += (PowTensorOp,)

Train = Dialect(
    "train",
    [ParamOp, ConstantOp, *MODEL_OPS, *LOSS_OPS, *BATCHNORM_OPS],
    [],
)
