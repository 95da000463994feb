"""mass-audio-embed-v1 and -v2 (same architecture): a small separable CNN over a [1, 64 mel, 32 frame] log-mel patch -> 64-d unit vector."""

import torch
from torch import nn


def conv_bn(cin, cout, k, stride=1, groups=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SepBlock(nn.Module):
    """Depthwise 3x3 + pointwise 1x1 (MobileNet), then optional 2x2 max pooling."""

    def __init__(self, cin, cout, pool=True):
        super().__init__()
        self.dw = conv_bn(cin, cin, 3, groups=cin)
        self.pw = conv_bn(cin, cout, 1)
        self.pool = nn.MaxPool2d(2) if pool else nn.Identity()

    def forward(self, x):
        return self.pool(self.pw(self.dw(x)))


class Embedder(nn.Module):
    def __init__(self, bands=64, frames=32, size=64, width=(16, 48, 96, 192), hidden=128):
        super().__init__()
        c0, c1, c2, c3 = width
        self.stem = nn.Sequential(conv_bn(1, c0, 5, stride=2),  # 32 bands x 16 frames
                                  nn.MaxPool2d(2))              # 16 x 8
        self.blocks = nn.Sequential(SepBlock(c0, c1),           # 8 x 4
                                    SepBlock(c1, c2),           # 4 x 2
                                    SepBlock(c2, c3, pool=False))
        fbins = bands // 16
        c4 = c3
        self.head = nn.Sequential(nn.Linear(2 * c4 * fbins, hidden), nn.ReLU(inplace=True), nn.Linear(hidden, size))

    def features(self, x):
        h = self.blocks(self.stem(x))                          # [B, C, F, T]
        # mean and max over time, keep the coarse frequency axis
        return torch.cat([h.mean(dim=3), h.amax(dim=3)], dim=1).flatten(1)

    def forward(self, x):
        z = self.head(self.features(x))
        return z * torch.rsqrt((z * z).sum(dim=1, keepdim=True) + 1e-12)


def count_macs(model, bands=64, frames=32):
    """Multiply-accumulates of one patch in conv and linear layers (BN folds into the convs at export)."""
    macs = []

    def conv_hook(m, i, o):
        macs.append(o.numel() // o.shape[0] * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1])

    def lin_hook(m, i, o):
        macs.append(m.in_features * m.out_features)

    hooks = []
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            hooks.append(m.register_forward_hook(lin_hook))
    was = model.training
    model.eval()
    with torch.no_grad():
        model(torch.zeros(1, 1, bands, frames))
    model.train(was)
    for h in hooks:
        h.remove()
    return sum(macs)
