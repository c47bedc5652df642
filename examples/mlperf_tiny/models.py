"""The four MLPerf Tiny networks, written the way a PyTorch user writes them
(nn.Module, nn.Sequential, BatchNorm after every convolution or hidden
layer), after the MLPerf Tiny reference models (architecture only; the
reference implementations are Keras):

- `DSCNN`: keyword spotting on 49x10 MFCC features, 12 classes; conv 10x4
  stride 2, then 4 x [depthwise 3x3 + BN + ReLU, pointwise 1x1 + BN + ReLU],
  global average pooling, a linear classifier.
- `ResNet8`: image classification on 32x32x3, 10 classes; 16/32/64 channels,
  three residual stacks (1x1 stride-2 convolutions on the shortcut when the
  shape changes), BN, global average pooling.
- `MobileNetV1`: visual wake words on 96x96x3, 2 classes; width multiplier
  0.25, 13 depthwise-separable blocks, BN, global average pooling.
- `DeepAE`: anomaly detection; 640 -> 128 x 4 -> 8 -> 128 x 4 -> 640,
  Linear + BatchNorm1d + ReLU on every hidden layer, trained with MSE
  against its own input.

Keras' 'same' padding with stride 2 pads asymmetrically; PyTorch users
write symmetric `padding=`, which gives the same output sizes here.
"""

from __future__ import annotations

import torch
from torch import nn


def conv_bn_relu(cin: int, cout: int, kernel: int | tuple[int, int], stride: int = 1,
                 padding: int | tuple[int, int] = 0, groups: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride=stride, padding=padding, groups=groups, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(),
    )


class DSCNN(nn.Module):
    """Depthwise-separable CNN for keyword spotting (input N x 1 x 49 x 10)."""

    def __init__(self, classes: int = 12, channels: int = 64, blocks: int = 4) -> None:
        super().__init__()
        self.stem = conv_bn_relu(1, channels, (10, 4), stride=2, padding=(5, 1))
        self.blocks = nn.Sequential(*[
            nn.Sequential(
                conv_bn_relu(channels, channels, 3, padding=1, groups=channels),
                conv_bn_relu(channels, channels, 1),
            )
            for _ in range(blocks)
        ])
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(channels, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(self.pool(x), 1))


class ResidualStack(nn.Module):
    def __init__(self, cin: int, cout: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = None
        if stride != 1 or cin != cout:
            self.shortcut = nn.Conv2d(cin, cout, 1, stride=stride)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x if self.shortcut is None else self.shortcut(x)
        return torch.relu(y + s)


class ResNet8(nn.Module):
    """ResNet-8 for CIFAR-10-sized images (input N x 3 x 32 x 32)."""

    def __init__(self, classes: int = 10) -> None:
        super().__init__()
        self.stem = conv_bn_relu(3, 16, 3, padding=1)
        self.stack1 = ResidualStack(16, 16, 1)
        self.stack2 = ResidualStack(16, 32, 2)
        self.stack3 = ResidualStack(32, 64, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stack3(self.stack2(self.stack1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


# (output channels at width 1.0, stride) of MobileNetV1's 13 separable blocks
MOBILENET_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
                    (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]


class MobileNetV1(nn.Module):
    """MobileNetV1 for visual wake words (input N x 3 x 96 x 96)."""

    def __init__(self, classes: int = 2, width: float = 0.25) -> None:
        super().__init__()
        c = int(32 * width)
        layers = [conv_bn_relu(3, c, 3, stride=2, padding=1)]
        for channels, stride in MOBILENET_BLOCKS:
            out = int(channels * width)
            layers.append(conv_bn_relu(c, c, 3, stride=stride, padding=1, groups=c))
            layers.append(conv_bn_relu(c, out, 1))
            c = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(c, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class DeepAE(nn.Module):
    """The anomaly-detection autoencoder (input N x 640)."""

    def __init__(self, inputs: int = 640, hidden: int = 128, code: int = 8) -> None:
        super().__init__()
        widths = [inputs, hidden, hidden, hidden, hidden, code, hidden, hidden, hidden, hidden]
        self.hidden = nn.Sequential(*[
            nn.Sequential(nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU())
            for a, b in zip(widths[:-1], widths[1:])
        ])
        self.out = nn.Linear(hidden, inputs)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.hidden(x))


# name -> (constructor, input shape of one sample, loss)
MODELS = {
    "ds_cnn": (DSCNN, (1, 49, 10), "cross-entropy"),
    "resnet8": (ResNet8, (3, 32, 32), "cross-entropy"),
    "mobilenet_v1": (MobileNetV1, (3, 96, 96), "cross-entropy"),
    "deep_ae": (DeepAE, (640,), "mse"),
}


def make(name: str, seed: int = 0) -> nn.Module:
    """The model with seeded weights and non-trivial BatchNorm statistics
    (as after training), in eval mode: fine-tuning keeps them frozen."""
    ctor = MODELS[name][0]
    torch.manual_seed(seed)
    model = ctor()
    g = torch.Generator().manual_seed(seed + 1)
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            n = m.num_features
            m.running_mean.copy_(0.1 * torch.randn(n, generator=g))
            m.running_var.copy_(0.5 + torch.rand(n, generator=g))
            m.weight.data.copy_(1.0 + 0.1 * torch.randn(n, generator=g))
            m.bias.data.copy_(0.1 * torch.randn(n, generator=g))
    return model.eval()
