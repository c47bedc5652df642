"""Write a small Compact Convolutional Transformer (CCT, Hassani et al. 2021)
in the train dialect, with deterministic weights and one input sample.

    python make_cct.py [OUT_DIR]     # default: this folder

writes OUT_DIR/cct.mlir (the model; its module attribute `train.weights`
names cct.npz), OUT_DIR/cct.npz (weights from a seeded numpy RNG) and
OUT_DIR/inputs.npz (`image` 1x3x16x16 and `label`).

The network follows the corpus CCT (Deeploy's CCT_Train models, embedding
128) at a quarter of its width, small enough for a 2-minute RTL run:

    conv tokenizer  conv 3x3 pad 1 (3 -> 32 channels, no bias), ReLU,
                    maxpool 3x3 stride 2 pad 1: 16x16 -> 8x8, i.e. 64 tokens
    tokens          flatten to [1, 64, 32] (channels last) + positional embedding
    2 blocks        x = x + proj(MHSA(layernorm(x)))      2 heads of width 16
                    x = layernorm(x)                      (CCT's norm1)
                    x = x + fc2(gelu(fc1(x)))             MLP width 64
    head            final layernorm, sequence pooling (softmax over the tokens
                    of a 32 -> 1 projection weighs them), 10-class classifier,
                    cross-entropy against `label`

Linear weights are stored [in, out] (y = x W). Parameter names carry the block
index (`blocks_0_...`, `blocks_1_...`), so `tdopt --lora` adapts the linear
layers of block 1 only. The backbone is frozen (a pretrained model); the
classifier head is trainable, so a LoRA step trains the adapters and the head.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))

# sizes
IMAGE = (1, 3, 16, 16)
CHANNELS = 32  # conv output channels = embedding width
SIDE = (IMAGE[2] - 1) // 2 + 1  # after the max pool (3x3, stride 2, pad 1)
TOKENS = SIDE * SIDE
EMBED = CHANNELS
HEADS = 2
HEAD_DIM = EMBED // HEADS
MLP = 64
BLOCKS = 2
CLASSES = 10
EPS = 1e-5
SEED = 2026
LABEL = 3
SCALE = np.float32(1.0 / math.sqrt(HEAD_DIM))  # attention scale, head_dim ** -0.5


def param_shapes() -> dict[str, tuple[int, ...]]:
    """Every parameter of the model, in program order."""
    s: dict[str, tuple[int, ...]] = {
        "tokenizer_conv_weight": (CHANNELS, IMAGE[1], 3, 3),
        "positional_emb": (1, TOKENS, EMBED),
    }
    for b in range(BLOCKS):
        p = f"blocks_{b}_"
        s |= {
            p + "pre_norm_weight": (EMBED,), p + "pre_norm_bias": (EMBED,),
            p + "attn_q_w": (EMBED, EMBED), p + "attn_k_w": (EMBED, EMBED),
            p + "attn_v_w": (EMBED, EMBED),
            p + "attn_proj_w": (EMBED, EMBED), p + "attn_proj_b": (EMBED,),
            p + "norm1_weight": (EMBED,), p + "norm1_bias": (EMBED,),
            p + "mlp_fc1_w": (EMBED, MLP), p + "mlp_fc1_b": (MLP,),
            p + "mlp_fc2_w": (MLP, EMBED), p + "mlp_fc2_b": (EMBED,),
        }
    s |= {
        "norm_weight": (EMBED,), "norm_bias": (EMBED,),
        "attention_pool_w": (EMBED, 1), "attention_pool_b": (1,),
        "classifier_fc_weight": (CLASSES, EMBED), "classifier_fc_bias": (CLASSES,),
    }
    return s


TRAINABLE = ("classifier_fc_weight", "classifier_fc_bias")


def make_weights(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Deterministic weights: N(0, 1/fan_in) for weights, small values for
    biases and the positional embedding, 1 + small for layernorm scales."""
    out: dict[str, np.ndarray] = {}
    for name, shape in param_shapes().items():
        if name.endswith("norm_weight"):
            v = 1.0 + 0.1 * rng.standard_normal(shape)
        elif name.endswith(("_b", "_bias")) or name == "positional_emb":
            v = 0.1 * rng.standard_normal(shape)
        elif name == "tokenizer_conv_weight":
            v = rng.standard_normal(shape) / math.sqrt(np.prod(shape[1:]))
        elif name == "classifier_fc_weight":
            v = rng.standard_normal(shape) / math.sqrt(shape[1])
        else:  # [in, out]
            v = rng.standard_normal(shape) / math.sqrt(shape[0])
        out[name] = v.astype(np.float32)
    return out


