"""The `grad` dialect: backward-only ops emitted by `train-autodiff`.

Vector-Jacobian products that are not a short composition of `train` ops
(masks, window scatters, fused normalisation backward) get one op each, so
the lowering sees one kernel per rule instead of a dozen elementwise ops.
Like `train`, every op infers its result types from operands and properties
(`GradOp.make`) and the verifier rejects a declared type that disagrees.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from xdsl.dialects.builtin import (
    I64,
    DenseArrayBase,
    FloatAttr,
    IntegerAttr,
    IntegerType,
    StringAttr,
    TensorType,
    UnitAttr,
)
from xdsl.ir import Attribute, Dialect, Operation, SSAValue
from xdsl.irdl import (
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    result_def,
)
from xdsl.utils.exceptions import VerifyException

from tdopt.dialects.train import (
    ClipOp,
    HardSigmoidOp,
    LeakyReluOp,
    ReduceMaxOp,
    ScalarParams,
    SwishOp,
    broadcast_shapes,
    Conv2dOp,
    MaxPool2dOp,
    TrainOp,
    as_tensor,
    expect_rank,
    float_tensor,
    gelu_form,
    ints,
    normalize_axis,
    same_element_type,
    shape_str,
    slice_geometry,
    tensor,
    verify_gelu_form,
)

from tdopt.dialects.train import MultiResultOp, channel_vectors, verify_batch_statistics

Shape = tuple[int, ...]


class GradOp(TrainOp):
    """A single-result backward op (shape inference and `make` from TrainOp)."""


def same_shape(op: str, what: str, t: TensorType, want: TensorType) -> None:
    if tuple(t.get_shape()) != tuple(want.get_shape()):
        raise VerifyException(
            f"'{op}': {what} must have shape {shape_str(tuple(want.get_shape()))}, "
            f"got {t}"
        )


class MaskedGradOp(GradOp):
    """dx = dy * f'(x): an elementwise derivative applied to the incoming gradient."""

    input = operand_def(TensorType)
    grad_output = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$input `,` $grad_output attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        return derivative_type(cls.name, operands, "input")


def derivative_type(op: str, operands: Sequence[Attribute], first: str) -> TensorType:
    """The type of dy * f'(.) from (`first`, grad_output): both float
    tensors of one element type and shape."""
    x = float_tensor(op, operands[0], first)
    dy = float_tensor(op, operands[1], "grad_output")
    same_element_type(op, [x, dy])
    same_shape(op, "grad_output", dy, x)
    return x


@irdl_op_definition
class ReluGradOp(MaskedGradOp):
    """dy where x > 0, else 0."""

    name = "grad.relu"


@irdl_op_definition
class GeluGradOp(MaskedGradOp):
    """dy * gelu'(x), exact (erf) or tanh form like `train.gelu`."""

    name = "grad.gelu"
    approximate = opt_prop_def(StringAttr)

    @property
    def form(self) -> str:
        return gelu_form(self)

    def verify_(self) -> None:
        verify_gelu_form(self)
        super().verify_()


