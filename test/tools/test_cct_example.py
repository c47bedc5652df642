"""The demo's CCT (examples/cct/make_cct.py): the generated module verifies,
its reference forward matches an independent numpy implementation of the
same network, and `train-lora` with its defaults adapts block 1 only."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAKE_CCT = os.path.join(ROOT, "examples", "cct", "make_cct.py")


@pytest.fixture(scope="module")
def cct(tmp_path_factory):
    out = tmp_path_factory.mktemp("cct")
    subprocess.run([sys.executable, MAKE_CCT, str(out)], check=True)
    return out


# --- an independent numpy CCT (float64), written from the architecture -----

_erf = np.vectorize(math.erf)


def conv3x3_pad1(x, w):  # x [C, H, W], w [M, C, 3, 3] -> [M, H, W]
    c, h, wd = x.shape
    p = np.zeros((c, h + 2, wd + 2))
    p[:, 1:-1, 1:-1] = x
    out = np.zeros((w.shape[0], h, wd))
    for i in range(3):
        for j in range(3):
            out += np.einsum("mc,chw->mhw", w[:, :, i, j], p[:, i:i + h, j:j + wd])
    return out


def maxpool3x3_s2_p1(x):  # x [C, H, W] -> [C, H/2, W/2]
    c, h, wd = x.shape
    p = np.full((c, h + 2, wd + 2), -np.inf)
    p[:, 1:-1, 1:-1] = x
    oh, ow = (h - 1) // 2 + 1, (wd - 1) // 2 + 1
    out = np.full((c, oh, ow), -np.inf)
    for i in range(3):
        for j in range(3):
            out = np.maximum(out, p[:, i:i + 2 * oh:2, j:j + 2 * ow:2])
    return out


def layernorm(x, g, b):
    mu = x.mean(-1, keepdims=True)
    var = ((x - mu) ** 2).mean(-1, keepdims=True)
    return (x - mu) / np.sqrt(var + 1e-5) * g + b


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def gelu(x):
    return 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0)))


def numpy_cct(w, image, label, heads=2):
    w = {k: v.astype(np.float64) for k, v in w.items()}
    y = maxpool3x3_s2_p1(np.maximum(conv3x3_pad1(image[0].astype(np.float64), w["tokenizer_conv_weight"]), 0))
    x = y.reshape(y.shape[0], -1).T + w["positional_emb"][0]  # [tokens, embed]
    n, d = x.shape
    hd = d // heads
    for b in range(2):
        p = f"blocks_{b}_"
        h = layernorm(x, w[p + "pre_norm_weight"], w[p + "pre_norm_bias"])
        q, k, v = (h @ w[p + f"attn_{t}_w"] for t in "qkv")
        att = np.zeros((n, d))
        for i in range(heads):
            s = slice(i * hd, (i + 1) * hd)
            att[:, s] = softmax(q[:, s] @ k[:, s].T / math.sqrt(hd)) @ v[:, s]
        x = x + att @ w[p + "attn_proj_w"] + w[p + "attn_proj_b"]
        x = layernorm(x, w[p + "norm1_weight"], w[p + "norm1_bias"])
        m = gelu(x @ w[p + "mlp_fc1_w"] + w[p + "mlp_fc1_b"])
        x = x + m @ w[p + "mlp_fc2_w"] + w[p + "mlp_fc2_b"]
    x = layernorm(x, w["norm_weight"], w["norm_bias"])
    weights = softmax((x @ w["attention_pool_w"] + w["attention_pool_b"])[:, 0])
    logits = (weights @ x) @ w["classifier_fc_weight"].T + w["classifier_fc_bias"]
    lse = logits.max() + math.log(np.exp(logits - logits.max()).sum())
    return logits[None, :], lse - logits[int(label[0])]


def _load(cct):
    from tdopt.dialects.weights import load_weights
    from tdopt.tools.context import make_context
    from tdopt.tools.diagnostics import parse_module, verify_module

    path = str(cct / "cct.mlir")
    text = open(path).read()
    module = parse_module(make_context(), text, path)
    verify_module(module, {path: text})
    return module, load_weights(module, str(cct))


def test_tdopt_verifies_the_cct(cct):
    run = subprocess.run(
        ["tdopt", str(cct / "cct.mlir"), "--stats", "-o", os.devnull],
        capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stderr
    assert "forward FLOPs" in run.stderr


def test_cct_forward_matches_numpy(cct):
    from tdopt.interpreter.reference import run_function

    module, weights = _load(cct)
    inputs = dict(np.load(cct / "inputs.npz"))
    ours = run_function(module, inputs, weights)
    logits, loss = numpy_cct(weights, inputs["image"], inputs["label"])
    assert ours["logits"].shape == (1, 10)
    np.testing.assert_allclose(ours["logits"], logits, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ours["loss"], loss, rtol=1e-5, atol=1e-5)


def test_default_lora_adapts_block_1_only(cct):
    from tdopt.dialects import train
    from tdopt.lowering.pipeline import run_pipeline
    from tdopt.tools.context import make_context

    module, _ = _load(cct)
    run_pipeline(make_context(), module, "train-lora")
    params = {op.param_name: op for op in module.walk() if isinstance(op, train.ParamOp)}
    adapted = sorted(n[: -len("_lora_A")] for n in params if n.endswith("_lora_A"))
    assert adapted == sorted(
        f"blocks_1_{layer}_w"
        for layer in ("attn_q", "attn_k", "attn_v", "attn_proj", "mlp_fc1", "mlp_fc2")
    )
    assert all(n[: -len("_lora_B")] in adapted for n in params if n.endswith("_lora_B"))
    # the adapted weights are frozen, the adapters trainable (default rank 4)
    for name in adapted:
        assert not params[name].is_trainable
        assert params[name + "_lora_A"].is_trainable
        assert tuple(params[name + "_lora_A"].result.type.get_shape())[0] == 4
