"""The MLPerf Tiny anomaly-detection autoencoder (Deep-AE) as a train module:
640-128-128-128-128-8-128-128-128-128-640, ReLU after every layer but the
bottleneck and the output, MSE loss against the input.

    python examples/deep_ae/deep_ae.py OUT_DIR   # writes deep_ae.mlir, .npz, inputs.npz
"""

from __future__ import annotations

import os
import sys

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ArrayAttr, Block, Float32Type, ModuleOp, Region, StringAttr, UnitAttr
from xdsl.printer import Printer

from tdopt.dialects import train

WIDTHS = [640, 128, 128, 128, 128, 8, 128, 128, 128, 128, 640]
NO_RELU = {4, 9}  # the bottleneck (layer 5) and the output layer (layer 10)


def build(batch: int = 1) -> ModuleOp:
    f32 = Float32Type()
    x_t = train.tensor((batch, WIDTHS[0]), f32)
    block = Block(arg_types=[x_t])
    block.args[0].name_hint = "x"
    h = block.args[0]
    for i, (n_in, n_out) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:])):
        w = train.ParamOp(f"fc{i}.weight", train.tensor((n_out, n_in), f32), trainable=True)
        b = train.ParamOp(f"fc{i}.bias", train.tensor((n_out,), f32), trainable=True)
        y = train.GemmOp.make([h, w, b], trans_b=UnitAttr())
        block.add_ops([w, b, y])
        h = y.result
        if i not in NO_RELU:
            r = train.ReluOp.make([h])
            block.add_op(r)
            h = r.result
    loss = train.MseOp.make([h, block.args[0]])
    block.add_ops([loss, func.ReturnOp(loss.result)])
    f = func.FuncOp("main", ([x_t], [loss.result.type]), Region(block))
    f.attributes["train.arg_names"] = ArrayAttr([StringAttr("x")])
    f.attributes["train.result_names"] = ArrayAttr([StringAttr("loss")])
    module = ModuleOp([f])
    module.attributes["train.weights"] = StringAttr("deep_ae.npz")
    module.verify()
    return module


def weights(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    out = {}
    for i, (n_in, n_out) in enumerate(zip(WIDTHS[:-1], WIDTHS[1:])):
        bound = 1.0 / np.sqrt(n_in)  # PyTorch's nn.Linear initialisation range
        out[f"fc{i}.weight"] = rng.uniform(-bound, bound, (n_out, n_in)).astype(np.float32)
        out[f"fc{i}.bias"] = rng.uniform(-bound, bound, (n_out,)).astype(np.float32)
    return out


def write(out_dir: str, batch: int = 1, seed: int = 0) -> str:
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "deep_ae.mlir")
    with open(path, "w") as fh:
        Printer(stream=fh).print_op(build(batch))
        fh.write("\n")
    np.savez(os.path.join(out_dir, "deep_ae.npz"), **weights(seed))
    rng = np.random.default_rng(seed + 1)
    np.savez(
        os.path.join(out_dir, "inputs.npz"),
        x=rng.standard_normal((batch, WIDTHS[0])).astype(np.float32),
    )
    return path


if __name__ == "__main__":
    print(write(sys.argv[1] if len(sys.argv) > 1 else "."))
