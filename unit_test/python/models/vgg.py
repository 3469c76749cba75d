"""VGG-11 with BatchNorm."""

from torch import nn

_VGG11 = [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]


class VGG(nn.Module):
    """VGG feature stack + 3-layer classifier sized for `input_size`.

    torchvision's AdaptiveAvgPool2d((7, 7)) is dropped: on small inputs the
    features are 1x1 and the adaptive pool would not be exportable as a
    plain pooling op.  Flattening uses view() to produce a shape subgraph.
    """

    def __init__(self, cfg, num_classes=10, width=64, input_size=32):
        super().__init__()
        layers = []
        in_ch, spatial = 3, input_size
        for v in cfg:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
                spatial //= 2
            else:
                out_ch = v * width // 64
                layers += [nn.Conv2d(in_ch, out_ch, 3, padding=1),
                           nn.BatchNorm2d(out_ch), nn.ReLU(inplace=True)]
                in_ch = out_ch
        self.features = nn.Sequential(*layers)
        hidden = 4096 * width // 64
        self.classifier = nn.Sequential(
            nn.Linear(in_ch * spatial * spatial, hidden), nn.ReLU(True),
            nn.Dropout(), nn.Linear(hidden, hidden), nn.ReLU(True),
            nn.Dropout(), nn.Linear(hidden, num_classes))

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return self.classifier(x)


def vgg11_bn(num_classes=10, width=64, input_size=32):
    """VGG-11 (configuration "A") with BatchNorm after every conv."""
    return VGG(_VGG11, num_classes, width, input_size)
