"""MobileNetV2 (ReLU6 inverted residuals) and MobileNetV3-small (HardSwish,
Hardsigmoid squeeze-excitation)."""

import torch
from torch import nn


def make_divisible(v, divisor=8):
    """Round channels to a multiple of `divisor` as the reference nets do."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def conv_bn_act(in_ch, out_ch, kernel, stride=1, groups=1, act=nn.ReLU6):
    """Conv + BN + optional activation (act=None for linear bottlenecks)."""
    layers = [nn.Conv2d(in_ch, out_ch, kernel, stride, kernel // 2,
                        groups=groups, bias=False),
              nn.BatchNorm2d(out_ch)]
    if act is not None:
        layers.append(act(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidualV2(nn.Module):
    """Expand 1x1 -> depthwise 3x3 -> linear 1x1 projection (+ residual)."""

    def __init__(self, in_ch, out_ch, stride, expand_ratio):
        super().__init__()
        hidden = in_ch * expand_ratio
        self.use_res = stride == 1 and in_ch == out_ch
        layers = []
        if expand_ratio != 1:
            layers.append(conv_bn_act(in_ch, hidden, 1))
        layers += [conv_bn_act(hidden, hidden, 3, stride, groups=hidden),
                   conv_bn_act(hidden, out_ch, 1, act=None)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res else self.conv(x)


class MobileNetV2(nn.Module):
    """MobileNetV2; unlike torchvision the last 1280 channels also scale with
    width_mult so that small test networks stay small."""

    # expansion t, channels c, repeats n, first stride s
    SETTINGS = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]

    def __init__(self, num_classes=10, width_mult=1.0):
        super().__init__()
        in_ch = make_divisible(32 * width_mult)
        last_ch = make_divisible(1280 * width_mult)
        layers = [conv_bn_act(3, in_ch, 3, 2)]
        for t, c, n, s in self.SETTINGS:
            out_ch = make_divisible(c * width_mult)
            for i in range(n):
                layers.append(InvertedResidualV2(in_ch, out_ch,
                                                 s if i == 0 else 1, t))
                in_ch = out_ch
        layers.append(conv_bn_act(in_ch, last_ch, 1))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Dropout(0.2),
                                        nn.Linear(last_ch, num_classes))

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


class SqueezeExcitation(nn.Module):
    """Global pool -> 1x1 reduce -> ReLU -> 1x1 expand -> Hardsigmoid gate."""

    def __init__(self, channels, squeeze):
        super().__init__()
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(channels, squeeze, 1)
        self.relu = nn.ReLU(inplace=True)
        self.fc2 = nn.Conv2d(squeeze, channels, 1)
        self.gate = nn.Hardsigmoid()

    def forward(self, x):
        scale = self.gate(self.fc2(self.relu(self.fc1(self.pool(x)))))
        return x * scale


class InvertedResidualV3(nn.Module):
    """V3 bottleneck: optional expand, depthwise kxk, optional SE, project."""

    def __init__(self, in_ch, kernel, exp_ch, out_ch, use_se, act, stride):
        super().__init__()
        self.use_res = stride == 1 and in_ch == out_ch
        layers = []
        if exp_ch != in_ch:
            layers.append(conv_bn_act(in_ch, exp_ch, 1, act=act))
        layers.append(conv_bn_act(exp_ch, exp_ch, kernel, stride,
                                  groups=exp_ch, act=act))
        if use_se:
            layers.append(SqueezeExcitation(exp_ch,
                                            make_divisible(exp_ch // 4)))
        layers.append(conv_bn_act(exp_ch, out_ch, 1, act=None))
        self.block = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.block(x) if self.use_res else self.block(x)


class MobileNetV3Small(nn.Module):
    """MobileNetV3-small (torchvision configuration, scaled by width_mult)."""

    # in, kernel, expanded, out, SE, activation ("RE"/"HS"), stride
    SETTINGS = [(16, 3, 16, 16, True, "RE", 2),
                (16, 3, 72, 24, False, "RE", 2),
                (24, 3, 88, 24, False, "RE", 1),
                (24, 5, 96, 40, True, "HS", 2),
                (40, 5, 240, 40, True, "HS", 1),
                (40, 5, 240, 40, True, "HS", 1),
                (40, 5, 120, 48, True, "HS", 1),
                (48, 5, 144, 48, True, "HS", 1),
                (48, 5, 288, 96, True, "HS", 2),
                (96, 5, 576, 96, True, "HS", 1),
                (96, 5, 576, 96, True, "HS", 1)]

    def __init__(self, num_classes=10, width_mult=1.0):
        super().__init__()
        acts = {"RE": nn.ReLU, "HS": nn.Hardswish}

        def ch(c):
            return make_divisible(c * width_mult)

        layers = [conv_bn_act(3, ch(16), 3, 2, act=nn.Hardswish)]
        for in_ch, k, exp, out, se, act, stride in self.SETTINGS:
            layers.append(InvertedResidualV3(ch(in_ch), k, ch(exp), ch(out),
                                             se, acts[act], stride))
        last_conv = 6 * ch(96)
        last_ch = ch(1024)
        layers.append(conv_bn_act(ch(96), last_conv, 1, act=nn.Hardswish))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(
            nn.Linear(last_conv, last_ch), nn.Hardswish(inplace=True),
            nn.Dropout(0.2), nn.Linear(last_ch, num_classes))

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.classifier(torch.flatten(x, 1))


def mobilenet_v2(num_classes=10, width_mult=1.0):
    """MobileNetV2 with ReLU6 and linear bottlenecks."""
    return MobileNetV2(num_classes, width_mult)


def mobilenet_v3_small(num_classes=10, width_mult=1.0):
    """MobileNetV3-small with HardSwish and Hardsigmoid SE gates."""
    return MobileNetV3Small(num_classes, width_mult)
