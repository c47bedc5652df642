"""ONNX BatchNormalization (issue 13): inference and training forms against
ONNX's reference implementation, PyTorch exports in eval and training mode
against PyTorch (a training step's updated parameters and running
statistics included), and the diagnostics of what is not accepted."""

from __future__ import annotations

import warnings

import numpy as np
import onnx
import pytest
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator
from xdsl.context import Context
from xdsl.passes import PassPipeline

from tdopt.dialects import train
from tdopt.frontend.onnx import ImportFailure, ImportOptions, import_onnx
from tdopt.passes.registry import all_passes

RNG = np.random.default_rng(13)
N = helper.make_node


def rand(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape).astype(np.float32)


def bn_model(x: np.ndarray, opset: int, outputs: list[str], **attrs):
    c = x.shape[1]
    inits = {"s": rand(c), "b": rand(c), "m": rand(c), "v": np.abs(rand(c)) + 0.5}
    g = helper.make_graph(
        [N("BatchNormalization", ["x", "s", "b", "m", "v"], outputs, **attrs)],
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info(outputs[0], TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, n) for n, v in inits.items()],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)]), inits


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (5, 4), (2, 3, 6)], ids=str)
def test_inference_form(shape, run_module) -> None:
    x = rand(*shape) * 2 + 1
    m, _ = bn_model(x, 15, ["y"], epsilon=1e-3)
    (want,) = ReferenceEvaluator(m).run(None, {"x": x})
    result = import_onnx(m)
    (op,) = [o for o in result.module.walk() if isinstance(o, train.BatchNormOp)]
    assert op.training is None
    (got,) = run_module(result, {"x": x}).values()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(
    "opset,outputs,attrs",
    [(15, ["y", "rm", "rv"], {"training_mode": 1, "momentum": 0.7}), (9, ["y", "rm", "rv"], {"momentum": 0.7})],
    ids=["opset15-training_mode", "opset9-outputs"],
)
def test_training_form(opset: int, outputs, attrs, run_module) -> None:
    """Batch statistics for Y (checked against PyTorch: onnx.reference's
    opset-9 kernel normalises with the updated running statistics, which
    is not what the operator's text says); the running statistics outputs,
    unused by the graph, are not results (train-sgd returns their update)."""
    x = rand(4, 3, 2, 2) * 2 + 1
    m, p = bn_model(x, opset, outputs, **attrs)
    t = {k: torch.from_numpy(v) for k, v in p.items()}
    want = nn.functional.batch_norm(torch.from_numpy(x), t["m"], t["v"], t["s"], t["b"], training=True).numpy()
    result = import_onnx(m)
    (op,) = [o for o in result.module.walk() if isinstance(o, train.BatchNormOp)]
    assert op.training is not None and op.momentum_value == pytest.approx(0.7)
    (got,) = run_module(result, {"x": x}).values()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_running_statistics_output_read_by_the_graph() -> None:
    x = rand(4, 3)
    m, _ = bn_model(x, 15, ["y", "rm", "rv"], training_mode=1)
    m.graph.output.append(helper.make_tensor_value_info("rm", TensorProto.FLOAT, None))
    with pytest.raises(ImportFailure, match=r"BatchNormalization.*output #1 \('rm'\) is used"):
        import_onnx(m)


def test_per_activation_statistics_are_rejected() -> None:
    x = rand(4, 3)
    m, _ = bn_model(x, 7, ["y"], spatial=0)
    with pytest.raises(ImportFailure, match="spatial = 0"):
        import_onnx(m)


# -- PyTorch exports ----------------------------------------------------------


class ConvBn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, stride=2, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(4, momentum=0.3)
        self.fc = nn.Linear(16, 3)
        self.bn1d = nn.BatchNorm1d(3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.bn1d(self.fc(torch.relu(self.bn(self.conv(x))).flatten(1)))


def export(model: nn.Module, x: torch.Tensor, path, training: bool) -> None:
    mode = torch.onnx.TrainingMode.TRAINING if training else torch.onnx.TrainingMode.EVAL
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=15, training=mode,
                          do_constant_folding=False, input_names=["x"], output_names=["y"])


