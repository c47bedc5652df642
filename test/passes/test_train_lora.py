"""CCT_2_32_32_128 against PyTorch: a full-backprop step, and the LoRA step
(rank 4, last block) against a PyTorch LoRA; the trainable-parameter saving
of LoRA against fine-tuning the same block, train-lora-merge, bad options."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.parser import Parser
from xdsl.passes import PassPipeline
from xdsl.utils.exceptions import PassFailedException

from tdopt.dialects import train
from tdopt.interpreter.reference import run_function
from tdopt.frontend.onnx import ImportOptions, import_onnx
from tdopt.passes.registry import all_passes
from tdopt.tools.context import make_context

MODEL = os.path.join(
    os.path.dirname(__file__), "..", "..", "..", "shared", "corpus", "deeploy", "models",
    "CCT", "FP32", "CCT_2_32_32_128",
)
# the weights of the last transformer block's linear layers (q, k, v, output
# projection, MLP in and out), named by the ONNX export
LAST_BLOCK = (
    "onnx__MatMul_265", "onnx__MatMul_269", "onnx__MatMul_270",
    "onnx__MatMul_271_reshaped", "onnx__MatMul_272_reshaped", "onnx__MatMul_273_reshaped",
)
LR, RANK, ALPHA = 0.01, 4, 8.0
needs_model = pytest.mark.skipif(not os.path.isdir(MODEL), reason="Deeploy corpus not present")


def parse(text: str) -> ModuleOp:
    return Parser(make_context(), text).parse_module()


def apply(module: ModuleOp, pipeline: str) -> ModuleOp:
    PassPipeline.parse_spec(all_passes(), pipeline).apply(Context(), module)
    module.verify()
    return module


def the_func(module: ModuleOp) -> func.FuncOp:
    (f,) = [op for op in module.ops if isinstance(op, func.FuncOp)]
    return f


def params_of(module: ModuleOp) -> dict[str, train.ParamOp]:
    return {p.param_name: p for p in module.walk() if isinstance(p, train.ParamOp)}


# -- a PyTorch evaluator of the imported forward graph, with LoRA layers ------


def torch_forward(f: func.FuncOp, args: dict[str, torch.Tensor], ps: dict[str, torch.Tensor],
                  lora: dict[str, tuple[torch.Tensor, torch.Tensor]], scale: float) -> torch.Tensor:
    """Evaluate the function with torch ops; a matmul/gemm by a weight in
    `lora` is the PyTorch LoRA layer x W + scale (x A^T) B^T."""
    env: dict[SSAValue, torch.Tensor] = dict(zip(f.body.block.args, args.values()))

    def ints(a):
        return train.ints(a, ())

    for op in f.body.block.ops:
        x = [env[v] for v in op.operands]
        if isinstance(op, train.ParamOp):
            y = ps[op.param_name]
        elif isinstance(op, train.ConstantOp):
            y = torch.tensor(train.numpy_from_dense(op.value))
        elif isinstance(op, train.Conv2dOp):
            strides, pads, dil, group = train.Conv2dOp.geometry(op.properties)
            t, l, b, r = pads
            y = F.conv2d(F.pad(x[0], (l, r, t, b)), x[1], x[2] if len(x) > 2 else None,
                         strides, 0, dil, group)
        elif isinstance(op, train.MaxPool2dOp):
            k, s, (t, l, b, r) = train.MaxPool2dOp.geometry(op.properties)
            y = F.max_pool2d(F.pad(x[0], (l, r, t, b), value=-float("inf")), k, s)
        elif isinstance(op, train.ReluOp):
            y = torch.relu(x[0])
        elif isinstance(op, train.GeluOp):
            y = F.gelu(x[0], approximate=op.form)
        elif isinstance(op, (train.AddOp, train.SubOp, train.MulOp, train.DivOp)):
            y = {train.AddOp: torch.add, train.SubOp: torch.sub, train.MulOp: torch.mul,
                 train.DivOp: torch.div}[type(op)](x[0], x[1])
        elif isinstance(op, train.SoftmaxOp):
            y = torch.softmax(x[0], op.axis.value.data)
        elif isinstance(op, train.LayerNormOp):
            shape = x[0].shape[op.axis.value.data:]
            y = F.layer_norm(x[0], shape, x[1], x[2] if len(x) > 2 else None,
                             op.epsilon.value.data)
        elif isinstance(op, train.MatMulOp):
            y = x[0] @ x[1]
            w = op.rhs.owner
            if isinstance(w, train.ParamOp) and w.param_name in lora:
                a, b = lora[w.param_name]
                y = y + scale * ((x[0] @ a.T) @ b.T)
        elif isinstance(op, train.GemmOp):
            aa = x[0].T if op.trans_a else x[0]
            bb = x[1].T if op.trans_b else x[1]
            y = aa @ bb + (x[2] if len(x) > 2 else 0)
            assert op.alpha is None and op.beta is None
        elif isinstance(op, (train.ReshapeOp, train.SqueezeOp, train.UnsqueezeOp)):
            y = x[0].reshape(tuple(op.results[0].type.get_shape()))
        elif isinstance(op, train.TransposeOp):
            y = x[0].permute(*ints(op.perm))
        elif isinstance(op, train.CrossEntropyOp):
            y = F.cross_entropy(x[0], x[1])
        elif isinstance(op, func.ReturnOp):
            return x[0]
        else:
            raise NotImplementedError(op.name)
        env[op.results[0]] = y
    raise AssertionError("no return")


@pytest.fixture(scope="module")
def cct():
    imported = import_onnx(os.path.join(MODEL, "network.onnx"),
                           ImportOptions(loss="cross-entropy", label="labels"))
    inputs = dict(np.load(os.path.join(MODEL, "inputs.npz")))
    inputs["labels"] = np.array([3], dtype=np.int64)
    return imported, inputs


@needs_model
def test_full_backprop_matches_pytorch(cct) -> None:
    """Every parameter trainable: gradients through both convolutions (input
    and weight), max pooling, attention, layernorm and GELU."""
    imported, inputs = cct
    module = apply(imported.module.clone(), 'train-finetune{trainable="*"}')
    forward = module.clone()
    apply(module, "train-autodiff")
    ours = run_function(module, inputs, imported.weights)
    ps = {
        name: torch.tensor(
            train.numpy_from_dense(p.value) if p.value is not None else imported.weights[name],
            requires_grad=True,
        )
        for name, p in params_of(forward).items()
    }
    args = {k: torch.tensor(v) for k, v in inputs.items()}
    loss = torch_forward(the_func(forward), args, ps, {}, 1.0)
    loss.backward()
    assert float(ours["loss"]) == pytest.approx(loss.item(), rel=1e-5)
    assert len(ours) == len(ps) + 1
    for k, p in ps.items():
        want = p.grad.numpy()
        scale = float(np.abs(want).max()) or 1.0
        np.testing.assert_allclose(ours[f"{k}_grad"], want, rtol=1e-3, atol=1e-4 * scale,
                                   err_msg=k)


def lora_step(cct, seed: int):
    """The compiled step with random (non-zero) B so every adapter gets a gradient."""
    imported, _ = cct
    module = imported.module.clone()
    apply(module, f"train-finetune{{last=1}},train-lora{{rank={RANK} alpha={ALPHA} "
                  f"targets={','.join(LAST_BLOCK)} seed={seed}}}")
    rng = np.random.default_rng(seed)
    for name, p in params_of(module).items():
        if name.endswith("_lora_B"):
            shape = tuple(p.result.type.get_shape())
            p.value = train.dense_from_numpy((0.05 * rng.standard_normal(shape)).astype(np.float32))
    return module


@needs_model
def test_lora_step_matches_pytorch(cct) -> None:
    imported, inputs = cct
    module = lora_step(cct, seed=1)
    forward = module.clone()  # before autodiff, for the PyTorch side
    apply(module, f"train-autodiff,train-sgd{{lr={LR}}}")
    ours = run_function(module, inputs, imported.weights)

    ps: dict[str, torch.Tensor] = {}
    for name, p in params_of(forward).items():
        value = train.numpy_from_dense(p.value) if p.value is not None else imported.weights[name]
        ps[name] = torch.tensor(value, requires_grad=p.is_trainable)
    lora = {w: (ps[f"{w}_lora_A"], ps[f"{w}_lora_B"]) for w in LAST_BLOCK}
    args = {k: torch.tensor(v) for k, v in inputs.items()}
    base = {k: v for k, v in ps.items() if "_lora_" not in k}
    loss = torch_forward(the_func(imported.module), args, {**base}, lora, ALPHA / RANK)
    loss.backward()

    assert float(ours["loss"]) == pytest.approx(loss.item(), rel=1e-5)
    trained = [k for k, v in ps.items() if v.requires_grad]
    assert sorted(f"{k}_updated" for k in trained) == sorted(k for k in ours if k != "loss")
    assert len(trained) == 2 * len(LAST_BLOCK) + 2  # adapters + classifier head
    for k in trained:
        want = (ps[k] - LR * ps[k].grad).detach().numpy()
        np.testing.assert_allclose(ours[f"{k}_updated"], want, rtol=0, atol=1e-5, err_msg=k)
        assert not np.array_equal(ours[f"{k}_updated"], ps[k].detach().numpy()), k


@needs_model
def test_lora_trains_ten_times_fewer_parameters(cct) -> None:
    imported, _ = cct
    block = ",".join(('"classifier_blocks_1_*"',) + LAST_BLOCK)
    full = apply(imported.module.clone(), f"train-finetune{{trainable={block}}},train-stats{{output=none}}")
    lora = apply(imported.module.clone(),
                 f"train-lora{{rank={RANK} targets={','.join(LAST_BLOCK)}}},train-stats{{output=none}}")

    def count(m: ModuleOp, key: str) -> int:
        return the_func(m).attributes["train.stats"].data[key].value.data  # type: ignore

    assert count(full, "trainable_parameters") >= 10 * count(lora, "trainable_parameters")
    assert count(lora, "trainable_parameters") == len(LAST_BLOCK) * RANK * (128 + 128)
    assert count(lora, "gradient_elements") == count(lora, "trainable_parameters")
    assert count(lora, "backward_flops") < count(full, "backward_flops")


@needs_model
def test_merge_preserves_the_function(cct) -> None:
    imported, inputs = cct
    module = lora_step(cct, seed=2)
    before = run_function(module, inputs, imported.weights)["loss"]
    merged = apply(module.clone(), "train-lora-merge")
    assert not any(isinstance(op, train.AddOp) and "train.lora" in op.attributes
                   for op in merged.walk())
    after = run_function(merged, inputs, imported.weights)["loss"]
    np.testing.assert_allclose(after, before, rtol=1e-5)


SMALL = """
func.func @mlp(%x: tensor<2x8xf32>, %labels: tensor<2xi64>) -> tensor<f32> {
  %w1 = train.param @w1 = dense<0.5> : tensor<8x16xf32>
  %fc = train.param @fc trainable = dense<0.25> : tensor<3x16xf32>
  %h = train.matmul %x, %w1 : (tensor<2x8xf32>, tensor<8x16xf32>) -> tensor<2x16xf32>
  %y = train.gemm %h, %fc {trans_b} : (tensor<2x16xf32>, tensor<3x16xf32>) -> tensor<2x3xf32>
  %l = train.cross_entropy %y, %labels : (tensor<2x3xf32>, tensor<2xi64>) -> tensor<f32>
  func.return %l : tensor<f32>
}
"""


@pytest.mark.parametrize(
    "options,message",
    [
        ("rank=0", "rank must be a positive integer, got 0"),
        ("targets=nope", "unknown target 'nope'"),
        ("rank=8 targets=w1", r"rank 8 is not below min\(in, out\) = 8 for @w1"),
        ("alpha=-1", "alpha must be positive, got -1"),
    ],
)
def test_bad_options(options: str, message: str) -> None:
    with pytest.raises(PassFailedException, match=message):
        apply(parse(SMALL), f"train-lora{{{options}}}")


def test_default_targets_skip_the_head() -> None:
    module = apply(parse(SMALL), "train-lora{rank=2}")
    assert sorted(n for n in params_of(module) if "_lora_" in n) == ["w1_lora_A", "w1_lora_B"]
    assert not params_of(module)["w1"].is_trainable
    assert params_of(module)["fc"].is_trainable
