"""A small DenseNet: dense blocks joined by a transition layer."""

import torch
from torch import nn


class DenseLayer(nn.Module):
    """Pre-activation BN-ReLU-Conv1x1-BN-ReLU-Conv3x3, output concatenated.

    The BN follows a Concat, not a Conv, so it survives BN folding.
    """

    def __init__(self, in_ch, growth, bn_size):
        super().__init__()
        self.layers = nn.Sequential(
            nn.BatchNorm2d(in_ch), nn.ReLU(inplace=True),
            nn.Conv2d(in_ch, bn_size * growth, 1, bias=False),
            nn.BatchNorm2d(bn_size * growth), nn.ReLU(inplace=True),
            nn.Conv2d(bn_size * growth, growth, 3, padding=1, bias=False))

    def forward(self, x):
        return torch.cat([x, self.layers(x)], 1)


def dense_block(in_ch, num_layers, growth, bn_size):
    """Stack of DenseLayers, each seeing all previous feature maps."""
    return nn.Sequential(*[DenseLayer(in_ch + i * growth, growth, bn_size)
                           for i in range(num_layers)])


def transition(in_ch, out_ch):
    """BN-ReLU-Conv1x1 channel compression then 2x2 average pooling."""
    return nn.Sequential(nn.BatchNorm2d(in_ch), nn.ReLU(inplace=True),
                         nn.Conv2d(in_ch, out_ch, 1, bias=False),
                         nn.AvgPool2d(2, 2))


class DenseNetSmall(nn.Module):
    """Stem conv, dense block, transition, dense block, BN-ReLU, pool, FC."""

    def __init__(self, num_classes=10, growth=8, init_ch=16,
                 block_layers=(4, 4), bn_size=4):
        super().__init__()
        layers = [nn.Conv2d(3, init_ch, 3, padding=1, bias=False)]
        ch = init_ch
        for i, n in enumerate(block_layers):
            layers.append(dense_block(ch, n, growth, bn_size))
            ch += n * growth
            if i != len(block_layers) - 1:
                layers.append(transition(ch, ch // 2))
                ch //= 2
        layers += [nn.BatchNorm2d(ch), nn.ReLU(inplace=True)]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(ch, num_classes)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


def densenet_block(num_classes=10, growth=8):
    """Two 4-layer dense blocks with one transition."""
    return DenseNetSmall(num_classes, growth)