def torch_model(seed: int) -> ConvBn:
    torch.manual_seed(seed)
    m = ConvBn()
    with torch.no_grad():  # non-trivial statistics and affine parameters
        for bn in (m.bn, m.bn1d):
            bn.running_mean.normal_()
            bn.running_var.uniform_(0.5, 2.0)
            bn.weight.normal_(1.0, 0.2)
            bn.bias.normal_(0.0, 0.2)
    return m


def test_pytorch_eval_export(tmp_path, run_module) -> None:
    model = torch_model(1).eval()
    x = torch.randn(2, 2, 4, 4)
    export(model, x, tmp_path / "m.onnx", training=False)
    result = import_onnx(str(tmp_path / "m.onnx"))
    assert sum(isinstance(o, train.BatchNormOp) for o in result.module.walk()) == 2
    (got,) = run_module(result, {"x": x.numpy()}).values()
    with torch.no_grad():
        np.testing.assert_allclose(got, model(x).numpy(), rtol=1e-4, atol=1e-5)


def test_pytorch_training_export_one_sgd_step(tmp_path) -> None:
    """A training-mode export, imported with every parameter trainable (the
    glob does not reach the running statistics), autodiff + SGD: loss,
    updated parameters and updated running statistics equal one PyTorch
    training step (BatchNorm momentum 0.3 in PyTorch = 0.7 in ONNX)."""
    from tdopt.interpreter.reference import run_function

    model = torch_model(2).train()
    x, labels = torch.randn(3, 2, 4, 4), torch.tensor([2, 0, 1])
    export(torch_model(2).train(), x, tmp_path / "m.onnx", training=True)
    # the exporter's trace ran a training forward and stored the running
    # statistics it updated: put the initial ones back
    onnx_model = onnx.load(str(tmp_path / "m.onnx"))
    state = model.state_dict()
    for init in onnx_model.graph.initializer:
        if "running" in init.name:
            init.CopyFrom(numpy_helper.from_array(state[init.name].numpy(), init.name))
    onnx.save(onnx_model, str(tmp_path / "m.onnx"))
    result = import_onnx(
        str(tmp_path / "m.onnx"), ImportOptions(loss="cross-entropy", label="labels", trainable="*")
    )
    assert set(result.trainable) == {"conv.weight", "bn.weight", "bn.bias", "fc.weight", "fc.bias", "bn1d.weight", "bn1d.bias"}
    step = result.module
    PassPipeline.parse_spec(all_passes(), "train-autodiff,train-sgd{lr=0.05}").apply(Context(), step)
    step.verify()
    out = run_function(step, {"x": x.numpy(), "labels": labels.numpy()}, result.weights)

    loss = nn.functional.cross_entropy(model(x), labels)
    loss.backward()
    np.testing.assert_allclose(out["loss"], loss.item(), rtol=1e-5)
    for name, p in model.named_parameters():
        want = (p - 0.05 * p.grad).detach().numpy()
        np.testing.assert_allclose(out[f"{name}_updated"], want, rtol=1e-4, atol=1e-6, err_msg=name)
    for name, buf in model.named_buffers():
        if "running" in name:
            np.testing.assert_allclose(out[f"{name}_updated"], buf.numpy(), rtol=1e-5, atol=1e-6, err_msg=name)


# -- Pad (issue 13) ---------------------------------------------------------------


def pad_model(nodes, x: np.ndarray, opset: int, inits: dict[str, np.ndarray] | None = None, out: str = "y"):
    g = helper.make_graph(
        nodes,
        "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)],
        [numpy_helper.from_array(v, n) for n, v in (inits or {}).items()],
    )
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])


I64 = np.int64
PAD_CASES = {
    "opset10-attributes": ([N("Pad", ["x"], ["y"], pads=[0, 1, 2, 0, 2, 1], value=1.5)], (2, 3, 4), 10, {}),
    "opset13-inputs": (
        [N("Pad", ["x", "p", "v"], ["y"])], (2, 3, 4), 13,
        {"p": np.array([1, 0, 0, 0, 2, 3], I64), "v": np.array(-2.0, np.float32)}),
    "opset13-default-value": ([N("Pad", ["x", "p"], ["y"])], (3, 4), 13, {"p": np.array([1, 2, 0, 1], I64)}),
    "opset18-axes": (
        [N("Pad", ["x", "p", "", "a"], ["y"])], (2, 3, 4, 5), 18,
        {"p": np.array([1, 2, 0, 3], I64), "a": np.array([-1, 1], I64)}),
}


