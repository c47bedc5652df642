"""Export an MLPerf Tiny model with PyTorch's default exporter, and compute
PyTorch's own SGD step on it (the reference a tdopt step must match).

    python examples/mlperf_tiny/export.py MODEL OUT_DIR [--keep-batchnorm]

writes OUT_DIR/MODEL.onnx and OUT_DIR/inputs.npz (one seeded sample and its
label: `labels` for the classifiers, `target` = the input for the
autoencoder). MODEL is one of ds_cnn, resnet8, mobilenet_v1, deep_ae.

BatchNorm: the default `torch.onnx.export` of a model in eval mode folds
every BatchNorm into the convolution or linear layer before it (its graph
optimiser does; the folded bias is named `<conv>.weight_bias`). That is the
right graph for fine-tuning with frozen statistics when the BatchNorm's own
scale and bias are not trained. `--keep-batchnorm` exports with
`optimize=False`, which keeps `BatchNormalization` nodes, so that their scale
and bias can be trained as in PyTorch.
"""

from __future__ import annotations

import argparse
import copy
import fnmatch
import os
import sys
import warnings
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from models import MODELS, make  # noqa: E402


def sample(name: str, batch: int = 1, seed: int = 0) -> dict[str, np.ndarray]:
    """A seeded input batch and its label (or target)."""
    shape, loss = MODELS[name][1], MODELS[name][2]
    g = torch.Generator().manual_seed(seed + 7)
    x = torch.randn(batch, *shape, generator=g).numpy()
    if loss == "mse":
        return {"x": x, "target": x.copy()}
    classes = make(name).fc.out_features
    return {"x": x, "labels": (np.arange(batch, dtype=np.int64) * 3 + 1) % classes}


def export(name: str, out_dir: str, keep_batchnorm: bool = False, batch: int = 1,
           seed: int = 0) -> str:
    """Write OUT_DIR/NAME.onnx with the default exporter (dynamo) and
    OUT_DIR/inputs.npz; returns the .onnx path."""
    os.makedirs(out_dir, exist_ok=True)
    model = make(name, seed)
    data = sample(name, batch, seed)
    path = os.path.join(out_dir, f"{name}.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kw = {"optimize": False} if keep_batchnorm else {}
        torch.onnx.export(model, (torch.from_numpy(data["x"]),), path, verbose=False, **kw)
    np.savez(os.path.join(out_dir, "inputs.npz"), **data)
    return path


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """A copy with every BatchNorm folded into the layer before it (what the
    default exporter does), by PyTorch's own fusion helpers."""
    model = copy.deepcopy(model)
    for parent in list(model.modules()):
        names = list(parent._modules)
        for a, b in zip(names, names[1:]):
            first, second = parent._modules[a], parent._modules[b]
            if isinstance(first, nn.Conv2d) and isinstance(second, nn.BatchNorm2d):
                fused = torch.nn.utils.fusion.fuse_conv_bn_eval(first, second)
            elif isinstance(first, nn.Linear) and isinstance(second, nn.BatchNorm1d):
                fused = torch.nn.utils.fusion.fuse_linear_bn_eval(first, second)
            else:
                continue
            parent._modules[a], parent._modules[b] = fused, nn.Identity()
        for attr_conv, attr_bn in (("conv1", "bn1"), ("conv2", "bn2")):
            conv, bn = getattr(parent, attr_conv, None), getattr(parent, attr_bn, None)
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                setattr(parent, attr_conv, torch.nn.utils.fusion.fuse_conv_bn_eval(conv, bn))
                setattr(parent, attr_bn, nn.Identity())
    return model


def onnx_name(torch_name: str, names: set[str]) -> str:
    """The exporter's name of a parameter: folded biases are
    `<layer>.weight_bias` where PyTorch has `<layer>.bias`."""
    if torch_name in names:
        return torch_name
    alias = torch_name.removesuffix(".bias") + ".weight_bias"
    if alias in names:
        return alias
    raise KeyError(torch_name)


def torch_step(name: str, trainable: Sequence[str], lr: float, onnx_names: set[str],
               folded: bool, batch: int = 1, seed: int = 0,
               lora: dict[str, np.ndarray] | None = None,
               lora_scale: float = 1.0) -> tuple[float, dict[str, np.ndarray]]:
    """PyTorch's loss and SGD-updated parameters (keyed by ONNX name) for
    one step on `sample(name)`, training the parameters whose ONNX names
    match the globs `trainable`; BatchNorm statistics stay frozen (eval).
    `lora`: ONNX weight name of a linear layer -> the initial A (rank x in)
    of a LoRA adapter on it (Hu et al.: y += scale * x A^T B^T, B starting
    at zero); A and B train, keyed `NAME_lora_A` / `NAME_lora_B`."""
    model = make(name, seed)
    if folded:
        model = fold_batchnorm(model)
    model.eval()
    params = {}
    for tname, p in model.named_parameters():
        oname = onnx_name(tname, onnx_names)
        train_it = any(fnmatch.fnmatchcase(oname, g) for g in trainable)
        p.requires_grad_(train_it)
        if train_it:
            params[oname] = p
    for mname, layer in model.named_modules():
        if not isinstance(layer, nn.Linear):
            continue
        oname = onnx_name(f"{mname}.weight", onnx_names)
        if lora is None or oname not in lora:
            continue
        a = nn.Parameter(torch.from_numpy(lora[oname].copy()))
        b = nn.Parameter(torch.zeros(layer.out_features, a.shape[0]))
        params[f"{oname}_lora_A"], params[f"{oname}_lora_B"] = a, b

        def adapter(mod, inputs, out, a=a, b=b):
            return out + lora_scale * (inputs[0] @ a.T) @ b.T

        layer.register_forward_hook(adapter)
    data = sample(name, batch, seed)
    x = torch.from_numpy(data["x"])
    y = model(x)
    if MODELS[name][2] == "mse":
        loss = nn.functional.mse_loss(y, torch.from_numpy(data["target"]))
    else:
        loss = nn.functional.cross_entropy(y, torch.from_numpy(data["labels"]))
    opt = torch.optim.SGD(list(params.values()), lr=lr)
    opt.zero_grad()
    loss.backward()
    opt.step()
    return float(loss.detach()), {k: p.detach().numpy().copy() for k, p in params.items()}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("model", choices=sorted(MODELS))
    ap.add_argument("out_dir")
    ap.add_argument("--keep-batchnorm", action="store_true",
                    help="export with optimize=False: BatchNormalization nodes stay")
    ap.add_argument("--batch", type=int, default=1)
    args = ap.parse_args(argv)
    path = export(args.model, args.out_dir, args.keep_batchnorm, args.batch)
    print(f"wrote {path} and {os.path.join(args.out_dir, 'inputs.npz')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
