"""Reference implementations of the `grad` dialect for the interpreter
(kernels in `grad_kernels.py`)."""

from __future__ import annotations

from xdsl.interpreter import Interpreter, InterpreterFunctions, impl, register_impls

from tdopt.dialects import grad, train
from tdopt.interpreter import grad_kernels as G


def _conv_geometry(op: grad.Conv2dInputGradOp | grad.Conv2dWeightGradOp):
    return train.Conv2dOp.geometry(op.properties)


@register_impls
class GradFunctions(InterpreterFunctions):
    @impl(grad.ReluGradOp)
    def run_relu_grad(self, interp: Interpreter, op: grad.ReluGradOp, args):
        return (G.relu_grad(*args),)

    @impl(grad.GeluGradOp)
    def run_gelu_grad(self, interp: Interpreter, op: grad.GeluGradOp, args):
        return (G.gelu_grad(args[0], args[1], op.form),)

    @impl(grad.SoftmaxGradOp)
    def run_softmax_grad(self, interp: Interpreter, op: grad.SoftmaxGradOp, args):
        return (G.softmax_grad(args[0], args[1], op.axis.value.data),)

    @impl(grad.LayerNormGradOp)
    def run_layernorm_grad(self, interp: Interpreter, op: grad.LayerNormGradOp, args):
        return G.layernorm_grad(*args, op.axis.value.data, op.epsilon.value.data)

    @impl(grad.Conv2dInputGradOp)
    def run_conv2d_input_grad(self, interp, op: grad.Conv2dInputGradOp, args):
        strides, pads, dil, group = _conv_geometry(op)
        shape = train.ints(op.input_shape, ())
        return (G.conv2d_input_grad(args[0], args[1], shape, strides, pads, dil, group),)

    @impl(grad.Conv2dWeightGradOp)
    def run_conv2d_weight_grad(self, interp, op: grad.Conv2dWeightGradOp, args):
        strides, pads, dil, group = _conv_geometry(op)
        kernel = train.ints(op.kernel, ())
        return (G.conv2d_weight_grad(args[0], args[1], kernel, strides, pads, dil, group),)

    @impl(grad.MaxPool2dGradOp)
    def run_maxpool2d_grad(self, interp, op: grad.MaxPool2dGradOp, args):
        kernel, strides, pads = train.MaxPool2dOp.geometry(op.properties)
        return (G.maxpool2d_grad(args[0], args[1], kernel, strides, pads),)

    @impl(grad.CrossEntropyGradOp)
    def run_cross_entropy_grad(self, interp, op: grad.CrossEntropyGradOp, args):
        return (G.cross_entropy_grad(*args),)

    @impl(grad.SliceOp)
    def run_slice(self, interp, op: grad.SliceOp, args):
        axis = op.axis.value.data % args[0].ndim
        return (G.slice_axis(args[0], axis, op.start.value.data, op.size.value.data),)

    @impl(grad.BroadcastOp)
    def run_broadcast(self, interp, op: grad.BroadcastOp, args):
        return (G.broadcast(args[0], train.ints(op.shape, ())),)

    # -- batch normalisation (issue 13) ------------------------------------

    @impl(grad.BatchNormGradOp)
    def run_batchnorm_grad(self, interp, op: grad.BatchNormGradOp, args):
        eps = float(op.epsilon.value.data)
        return G.batchnorm_grad(*args, eps, op.training is not None)

    @impl(grad.SliceScatterOp)
    def run_slice_scatter(self, interp, op: grad.SliceScatterOp, args):
        shape = train.ints(op.input_shape, ())
        starts, sizes, steps = train.slice_geometry(op.name, shape, op.properties)
        return (G.slice_scatter(args[0], shape, starts, sizes, steps),)