@irdl_op_definition
class SoftmaxGradOp(GradOp):
    """y * (dy - sum(dy * y, axis)), from the forward *output* y."""

    name = "grad.softmax"
    output = operand_def(TensorType)
    grad_output = operand_def(TensorType)
    result = result_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    assembly_format = (
        "$output `,` $grad_output attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        y = float_tensor(cls.name, operands[0], "output")
        dy = float_tensor(cls.name, operands[1], "grad_output")
        same_element_type(cls.name, [y, dy])
        same_shape(cls.name, "grad_output", dy, y)
        normalize_axis(cls.name, props["axis"].value.data, y.get_num_dims())
        return y


@irdl_op_definition
class LayerNormGradOp(MultiResultOp):
    """Gradients of `train.layernorm` w.r.t. input, scale and bias (three
    results; the bias gradient is sum(dy) and is valid with or without a bias)."""

    name = "grad.layernorm"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    grad_output = operand_def(TensorType)
    grad_input = result_def(TensorType)
    grad_scale = result_def(TensorType)
    grad_bias = result_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    epsilon = prop_def(FloatAttr)
    assembly_format = (
        "$input `,` $scale `,` $grad_output attr-dict `:` "
        "functional-type(operands, results)"
    )

    @classmethod
    def infer_types(
        cls, operands: Sequence[Attribute], props: Mapping[str, Attribute]
    ) -> list[TensorType]:
        x = float_tensor(cls.name, operands[0], "input")
        s = float_tensor(cls.name, operands[1], "scale")
        dy = float_tensor(cls.name, operands[2], "grad_output")
        same_element_type(cls.name, [x, s, dy])
        same_shape(cls.name, "grad_output", dy, x)
        shape = tuple(x.get_shape())
        axis = normalize_axis(cls.name, props["axis"].value.data, len(shape))
        if tuple(s.get_shape()) != shape[axis:]:
            raise VerifyException(
                f"'{cls.name}': scale must have shape {shape_str(shape[axis:])} "
                f"(input shape from axis {axis}), got {s}"
            )
        return [x, s, s]


@irdl_op_definition
class Conv2dInputGradOp(GradOp):
    """Gradient of `train.conv2d` w.r.t. its input (a transposed convolution).
    The forward input shape is a property: it is not recoverable from dy
    when the stride does not divide the padded extent."""

    name = "grad.conv2d_input"
    grad_output = operand_def(TensorType)
    weight = operand_def(TensorType)
    result = result_def(TensorType)
    input_shape = prop_def(DenseArrayBase)
    strides = opt_prop_def(DenseArrayBase)
    pads = opt_prop_def(DenseArrayBase)
    dilations = opt_prop_def(DenseArrayBase)
    group = opt_prop_def(IntegerAttr[I64])
    assembly_format = (
        "$grad_output `,` $weight attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        dy = float_tensor(cls.name, operands[0], "grad_output")
        w = float_tensor(cls.name, operands[1], "weight")
        et = same_element_type(cls.name, [dy, w])
        shape = ints(props["input_shape"], ())
        if len(shape) != 4 or min(shape) < 1:
            raise VerifyException(
                f"'{cls.name}': input_shape must be 4 positive integers (NCHW), "
                f"got {list(shape)}"
            )
        # the forward convolution of that input must produce dy's shape
        fwd = Conv2dOp.infer_type([tensor(shape, et), w], props)
        same_shape(cls.name, "grad_output", dy, fwd)
        return tensor(shape, et)


@irdl_op_definition
class Conv2dWeightGradOp(GradOp):
    """Gradient of `train.conv2d` w.r.t. its weight; `kernel` = [kH, kW]."""

    name = "grad.conv2d_weight"
    input = operand_def(TensorType)
    grad_output = operand_def(TensorType)
    result = result_def(TensorType)
    kernel = prop_def(DenseArrayBase)
    strides = opt_prop_def(DenseArrayBase)
    pads = opt_prop_def(DenseArrayBase)
    dilations = opt_prop_def(DenseArrayBase)
    group = opt_prop_def(IntegerAttr[I64])
    assembly_format = (
        "$input `,` $grad_output attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "input")
        dy = float_tensor(cls.name, operands[1], "grad_output")
        et = same_element_type(cls.name, [x, dy])
        _, c, _, _ = expect_rank(cls.name, x, 4, "input", "N x C x H x W")
        _, m, _, _ = expect_rank(cls.name, dy, 4, "grad_output", "N x M x OH x OW")
        kernel = ints(props["kernel"], ())
        if len(kernel) != 2 or min(kernel) < 1:
            raise VerifyException(
                f"'{cls.name}': kernel must be 2 positive integers, got {list(kernel)}"
            )
        group = props["group"].value.data if "group" in props else 1
        if group < 1 or c % group:
            raise VerifyException(
                f"'{cls.name}': group {group} does not divide the {c} input channels"
            )
        w = tensor((m, c // group, *kernel), et)
        fwd = Conv2dOp.infer_type([x, w], props)
        same_shape(cls.name, "grad_output", dy, fwd)
        return w


@irdl_op_definition
class MaxPool2dGradOp(GradOp):
    """Routes dy to the first maximum of each window (PyTorch's choice),
    accumulating where windows overlap."""

    name = "grad.maxpool2d"
    input = operand_def(TensorType)
    grad_output = operand_def(TensorType)
    result = result_def(TensorType)
    kernel = prop_def(DenseArrayBase)
    strides = opt_prop_def(DenseArrayBase)
    pads = opt_prop_def(DenseArrayBase)
    assembly_format = (
        "$input `,` $grad_output attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "input")
        dy = float_tensor(cls.name, operands[1], "grad_output")
        same_element_type(cls.name, [x, dy])
        same_shape(cls.name, "grad_output", dy, MaxPool2dOp.infer_type([x], props))
        return x


@irdl_op_definition
class CrossEntropyGradOp(GradOp):
    """(softmax(logits) - onehot(labels)) / N * dy, dy the scalar loss gradient."""

    name = "grad.cross_entropy"
    logits = operand_def(TensorType)
    labels = operand_def(TensorType)
    grad_output = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$logits `,` $labels `,` $grad_output attr-dict `:` "
        "functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "logits")
        n, _ = expect_rank(cls.name, x, 2, "logits", "N x C")
        y = as_tensor(cls.name, operands[1], "labels")
        if not isinstance(y.element_type, IntegerType) or tuple(y.get_shape()) != (n,):
            raise VerifyException(
                f"'{cls.name}': labels must be an integer tensor of shape {n}, got {y}"
            )
        dy = float_tensor(cls.name, operands[2], "grad_output")
        same_element_type(cls.name, [x, dy])
        if dy.get_num_dims() != 0:
            raise VerifyException(f"'{cls.name}': grad_output must be a scalar, got {dy}")
        return x


@irdl_op_definition
class SliceOp(GradOp):
    """input[..., start : start + size, ...] along `axis` (the gradient of one
    `train.concat` operand)."""

    name = "grad.slice"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    axis = prop_def(IntegerAttr[I64])
    start = prop_def(IntegerAttr[I64])
    size = prop_def(IntegerAttr[I64])
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        x = as_tensor(cls.name, operands[0], "input")
        shape = list(x.get_shape())
        axis = normalize_axis(cls.name, props["axis"].value.data, len(shape))
        start, size = props["start"].value.data, props["size"].value.data
        if start < 0 or size < 1 or start + size > shape[axis]:
            raise VerifyException(
                f"'{cls.name}': slice [{start}, {start + size}) is out of range for "
                f"dimension {axis} of {x}"
            )
        shape[axis] = size
        return tensor(shape, x.element_type)


@irdl_op_definition
class BroadcastOp(GradOp):
    """numpy.broadcast_to(input, shape) (the gradient of a reduction)."""

    name = "grad.broadcast"
    input = operand_def(TensorType)
    result = result_def(TensorType)
    shape = prop_def(DenseArrayBase)
    assembly_format = "$input attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "input")
        src: Shape = tuple(x.get_shape())
        dst: Shape = ints(props["shape"], ())
        ok = len(src) <= len(dst) and all(
            s in (1, d) for s, d in zip(reversed(src), reversed(dst))
        )
        if not ok:
            raise VerifyException(
                f"'{cls.name}': cannot broadcast {x} to shape {shape_str(dst)}"
            )
        return tensor(dst, x.element_type)


# -- activations, max / min and reduce_max -------------------------------------
# dx = dy * f'(.) per activation; the derivative tables are
# interpreter/elementwise.py (numpy) and lowering/elementwise_kernels.py.


class OutputGradOp(GradOp):
    """dx = dy * f'(x) with f' written in terms of the forward output y."""

    output = operand_def(TensorType)
    grad_output = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$output `,` $grad_output attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        return derivative_type(cls.name, operands, "output")


@irdl_op_definition
class SigmoidGradOp(OutputGradOp):
    """dy * y * (1 - y), y = sigmoid(x)."""

    name = "grad.sigmoid"


@irdl_op_definition
class TanhGradOp(OutputGradOp):
    """dy * (1 - y^2), y = tanh(x)."""

    name = "grad.tanh"


class ParamMaskedGradOp(ScalarParams, MaskedGradOp):
    def verify_(self) -> None:
        self.verify_params()
        super().verify_()


@irdl_op_definition
class HardSigmoidGradOp(ParamMaskedGradOp):
    """dy * alpha where 0 < alpha * x + beta < 1, else 0 (PyTorch's choice at
    the kinks: no gradient)."""

    name = "grad.hardsigmoid"
    alpha = opt_prop_def(FloatAttr)
    beta = opt_prop_def(FloatAttr)
    DEFAULTS: ClassVar[Mapping[str, float | None]] = HardSigmoidOp.DEFAULTS


@irdl_op_definition
class HardSwishGradOp(MaskedGradOp):
    """dy * (0 for x <= -3, x / 3 + 1/2 for x < 3, 1 above), PyTorch's
    hardswish_backward at the kinks."""

    name = "grad.hardswish"


@irdl_op_definition
class LeakyReluGradOp(ParamMaskedGradOp):
    """dy where x > 0, else alpha * dy."""

    name = "grad.leaky_relu"
    alpha = opt_prop_def(FloatAttr)
    DEFAULTS: ClassVar[Mapping[str, float | None]] = LeakyReluOp.DEFAULTS


@irdl_op_definition
class ClipGradOp(ParamMaskedGradOp):
    """dy where min <= x <= max (bounds included, like torch.clamp), else 0."""

    name = "grad.clip"
    min = opt_prop_def(FloatAttr)
    max = opt_prop_def(FloatAttr)
    DEFAULTS: ClassVar[Mapping[str, float | None]] = ClipOp.DEFAULTS


@irdl_op_definition
class ErfGradOp(MaskedGradOp):
    """dy * 2 / sqrt(pi) * exp(-x^2)."""

    name = "grad.erf"


@irdl_op_definition
class SwishGradOp(ParamMaskedGradOp):
    """dy * (s + alpha x s (1 - s)), s = sigmoid(alpha x)."""

    name = "grad.swish"
    alpha = opt_prop_def(FloatAttr)
    DEFAULTS: ClassVar[Mapping[str, float | None]] = SwishOp.DEFAULTS


@irdl_op_definition
class SoftplusGradOp(MaskedGradOp):
    """dy * sigmoid(x)."""

    name = "grad.softplus"


class SelectedGradOp(GradOp):
    """The share of dy (at the broadcast shape) that goes to lhs of an
    elementwise max / min: all of it where lhs is selected, half on ties
    (torch.maximum / torch.minimum); rhs gets dy minus that share."""

    lhs = operand_def(TensorType)
    rhs = operand_def(TensorType)
    grad_output = operand_def(TensorType)
    result = result_def(TensorType)
    assembly_format = (
        "$lhs `,` $rhs `,` $grad_output attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        a = float_tensor(cls.name, operands[0], "lhs")
        b = float_tensor(cls.name, operands[1], "rhs")
        dy = float_tensor(cls.name, operands[2], "grad_output")
        et = same_element_type(cls.name, [a, b, dy])
        out = tensor(
            broadcast_shapes(cls.name, tuple(a.get_shape()), tuple(b.get_shape())), et
        )
        same_shape(cls.name, "grad_output", dy, out)
        return out


@irdl_op_definition
class MaxLhsGradOp(SelectedGradOp):
    """dy where lhs > rhs, dy / 2 where lhs == rhs, else 0."""

    name = "grad.max_lhs"


@irdl_op_definition
class MinLhsGradOp(SelectedGradOp):
    """dy where lhs < rhs, dy / 2 where lhs == rhs, else 0."""

    name = "grad.min_lhs"


@irdl_op_definition
class ReduceMaxGradOp(GradOp):
    """dy split evenly among the positions that equal the maximum
    (torch.amax's convention), from the forward input and output."""

    name = "grad.reduce_max"
    input = operand_def(TensorType)
    output = operand_def(TensorType)
    grad_output = operand_def(TensorType)
    result = result_def(TensorType)
    axes = prop_def(DenseArrayBase)
    keepdims = opt_prop_def(UnitAttr)
    assembly_format = (
        "$input `,` $output `,` $grad_output attr-dict `:` functional-type(operands, results)"
    )

    @classmethod
    def infer_type(cls, operands, props):
        x = float_tensor(cls.name, operands[0], "input")
        y = float_tensor(cls.name, operands[1], "output")
        dy = float_tensor(cls.name, operands[2], "grad_output")
        same_element_type(cls.name, [x, y, dy])
        reduced = ReduceMaxOp.infer_type([x], props)
        same_shape(cls.name, "output", y, reduced)
        same_shape(cls.name, "grad_output", dy, reduced)
        return x


# -- Pow with a tensor exponent: the partial derivatives, at the broadcast
# shape (the autodiff rule sums them back to each operand's shape); the
# conventions of torch.pow's backward at a zero base or exponent


@irdl_op_definition
class PowTensorBaseGradOp(SelectedGradOp):
    """dy * rhs * lhs ** (rhs - 1), 0 where rhs == 0: the gradient of
    `train.pow_tensor` with respect to its base."""

    name = "grad.pow_tensor_base"


@irdl_op_definition
class PowTensorExponentGradOp(SelectedGradOp):
    """dy * lhs ** rhs * log(lhs), 0 where lhs == 0 and rhs >= 0 (NaN for a
    negative base): the gradient of `train.pow_tensor` with respect to its
    exponent."""

    name = "grad.pow_tensor_exponent"


ELEMENTWISE_MATH_GRAD_OPS = (
    SigmoidGradOp,
    TanhGradOp,
    HardSigmoidGradOp,
    HardSwishGradOp,
    LeakyReluGradOp,
    ClipGradOp,
    ErfGradOp,
    SwishGradOp,
    SoftplusGradOp,
    MaxLhsGradOp,
    MinLhsGradOp,
    ReduceMaxGradOp,
)


@irdl_op_definition
class SliceScatterOp(GradOp):
    """zeros(input_shape) with grad_output placed at the elements a
    `train.slice` of the same `starts`/`sizes`/`steps` reads (its gradient)."""

    name = "grad.slice_scatter"
    grad_output = operand_def(TensorType)
    result = result_def(TensorType)
    input_shape = prop_def(DenseArrayBase)
    starts = prop_def(DenseArrayBase)
    sizes = prop_def(DenseArrayBase)
    steps = opt_prop_def(DenseArrayBase)
    assembly_format = "$grad_output attr-dict `:` functional-type(operands, results)"

    @classmethod
    def infer_type(cls, operands, props):
        dy = float_tensor(cls.name, operands[0], "grad_output")
        shape = ints(props["input_shape"], ())
        if min(shape, default=1) < 1:
            raise VerifyException(
                f"'{cls.name}': input_shape must be positive integers, got {list(shape)}"
            )
        _, sizes, _ = slice_geometry(cls.name, shape, props)
        if tuple(dy.get_shape()) != sizes:
            raise VerifyException(
                f"'{cls.name}': grad_output must have the slice's shape "
                f"{shape_str(sizes)}, got {dy}"
            )
        return tensor(shape, dy.element_type)


# -- batch normalisation (issue 13) -------------------------------------------


@irdl_op_definition
class BatchNormGradOp(MultiResultOp):
    """Gradients of `train.batchnorm` w.r.t. input, scale and bias (three
    results). With `training` the statistics are the batch's and the input
    gradient flows through them; without, mean and var are the operands."""

    name = "grad.batchnorm"
    input = operand_def(TensorType)
    scale = operand_def(TensorType)
    mean = operand_def(TensorType)
    var = operand_def(TensorType)
    grad_output = operand_def(TensorType)
    grad_input = result_def(TensorType)
    grad_scale = result_def(TensorType)
    grad_bias = result_def(TensorType)
    epsilon = prop_def(FloatAttr)
    training = opt_prop_def(UnitAttr)
    assembly_format = (
        "$input `,` $scale `,` $mean `,` $var `,` $grad_output attr-dict `:` "
        "functional-type(operands, results)"
    )

    @classmethod
    def infer_types(
        cls, operands: Sequence[Attribute], props: Mapping[str, Attribute]
    ) -> list[TensorType]:
        x = float_tensor(cls.name, operands[0], "input")
        channel_vectors(cls.name, x, list(zip(("scale", "mean", "var"), operands[1:4])))
        dy = float_tensor(cls.name, operands[4], "grad_output")
        same_element_type(cls.name, [x, dy])
        same_shape(cls.name, "grad_output", dy, x)
        if "training" in props:
            verify_batch_statistics(cls.name, x)
        s = as_tensor(cls.name, operands[1], "scale")
        return [x, s, s]



GRAD_OPS = (
    ReluGradOp,
    GeluGradOp,
    SoftmaxGradOp,
    LayerNormGradOp,
    Conv2dInputGradOp,
    Conv2dWeightGradOp,
    MaxPool2dGradOp,
    CrossEntropyGradOp,
    SliceOp,
    BroadcastOp,
    # strided slices
    SliceScatterOp,
)
GRAD_OPS += ELEMENTWISE_MATH_GRAD_OPS
GRAD_OPS += (BatchNormGradOp,)
GRAD_OPS += (PowTensorBaseGradOp, PowTensorExponentGradOp)

Grad = Dialect("grad", list(GRAD_OPS), [])
