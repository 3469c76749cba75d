"""SqueezeNet 1.1: Fire modules whose expand branches are concatenated."""

import torch
from torch import nn


class Fire(nn.Module):
    """1x1 squeeze, then parallel 1x1 / 3x3 expand joined by Concat."""

    def __init__(self, in_ch, squeeze, expand1x1, expand3x3):
        super().__init__()
        self.squeeze = nn.Conv2d(in_ch, squeeze, 1)
        self.expand1x1 = nn.Conv2d(squeeze, expand1x1, 1)
        self.expand3x3 = nn.Conv2d(squeeze, expand3x3, 3, padding=1)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.relu(self.squeeze(x))
        return torch.cat([self.relu(self.expand1x1(x)),
                          self.relu(self.expand3x3(x))], 1)


class SqueezeNet11(nn.Module):
    """SqueezeNet 1.1 (no BatchNorm; ceil-mode max pooling; conv classifier).

    `width` scales every channel count (64 = reference network).
    """

    def __init__(self, num_classes=10, width=64):
        super().__init__()

        def c(n):
            return n * width // 64

        def pool():
            return nn.MaxPool2d(3, 2, ceil_mode=True)

        self.features = nn.Sequential(
            nn.Conv2d(3, c(64), 3, stride=2), nn.ReLU(inplace=True), pool(),
            Fire(c(64), c(16), c(64), c(64)),
            Fire(c(128), c(16), c(64), c(64)), pool(),
            Fire(c(128), c(32), c(128), c(128)),
            Fire(c(256), c(32), c(128), c(128)), pool(),
            Fire(c(256), c(48), c(192), c(192)),
            Fire(c(384), c(48), c(192), c(192)),
            Fire(c(384), c(64), c(256), c(256)),
            Fire(c(512), c(64), c(256), c(256)))
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Conv2d(c(512), num_classes, 1),
            nn.ReLU(inplace=True), nn.AdaptiveAvgPool2d(1))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


def squeezenet1_1(num_classes=10, width=64):
    """SqueezeNet 1.1."""
    return SqueezeNet11(num_classes, width)