def make_inputs(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "image": rng.standard_normal(IMAGE).astype(np.float32),
        "label": np.array([LABEL], dtype=np.int64),
    }


def _t(shape: tuple[int, ...], et: str = "f32") -> str:
    return "tensor<" + "".join(f"{d}x" for d in shape) + et + ">"


class Writer:
    """Emits train-dialect ops as text, tracking each value's shape."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.shapes: dict[str, tuple[int, ...]] = {}

    def comment(self, text: str) -> None:
        self.lines.append(f"    // {text}")

    def param(self, name: str, shape: tuple[int, ...]) -> str:
        flag = " trainable" if name in TRAINABLE else ""
        v = "%" + name
        self.lines.append(f"    {v} = train.param @{name}{flag} : {_t(shape)}")
        self.shapes[v] = shape
        return v

    def op(self, res: str, name: str, args: list[str], shape: tuple[int, ...],
           attrs: str = "", arg_types: list[str] | None = None) -> str:
        v = "%" + res
        types = arg_types or [_t(self.shapes[a]) for a in args]
        a = f" {{{attrs}}}" if attrs else ""
        self.lines.append(
            f"    {v} = train.{name} {', '.join(args)}{a} : "
            f"({', '.join(types)}) -> {_t(shape)}"
        )
        self.shapes[v] = shape
        return v


def layernorm(w: Writer, res: str, x: str, prefix: str) -> str:
    scale = w.param(prefix + "_weight", (EMBED,))
    bias = w.param(prefix + "_bias", (EMBED,))
    return w.op(res, "layernorm", [x, scale, bias], w.shapes[x],
                f"axis = -1 : i64, epsilon = {EPS:.1e} : f32")


def linear(w: Writer, res: str, x: str, prefix: str, fan_in: int, fan_out: int,
           bias: bool) -> str:
    wt = w.param(prefix + "_w", (fan_in, fan_out))
    y = w.op(res + ("_mm" if bias else ""), "matmul", [x, wt], (1, TOKENS, fan_out))
    if bias:
        b = w.param(prefix + "_b", (fan_out,))
        y = w.op(res, "add", [y, b], (1, TOKENS, fan_out))
    return y


def block(w: Writer, x: str, b: int) -> str:
    p = f"b{b}_"
    n, d, h, hd = TOKENS, EMBED, HEADS, HEAD_DIM
    w.comment(f"encoder block {b}: multi-head self-attention on the pre-normed tokens")
    xn = layernorm(w, p + "ln0", x, f"blocks_{b}_pre_norm")
    heads = {}
    for which, perm in (("q", "0, 2, 1, 3"), ("k", "0, 2, 3, 1"), ("v", "0, 2, 1, 3")):
        y = linear(w, p + which + "0", xn, f"blocks_{b}_attn_{which}", d, d, False)
        y = w.op(p + which + "1", "reshape", [y], (1, n, h, hd))
        shape = (1, h, hd, n) if which == "k" else (1, h, n, hd)
        heads[which] = w.op(p + which, "transpose", [y], shape, f"perm = array<i64: {perm}>")
    s = w.op(p + "scores0", "matmul", [heads["q"], heads["k"]], (1, h, n, n))
    scale = "%" + p + "scale"
    w.lines.append(f"    {scale} = train.constant dense<{float(SCALE)!r}> : tensor<f32>")
    w.shapes[scale] = ()
    s = w.op(p + "scores", "mul", [s, scale], (1, h, n, n))
    a = w.op(p + "attn", "softmax", [s], (1, h, n, n), "axis = -1 : i64")
    o = w.op(p + "o0", "matmul", [a, heads["v"]], (1, h, n, hd))
    o = w.op(p + "o1", "transpose", [o], (1, n, h, hd), "perm = array<i64: 0, 2, 1, 3>")
    o = w.op(p + "o2", "reshape", [o], (1, n, d))
    o = linear(w, p + "o", o, f"blocks_{b}_attn_proj", d, d, True)
    r = w.op(p + "res1", "add", [x, o], (1, n, d))
    w.comment(f"encoder block {b}: layernorm, then the GELU MLP with a residual")
    r = layernorm(w, p + "ln1", r, f"blocks_{b}_norm1")
    m = linear(w, p + "fc1", r, f"blocks_{b}_mlp_fc1", d, MLP, True)
    m = w.op(p + "gelu", "gelu", [m], (1, n, MLP))
    m = linear(w, p + "fc2", m, f"blocks_{b}_mlp_fc2", MLP, d, True)
    return w.op(p + "out", "add", [r, m], (1, n, d))


def model_text(weights_file: str = "cct.npz") -> str:
    w = Writer()
    c, n, d = CHANNELS, TOKENS, EMBED
    side = SIDE
    w.shapes["%image"] = IMAGE
    w.comment("conv tokenizer: conv 3x3 pad 1, ReLU, max pool 3x3 stride 2 pad 1")
    cw = w.param("tokenizer_conv_weight", (c, IMAGE[1], 3, 3))
    y = w.op("conv", "conv2d", ["%image", cw], (1, c, IMAGE[2], IMAGE[3]),
             "pads = array<i64: 1, 1, 1, 1>")
    y = w.op("relu", "relu", [y], (1, c, IMAGE[2], IMAGE[3]))
    y = w.op("pool", "maxpool2d", [y], (1, c, side, side),
             "kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, pads = array<i64: 1, 1, 1, 1>")
    w.comment(f"tokens: flatten the {side}x{side} grid, channels last, add the positional embedding")
    y = w.op("flat", "reshape", [y], (1, c, n))
    y = w.op("tok", "transpose", [y], (1, n, c), "perm = array<i64: 0, 2, 1>")
    pos = w.param("positional_emb", (1, n, d))
    x = w.op("x0", "add", [y, pos], (1, n, d))
    for b in range(BLOCKS):
        x = block(w, x, b)
    w.comment("final layernorm, sequence pooling, classifier, cross-entropy loss")
    x = layernorm(w, "xn", x, "norm")
    pw = w.param("attention_pool_w", (d, 1))
    pb = w.param("attention_pool_b", (1,))
    s = w.op("pool_s0", "matmul", [x, pw], (1, n, 1))
    s = w.op("pool_s1", "add", [s, pb], (1, n, 1))
    s = w.op("pool_s", "transpose", [s], (1, 1, n), "perm = array<i64: 0, 2, 1>")
    s = w.op("pool_w", "softmax", [s], (1, 1, n), "axis = 2 : i64")
    s = w.op("pooled0", "matmul", [s, x], (1, 1, d))
    s = w.op("pooled", "squeeze", [s], (1, d), "axes = array<i64: 1>")
    fw = w.param("classifier_fc_weight", (CLASSES, d))
    fb = w.param("classifier_fc_bias", (CLASSES,))
    logits = w.op("logits", "gemm", [s, fw, fb], (1, CLASSES), "trans_b")
    loss = w.op("loss", "cross_entropy", [logits, "%label"], (), "",
                [_t((1, CLASSES)), _t((1,), "i64")])
    head = [
        "// A Compact Convolutional Transformer in the train dialect: conv tokenizer",
        f"// ({TOKENS} tokens of width {EMBED}), {BLOCKS} encoder blocks ({HEADS} heads, "
        f"MLP {MLP}),",
        f"// sequence pooling, a {CLASSES}-class classifier and the cross-entropy loss.",
        "// Generated by examples/cct/make_cct.py; parameters come from "
        f"{weights_file}.",
        f'builtin.module attributes {{train.weights = "{weights_file}"}} {{',
        f"  func.func @main(%image: {_t(IMAGE)}, %label: {_t((1,), 'i64')}) -> "
        f"({_t((1, CLASSES))}, tensor<f32>) attributes "
        '{train.arg_names = ["image", "label"], train.result_names = ["logits", "loss"]} {',
    ]
    tail = [
        f"    func.return {logits}, {loss} : {_t((1, CLASSES))}, tensor<f32>",
        "  }",
        "}",
    ]
    return "\n".join(head + w.lines + tail) + "\n"


def write(out_dir: str) -> dict[str, str]:
    """Write cct.mlir, cct.npz and inputs.npz into out_dir; returns their paths."""
    os.makedirs(out_dir, exist_ok=True)
    rng = np.random.default_rng(SEED)
    paths = {
        "model": os.path.join(out_dir, "cct.mlir"),
        "weights": os.path.join(out_dir, "cct.npz"),
        "inputs": os.path.join(out_dir, "inputs.npz"),
    }
    with open(paths["model"], "w") as fh:
        fh.write(model_text("cct.npz"))
    np.savez(paths["weights"], **make_weights(rng))
    np.savez(paths["inputs"], **make_inputs(rng))
    return paths


def main(argv: list[str]) -> int:
    import argparse

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("out_dir", nargs="?", default=HERE, help="default: examples/cct")
    args = p.parse_args(argv)
    for path in write(args.out_dir).values():
        print(f"wrote {os.path.relpath(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
