"""ShuffleNetV2: channel split (chunk) and channel shuffle (view/transpose)."""

import torch
from torch import nn


def channel_shuffle(x, groups):
    """Interleave channel groups; exports as Reshape/Transpose/Reshape."""
    n, c, h, w = x.size()
    x = x.view(n, groups, c // groups, h, w)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(n, -1, h, w)


def _depthwise(ch, stride):
    return nn.Sequential(
        nn.Conv2d(ch, ch, 3, stride, 1, groups=ch, bias=False),
        nn.BatchNorm2d(ch))


def _pointwise_relu(in_ch, out_ch):
    return nn.Sequential(nn.Conv2d(in_ch, out_ch, 1, bias=False),
                         nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True))


class ShuffleUnit(nn.Module):
    """Stride 1: split channels, transform one half.  Stride 2: transform
    both (downsampling) branches.  Concat then shuffle in both cases.

    split_op picks how the channel split is written: "chunk" (torchvision)
    exports as a Shape-derived Slice subgraph, "split" as an ONNX Split.
    """

    def __init__(self, in_ch, out_ch, stride, split_op="chunk"):
        super().__init__()
        self.stride = stride
        self.split_op = split_op
        self.branch_ch = branch_ch = out_ch // 2
        if stride > 1:
            self.branch1 = nn.Sequential(_depthwise(in_ch, stride),
                                         _pointwise_relu(in_ch, branch_ch))
        b2_in = in_ch if stride > 1 else branch_ch
        self.branch2 = nn.Sequential(_pointwise_relu(b2_in, branch_ch),
                                     _depthwise(branch_ch, stride),
                                     _pointwise_relu(branch_ch, branch_ch))

    def forward(self, x):
        if self.stride == 1:
            if self.split_op == "chunk":
                x1, x2 = x.chunk(2, dim=1)
            else:
                x1, x2 = x.split(self.branch_ch, dim=1)
            out = torch.cat((x1, self.branch2(x2)), 1)
        else:
            out = torch.cat((self.branch1(x), self.branch2(x)), 1)
        return channel_shuffle(out, 2)


class ShuffleNetV2(nn.Module):
    """ShuffleNetV2; default channels are the x0.5 configuration.

    split_ops gives the channel-split flavour per stage so that one network
    covers both the Slice and the Split export.
    """

    def __init__(self, num_classes=10, repeats=(4, 8, 4),
                 channels=(24, 48, 96, 192, 1024),
                 split_ops=("chunk", "split", "chunk")):
        super().__init__()
        self.conv1 = nn.Sequential(
            nn.Conv2d(3, channels[0], 3, 2, 1, bias=False),
            nn.BatchNorm2d(channels[0]), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        stages = []
        in_ch = channels[0]
        for n, out_ch, split_op in zip(repeats, channels[1:-1], split_ops):
            stages.append(ShuffleUnit(in_ch, out_ch, 2))
            stages += [ShuffleUnit(out_ch, out_ch, 1, split_op)
                       for _ in range(n - 1)]
            in_ch = out_ch
        self.stages = nn.Sequential(*stages)
        self.conv5 = _pointwise_relu(in_ch, channels[-1])
        self.fc = nn.Linear(channels[-1], num_classes)

    def forward(self, x):
        x = self.conv5(self.stages(self.maxpool(self.conv1(x))))
        return self.fc(x.mean([2, 3]))


def shufflenet_v2(num_classes=10):
    """ShuffleNetV2 x0.5."""
    return ShuffleNetV2(num_classes)
