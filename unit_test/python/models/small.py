"""Small hand-made convnets covering activations the big zoo lacks."""

import torch
import torch.nn.functional as F
from torch import nn


class LeakyGeluNet(nn.Module):
    """Conv/BN/LeakyReLU and Conv/exact-GELU stages with AvgPool, then a
    Linear/GELU/Linear head ending in Softmax (probabilities out)."""

    def __init__(self, num_classes=10, width=16, input_size=32):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(3, width, 3, padding=1, bias=False),
            nn.BatchNorm2d(width), nn.LeakyReLU(0.1),
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.GELU(),
            nn.AvgPool2d(2),
            nn.Conv2d(2 * width, 2 * width, 3, padding=1),
            nn.LeakyReLU(0.2), nn.AvgPool2d(2))
        spatial = input_size // 4
        self.head = nn.Sequential(
            nn.Linear(2 * width * spatial * spatial, 64), nn.GELU(),
            nn.Linear(64, num_classes), nn.Softmax(dim=1))

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


class TinyNet(nn.Module):
    """Two conv+BN layers with a residual add, global pool and Linear: the
    smallest graph that still exercises every common CNN pattern."""

    def __init__(self, num_classes=4, width=8):
        super().__init__()
        self.conv1 = nn.Conv2d(3, width, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.fc = nn.Linear(width, num_classes)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.relu(self.bn2(self.conv2(x)) + x)
        x = F.adaptive_avg_pool2d(x, 1)
        return self.fc(torch.flatten(x, 1))


def leaky_gelu_net(num_classes=10, width=16, input_size=32):
    """LeakyReLU/GELU/AvgPool/Softmax test network."""
    return LeakyGeluNet(num_classes, width, input_size)


def tiny_net(num_classes=4, width=8):
    """TinyNet for fast unit tests."""
    return TinyNet(num_classes, width)
