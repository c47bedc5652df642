"""Two small PyTorch models in the shape of the paper's workloads: a CNN and
a pre-norm Transformer encoder block (the building block of CCT)."""

from __future__ import annotations

import math

import torch
from torch import nn


class SmallCNN(nn.Module):
    """conv-relu-pool twice (the second convolution grouped), then a linear
    classifier: 3x16x16 images, 10 classes."""

    def __init__(self, classes: int = 10):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1, groups=2)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * 4 * 4, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc(torch.flatten(x, 1))


class TransformerBlock(nn.Module):
    """Pre-norm multi-head self-attention and a GELU MLP, both residual, on
    [batch, tokens, dim], with separate q/k/v projections and matmul
    attention (einsum_cct.py has the fused-qkv, einsum form)."""

    def __init__(self, tokens: int = 8, dim: int = 16, heads: int = 2):
        super().__init__()
        self.tokens, self.dim, self.heads = tokens, dim, heads
        self.norm1 = nn.LayerNorm(dim)
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim)
        self.v = nn.Linear(dim, dim)
        self.proj = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, 2 * dim)
        self.fc2 = nn.Linear(2 * dim, dim)
        self.act = nn.GELU()

    def _heads(self, z: torch.Tensor) -> torch.Tensor:
        b = z.shape[0]  # exported as Shape/Gather, folded by tdimport
        return z.reshape(b, self.tokens, self.heads, self.dim // self.heads).transpose(1, 2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm1(x)
        q, k, v = self._heads(self.q(h)), self._heads(self.k(h)), self._heads(self.v(h))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.dim // self.heads)
        y = (torch.softmax(scores, dim=-1) @ v).transpose(1, 2)
        x = x + self.proj(y.reshape(x.shape[0], self.tokens, self.dim))
        return x + self.fc2(self.act(self.fc1(self.norm2(x))))
