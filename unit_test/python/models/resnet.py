"""ResNet-18 (BasicBlock) and ResNet-50 (Bottleneck) with selectable stems."""

import torch
from torch import nn


def _conv_bn(in_ch, out_ch, kernel, stride=1):
    """Conv (no bias, BN follows) + BatchNorm, the ResNet building unit."""
    return nn.Sequential(
        nn.Conv2d(in_ch, out_ch, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(out_ch),
    )


class BasicBlock(nn.Module):
    """Two 3x3 convs plus identity or 1x1 projection shortcut."""

    expansion = 1

    def __init__(self, in_ch, planes, stride=1):
        super().__init__()
        out_ch = planes * self.expansion
        self.conv1 = _conv_bn(in_ch, planes, 3, stride)
        self.conv2 = _conv_bn(planes, out_ch, 3)
        self.shortcut = (_conv_bn(in_ch, out_ch, 1, stride)
                         if stride != 1 or in_ch != out_ch else nn.Identity())
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.conv1(x))
        out = self.conv2(out)
        return self.relu(out + self.shortcut(x))


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (strided), 1x1 expand by 4, plus shortcut."""

    expansion = 4

    def __init__(self, in_ch, planes, stride=1):
        super().__init__()
        out_ch = planes * self.expansion
        self.conv1 = _conv_bn(in_ch, planes, 1)
        self.conv2 = _conv_bn(planes, planes, 3, stride)
        self.conv3 = _conv_bn(planes, out_ch, 1)
        self.shortcut = (_conv_bn(in_ch, out_ch, 1, stride)
                         if stride != 1 or in_ch != out_ch else nn.Identity())
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x):
        out = self.relu(self.conv1(x))
        out = self.relu(self.conv2(out))
        out = self.conv3(out)
        return self.relu(out + self.shortcut(x))


class ResNet(nn.Module):
    """Generic ResNet.

    stem="cifar": 3x3 stride-1 conv, no maxpool (32x32 inputs).
    stem="imagenet": 7x7 stride-2 conv + 3x3/2 maxpool (224x224 inputs).
    view_flatten=True flattens with x.view(x.size(0), -1) so the exported
    graph contains a Shape/Gather/Unsqueeze/Concat/Reshape subgraph.
    """

    def __init__(self, block, layers, num_classes=10, width=64,
                 stem="cifar", view_flatten=False):
        super().__init__()
        if stem == "cifar":
            self.stem = nn.Sequential(_conv_bn(3, width, 3),
                                      nn.ReLU(inplace=True))
        elif stem == "imagenet":
            self.stem = nn.Sequential(_conv_bn(3, width, 7, 2),
                                      nn.ReLU(inplace=True),
                                      nn.MaxPool2d(3, 2, 1))
        else:
            raise ValueError(f"unknown stem {stem!r}")
        self.view_flatten = view_flatten
        in_ch = width
        stages = []
        for i, blocks in enumerate(layers):
            planes = width * 2 ** i
            for j in range(blocks):
                stride = 2 if i > 0 and j == 0 else 1
                stages.append(block(in_ch, planes, stride))
                in_ch = planes * block.expansion
        self.layers = nn.Sequential(*stages)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_ch, num_classes)

    def forward(self, x):
        x = self.pool(self.layers(self.stem(x)))
        if self.view_flatten:
            x = x.view(x.size(0), -1)
        else:
            x = torch.flatten(x, 1)
        return self.fc(x)


def resnet18(num_classes=10, width=64, stem="cifar"):
    """ResNet-18: BasicBlock x [2, 2, 2, 2], flattened with torch.flatten."""
    return ResNet(BasicBlock, [2, 2, 2, 2], num_classes, width, stem)


def resnet50(num_classes=10, width=64, stem="imagenet"):
    """ResNet-50: Bottleneck x [3, 4, 6, 3], flattened with view()."""
    return ResNet(Bottleneck, [3, 4, 6, 3], num_classes, width, stem,
                  view_flatten=True)