@pytest.mark.parametrize("case", sorted(PAD_CASES))
def test_pad(case: str, run_module) -> None:
    nodes, shape, opset, inits = PAD_CASES[case]
    x = rand(*shape)
    m = pad_model(nodes, x, opset, inits)
    (want,) = ReferenceEvaluator(m).run(None, {"x": x})
    result = import_onnx(m)
    assert sum(isinstance(o, train.PadOp) for o in result.module.walk()) == 1
    (got,) = run_module(result, {"x": x}).values()
    np.testing.assert_array_equal(got, want)


def conv_after_pad(pads: list[int], value: float | None, x_shape=(1, 2, 5, 5), extra_use: bool = False):
    inits = {"p": np.array(pads, I64), "w": rand(3, x_shape[1], 3, 3)}
    pad_inputs = ["x", "p"]
    if value is not None:
        inits["v"] = np.array(value, np.float32)
        pad_inputs.append("v")
    nodes = [N("Pad", pad_inputs, ["xp"]), N("Conv", ["xp", "w"], ["c"], strides=[2, 1], pads=[0, 1, 1, 0])]
    if extra_use:
        nodes.append(N("ReduceSum", ["xp"], ["s"], keepdims=0))
        nodes.append(N("Add", ["c", "s"], ["y"]))
    else:
        nodes.append(N("Relu", ["c"], ["y"]))
    return pad_model(nodes, np.zeros(x_shape, np.float32), 13, inits)


@pytest.mark.parametrize(
    "pads,value,extra_use,folded",
    [
        ([0, 0, 1, 2, 0, 0, 2, 0], None, False, True),
        ([0, 0, 1, 2, 0, 0, 2, 0], 0.0, True, True),  # the pad stays for its other reader
        ([0, 0, 1, 1, 0, 0, 1, 1], 0.5, False, False),  # not zero
        ([0, 1, 1, 1, 0, 0, 1, 1], None, False, False),  # pads a channel
    ],
    ids=["zero-spatial", "zero-spatial-shared", "nonzero-value", "channel-pad"],
)
def test_pad_folds_into_conv(pads, value, extra_use: bool, folded: bool, run_module) -> None:
    m = conv_after_pad(pads, value, extra_use=extra_use)
    if pads[1]:  # a channel pad changes the conv's input channels
        m.graph.initializer[1].CopyFrom(numpy_helper.from_array(rand(3, 3, 3, 3), "w"))
    x = rand(1, 2, 5, 5)
    (want,) = ReferenceEvaluator(m).run(None, {"x": x})
    result = import_onnx(m)
    convs = [o for o in result.module.walk() if isinstance(o, train.Conv2dOp)]
    pad_ops = [o for o in result.module.walk() if isinstance(o, train.PadOp)]
    assert isinstance(convs[0].input.owner, train.PadOp) != folded
    assert len(pad_ops) == (0 if folded and not extra_use else 1)
    if folded:
        top, left, bottom, right = train.ints(convs[0].pads, ())
        assert (top, left, bottom, right) == (0 + pads[2], 1 + pads[3], 1 + pads[6], 0 + pads[7])
    (got,) = run_module(result, {"x": x}).values()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "node,opset,inits,match",
    [
        (N("Pad", ["x", "p"], ["y"], mode="reflect"), 13, {"p": np.array([0, 1, 0, 1], I64)}, "mode 'reflect'"),
        (N("Pad", ["x"], ["y"], mode="edge", pads=[0, 1, 0, 1]), 10, {}, "mode 'edge'"),
        (N("Pad", ["x", "p"], ["y"]), 13, {"p": np.array([0, -1, 0, 0], I64)}, "negative pads"),
    ],
    ids=["reflect", "edge", "negative"],
)
def test_pad_unsupported(node, opset: int, inits, match: str) -> None:
    m = pad_model([node], rand(2, 4), opset, inits)
    with pytest.raises(ImportFailure, match=rf"'.*' \(Pad, .*{match}"):
        import_onnx(m)
