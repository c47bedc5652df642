"""PyTorch -> ONNX -> tdimport -> reference interpreter, compared with
PyTorch's own output.

    python examples/pytorch/roundtrip.py [--torchscript] [WORKDIR]

For each model: `torch.onnx.export` (its default, the dynamo exporter;
`--torchscript` for `dynamo=False`) writes WORKDIR/NAME.onnx, the
`tdimport` command line turns it into WORKDIR/NAME.mlir + NAME.npz, and
tdopt's reference interpreter runs the parsed .mlir on the same input.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from dataclasses import dataclass

import numpy as np
import torch
from xdsl.context import Context
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func
from xdsl.parser import Parser

from tdopt.dialects.train import Train
from tdopt.interpreter.reference import argument_names, find_function, run_function
from tdopt.tools import tdimport

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from einsum_cct import EinsumCCT  # noqa: E402
from example_models import SmallCNN, TransformerBlock  # noqa: E402

# the TorchScript exporter's opset (any of 13-20 imports; the dynamo
# exporter picks its own)
TORCHSCRIPT_OPSET = 17


@dataclass
class Roundtrip:
    name: str
    torch_output: np.ndarray
    tdopt_output: np.ndarray

    @property
    def max_error(self) -> float:
        return float(np.abs(self.torch_output - self.tdopt_output).max())


def export(model: torch.nn.Module, example: torch.Tensor, path: str, torchscript: bool = False) -> None:
    if not torchscript:
        torch.onnx.export(model, (example,), path)  # the default: dynamo, needs onnxscript
        return
    # the TorchScript exporter warns that it is deprecated, which is not
    # news to the reader
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(model, (example,), path, dynamo=False, opset_version=TORCHSCRIPT_OPSET,
                          input_names=["input"], output_names=["output"])


def load_mlir(path: str):
    ctx = Context()
    for d in (Builtin, Func, Train):
        ctx.load_dialect(d)
    with open(path) as f:
        return Parser(ctx, f.read(), path).parse_module()


def roundtrip(name: str, model: torch.nn.Module, example: torch.Tensor, workdir: str,
              torchscript: bool = False) -> Roundtrip:
    model.eval()
    onnx_path = os.path.join(workdir, f"{name}.onnx")
    mlir_path = os.path.join(workdir, f"{name}.mlir")
    export(model, example, onnx_path, torchscript)
    if tdimport.main([onnx_path, "-o", mlir_path]) != 0:
        raise RuntimeError(f"tdimport failed on {onnx_path}")
    module = load_mlir(mlir_path)
    weights_attr = module.attributes.get("train.weights")
    weights = {}
    if weights_attr is not None:
        weights = dict(np.load(os.path.join(workdir, weights_attr.data)))  # type: ignore[attr-defined]
    (arg,) = argument_names(find_function(module))
    (out,) = run_function(module, {arg: example.numpy()}, weights).values()
    with torch.no_grad():
        want = model(example).numpy()
    return Roundtrip(name, want, out)


def examples(seed: int = 0) -> list[tuple[str, torch.nn.Module, torch.Tensor]]:
    torch.manual_seed(seed)
    return [
        ("cnn", SmallCNN(), torch.randn(1, 3, 16, 16)),
        ("transformer_block", TransformerBlock(), torch.randn(1, 8, 16)),
        ("einsum_cct", EinsumCCT(), torch.randn(2, 3, 8, 8)),
    ]


def main(argv: list[str]) -> int:
    torchscript = "--torchscript" in argv
    argv = [a for a in argv if a != "--torchscript"]
    workdir = argv[0] if argv else tempfile.mkdtemp(prefix="tdopt-pytorch-")
    os.makedirs(workdir, exist_ok=True)
    for name, model, example in examples():
        r = roundtrip(name, model, example, workdir, torchscript)
        print(f"{name}: output {tuple(r.tdopt_output.shape)}, max |tdopt - torch| = {r.max_error:.2e}")
    print(f"files in {workdir}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
