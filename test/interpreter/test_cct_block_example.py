"""The demo's CCT encoder block (examples/cct_block) interpreted by tdrun
matches the same block written in PyTorch."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "cct_block")


def torch_block(w: dict[str, torch.Tensor], tokens: torch.Tensor, label: torch.Tensor):
    h = F.layer_norm(tokens, (8,), w["ln1.scale"], w["ln1.bias"], 1e-5)
    def heads(t):  # [1, 4, 8] -> [1, 2, 4, 4]
        return t.reshape(1, 4, 2, 4).permute(0, 2, 1, 3)
    q, k, v = heads(h @ w["attn.q"]), heads(h @ w["attn.k"]), heads(h @ w["attn.v"])
    p = torch.softmax(q @ k.transpose(-1, -2) * 0.5, dim=-1)
    a = (p @ v).permute(0, 2, 1, 3).reshape(1, 4, 8)
    r1 = tokens + a @ w["attn.proj.w"] + w["attn.proj.b"]
    g = F.layer_norm(r1, (8,), w["ln2.scale"], w["ln2.bias"], 1e-5)
    m = F.gelu(g @ w["mlp.fc1.w"] + w["mlp.fc1.b"]) @ w["mlp.fc2.w"] + w["mlp.fc2.b"]
    logits = F.linear((r1 + m).mean(dim=1), w["head.w"], w["head.b"])
    return logits, F.cross_entropy(logits, label)


def test_cct_block_matches_torch(tmp_path):
    subprocess.run([sys.executable, os.path.join(EXAMPLE, "make_inputs.py")], check=True)
    out = tmp_path / "out.npz"
    subprocess.run(
        [
            "tdrun",
            os.path.join(EXAMPLE, "encoder_block.mlir"),
            "--inputs",
            os.path.join(EXAMPLE, "inputs.npz"),
            "--reference",
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    ours = np.load(out)
    weights = {k: torch.from_numpy(v) for k, v in np.load(os.path.join(EXAMPLE, "encoder_block.npz")).items()}
    inputs = np.load(os.path.join(EXAMPLE, "inputs.npz"))
    logits, loss = torch_block(weights, torch.from_numpy(inputs["tokens"]), torch.from_numpy(inputs["label"]))
    np.testing.assert_allclose(ours["logits"], logits.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours["loss"], loss.numpy(), rtol=1e-4, atol=1e-5)
