"""A CCT written the ordinary PyTorch way (examples/pytorch/einsum_cct.py:
fused qkv split by `chunk` and by `unbind`, `torch.einsum` attention, exact
GELU) exported with `torch.onnx.export`: the forward pass matches PyTorch
for the dynamo exporter (the default) and the TorchScript one over several
opsets, and one SGD step after tdimport matches a PyTorch SGD step, for
full fine-tuning and for LoRA (train-lora)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import load_example

torch = pytest.importorskip("torch")
pytest.importorskip("onnxscript")  # the dynamo exporter needs it
import torch.nn.functional as F  # noqa: E402
from xdsl.context import Context  # noqa: E402
from xdsl.passes import PassPipeline  # noqa: E402

from tdopt.dialects import train  # noqa: E402
from tdopt.interpreter.reference import run_function  # noqa: E402
from tdopt.frontend.onnx import ImportOptions, import_onnx  # noqa: E402
from tdopt.passes.registry import all_passes  # noqa: E402

LR = 0.1




EX = load_example("pytorch/einsum_cct.py")


def model_and_data(seed: int = 0):
    torch.manual_seed(seed)
    model = EX.EinsumCCT().eval()
    images = torch.randn(2, 3, 8, 8)
    labels = torch.tensor([3, 1])
    return model, images, labels


def export(model, images, path: Path, **kwargs) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (images,), str(path), **kwargs)
    return str(path)


def torch_parameter(model, name: str):
    """The PyTorch tensor an imported parameter holds: the dynamo export
    stores Linear weights transposed, as `NAME.T`."""
    if name.endswith(".T"):
        return model.get_parameter(name[:-2]).T
    return model.get_parameter(name)


EXPORTS = [
    pytest.param({}, id="default"),
    pytest.param({"opset_version": 17}, id="dynamo-17"),
    pytest.param({"opset_version": 18}, id="dynamo-18"),
    pytest.param({"opset_version": 20}, id="dynamo-20"),
    pytest.param({"dynamo": False, "opset_version": 13}, id="torchscript-13"),
    pytest.param({"dynamo": False, "opset_version": 17}, id="torchscript-17"),
    pytest.param({"dynamo": False, "opset_version": 20}, id="torchscript-20"),
]


@pytest.mark.parametrize("kwargs", EXPORTS)
def test_forward_matches_pytorch(kwargs, tmp_path: Path):
    model, images, _ = model_and_data()
    result = import_onnx(export(model, images, tmp_path / "m.onnx", **kwargs))
    ops = {op.name for op in result.module.walk()}
    assert "train.slice" in ops and "train.gelu" in ops  # chunk/unbind, the GELU pattern
    (arg,) = [a.name_hint for a in result.module.ops.first.body.block.args]  # type: ignore[attr-defined]
    (out,) = run_function(result.module, {arg: images.numpy()}, result.weights).values()
    with torch.no_grad():
        want = model(images).numpy()
    np.testing.assert_allclose(out, want, rtol=1e-4, atol=1e-5)


def train_step(result, pipeline: str, images, labels) -> dict[str, np.ndarray]:
    module = result.module
    PassPipeline.parse_spec(all_passes(), pipeline).apply(Context(), module)
    module.verify()
    args = [a.name_hint for a in module.ops.first.body.block.args]  # type: ignore[attr-defined]
    feeds = dict(zip(args, [images.numpy(), labels.numpy()]))
    return run_function(module, feeds, result.weights)


def test_full_finetuning_step_matches_pytorch(tmp_path: Path):
    model, images, labels = model_and_data(1)
    path = export(model, images, tmp_path / "m.onnx")
    result = import_onnx(path, ImportOptions(trainable="*", loss="cross-entropy", label="labels"))
    # every PyTorch parameter, and nothing else, under PyTorch's name
    names = {n.removesuffix(".T") for n in result.trainable}
    assert names == {n for n, _ in model.named_parameters()}
    out = train_step(result, f"train-autodiff,train-sgd{{lr={LR}}}", images, labels)

    model.train()
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    np.testing.assert_allclose(out["loss"], loss.item(), rtol=1e-5)
    with torch.no_grad():
        for name in result.trainable:
            p = model.get_parameter(name.removesuffix(".T"))
            want = p - LR * p.grad
            if name.endswith(".T"):
                want = want.T
            np.testing.assert_allclose(out[f"{name}_updated"], want.numpy(), rtol=1e-4, atol=1e-6, err_msg=name)


def test_lora_step_matches_pytorch(tmp_path: Path):
    model, images, labels = model_and_data(2)
    path = export(model, images, tmp_path / "m.onnx")
    result = import_onnx(path, ImportOptions(loss="cross-entropy", label="labels"))
    rank = 2
    out = train_step(result, f"train-lora{{rank={rank}}},train-autodiff,train-sgd{{lr={LR}}}", images, labels)

    # the adapters train-lora added: y = x W^T + b + scale * (x A^T) B^T
    adds = [op for op in result.module.walk() if "train.lora" in op.attributes]
    adapters = {}
    params = {p.param_name: p for p in result.module.walk() if isinstance(p, train.ParamOp)}
    for op in adds:
        info = op.attributes["train.lora"]
        base = info.data["base"].data  # type: ignore[attr-defined]
        scale = info.data["scale"].value.data  # type: ignore[attr-defined]
        a = train.numpy_from_dense(params[f"{base}_lora_A"].value)  # type: ignore[arg-type]
        b = train.numpy_from_dense(params[f"{base}_lora_B"].value)  # type: ignore[arg-type]
        adapters[base] = (scale, torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True))
    # the last block's four linear layers (the name carries the block index)
    assert sorted(adapters) == sorted(
        f"blocks.1.{m}.weight.T" for m in ("attn.qkv", "attn.proj", "fc1", "fc2")
    )
    hooks = []
    for base, (scale, a, b) in adapters.items():
        module = model.get_submodule(base.removesuffix(".weight.T"))
        hooks.append(module.register_forward_hook(
            lambda mod, inp, y, s=scale, a=a, b=b: y + s * (inp[0] @ a.T) @ b.T
        ))
    loss = F.cross_entropy(model(images), labels)
    loss.backward()
    for h in hooks:
        h.remove()
    np.testing.assert_allclose(out["loss"], loss.item(), rtol=1e-5)
    assert {k for k in out if k.endswith("_updated")} == {
        f"{base}_lora_{x}_updated" for base in adapters for x in "AB"
    }
    for base, (_, a, b) in adapters.items():
        for x, t in (("A", a), ("B", b)):
            want = (t - LR * t.grad).detach().numpy()
            np.testing.assert_allclose(out[f"{base}_lora_{x}_updated"], want, rtol=1e-4, atol=1e-6)
        assert np.abs(b.grad.numpy()).max() > 1e-4  # the step moves B
