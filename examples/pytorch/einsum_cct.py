"""A small Compact Convolutional Transformer written the ordinary PyTorch
way: a fused qkv projection split with `chunk` (block 0) or reshaped,
permuted and `unbind` (block 1), attention with `torch.einsum`, exact
`nn.GELU`, pre-norm residual blocks, sequence pooling and a classifier.

Exported with the default `torch.onnx.export` (the dynamo exporter) it
brings Slice or Split, Gather, Einsum and the GELU expansion into the ONNX
graph; test/frontend/test_einsum_cct.py imports it and checks one SGD step
(full fine-tuning and LoRA) against PyTorch."""

from __future__ import annotations

import torch
from torch import nn


class Attention(nn.Module):
    def __init__(self, dim: int, heads: int, split: str):
        super().__init__()
        self.heads, self.split = heads, split
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, c = x.shape
        h = self.heads
        if self.split == "chunk":
            q, k, v = (t.reshape(b, n, h, c // h).transpose(1, 2) for t in self.qkv(x).chunk(3, dim=-1))
        else:
            q, k, v = self.qkv(x).reshape(b, n, 3, h, c // h).permute(2, 0, 3, 1, 4).unbind(0)
        attn = torch.einsum("bhid,bhjd->bhij", q, k) * self.scale
        y = torch.einsum("bhij,bhjd->bhid", attn.softmax(dim=-1), v)
        return self.proj(y.transpose(1, 2).reshape(b, n, c))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, mlp: int, split: str):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = Attention(dim, heads, split)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, mlp)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(mlp, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))


class EinsumCCT(nn.Module):
    """3 x 8 x 8 images: conv tokenizer (3x3 conv, ReLU, 3x3 stride-2 max
    pool: 16 tokens of width `dim`), a learned positional embedding, two
    encoder blocks, a final layernorm, sequence pooling, `classes` logits."""

    def __init__(self, dim: int = 16, heads: int = 2, mlp: int = 32, classes: int = 5, size: int = 8):
        super().__init__()
        tokens = (size // 2) ** 2
        self.conv = nn.Conv2d(3, dim, 3, padding=1)
        self.pool = nn.MaxPool2d(3, stride=2, padding=1)
        self.pos = nn.Parameter(0.1 * torch.randn(1, tokens, dim))
        self.blocks = nn.ModuleList(
            [Block(dim, heads, mlp, "chunk"), Block(dim, heads, mlp, "unbind")]
        )
        self.norm = nn.LayerNorm(dim)
        self.pool_fc = nn.Linear(dim, 1)
        self.head = nn.Linear(dim, classes)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv(images))).flatten(2).transpose(1, 2) + self.pos
        for block in self.blocks:
            x = block(x)
        x = self.norm(x)
        weights = self.pool_fc(x).squeeze(-1).softmax(dim=-1)  # [batch, tokens]
        return self.head(torch.einsum("bn,bnd->bd", weights, x))
