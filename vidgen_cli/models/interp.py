"""FusionNet: a small CNN that finishes a classical-flow interpolation.

DIS flow (vidgen_cli.vision.interpolation) already gets motion mostly right on a CPU budget; what it gets
wrong is where to trust which frame (occlusions) and small misalignments. The net sees both frames
warped to time t, the intermediate flows and visibility cues, and predicts a fusion-mask logit
(added to the classical prior), an RGB residual and a small correction to each intermediate flow.
The last layer starts at zero, so an untrained net reproduces the `flow` model exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from vidgen_cli.models import register
from vidgen_cli.models.warp import grid_warp
from vidgen_cli.vision.interpolation import occlusion_weights

FLOW_SCALE = 20.0  # flows enter the net divided by this many pixels


@dataclass
class FusionConfig:
    widths: tuple[int, int, int] = (16, 32, 48)  # channels at 1/2, 1/4, 1/8 of the input resolution
    multiple: int = 8  # input sides must be a multiple of this (pad and crop back)
    refine: int = 0  # channels of a last layer at full input resolution (0: predict at 1/2 and upsample)


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.PReLU(cout))


class FusionNet(nn.Module):
    IN_CHANNELS = 13  # warped frame 0 and 1 (6), flows t->0 and t->1 (4), visibilities (2), t (1)
    OUT_CHANNELS = 8  # mask logit (1), residual (3), flow corrections (4)

    def __init__(self, config: FusionConfig) -> None:
        super().__init__()
        self.config = config
        c1, c2, c3 = config.widths
        self.enc1 = nn.Sequential(_conv(self.IN_CHANNELS, c1, 2), _conv(c1, c1))
        self.enc2 = nn.Sequential(_conv(c1, c2, 2), _conv(c2, c2))
        self.enc3 = nn.Sequential(_conv(c2, c3, 2), _conv(c3, c3), _conv(c3, c3))
        self.dec2 = _conv(c3 + c2, c2)
        self.dec1 = _conv(c2 + c1, c1)
        self.refine = _conv(c1 + self.IN_CHANNELS, config.refine) if config.refine else None
        self.head = nn.Conv2d(config.refine or c1, self.OUT_CHANNELS, 3, 1, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, w0: torch.Tensor, w1: torch.Tensor, ft0: torch.Tensor, ft1: torch.Tensor,
                v0: torch.Tensor, v1: torch.Tensor, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Inputs N x C x H x W: w0/w1 in [0, 1], flows in pixels, v in [0, 1], t N x 1 x 1 x 1.

        Returns (mask in [0, 1] for frame 0, residual in [0, 1] units, flow corrections in pixels for
        t->0 and t->1), all at the input resolution.
        """
        n, _, h, w = w0.shape
        tmap = t.expand(n, 1, h, w)
        x = torch.cat([w0, w1, ft0 / FLOW_SCALE, ft1 / FLOW_SCALE, v0, v1, tmap], 1)
        e1 = self.enc1(x)
        e2 = self.enc2(e1)
        e3 = self.enc3(e2)
        d2 = self.dec2(torch.cat([F.interpolate(e3, size=e2.shape[-2:], mode="bilinear", align_corners=False), e2], 1))
        d1 = self.dec1(torch.cat([F.interpolate(d2, size=e1.shape[-2:], mode="bilinear", align_corners=False), e1], 1))
        if self.refine is not None:
            up = F.interpolate(d1, size=(h, w), mode="bilinear", align_corners=False)
            out = self.head(self.refine(torch.cat([up, x], 1)))
        else:
            out = F.interpolate(self.head(d1), size=(h, w), mode="bilinear", align_corners=False)
        a0, a1 = occlusion_weights(v0, v1, t)  # the `flow` model's blend is the prior of the learned mask
        prior = torch.log(a0) - torch.log(a1)
        mask = torch.sigmoid(out[:, :1] + prior)
        return mask, out[:, 1:4], out[:, 4:8] * FLOW_SCALE


register("interp-fusion", FusionConfig, FusionNet)


def compose(model: FusionNet, i0: torch.Tensor, i1: torch.Tensor, ft0: torch.Tensor, ft1: torch.Tensor,
            v0: torch.Tensor, v1: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Full differentiable interpolation at one resolution (training and validation)."""
    w0, w1 = grid_warp(i0, ft0), grid_warp(i1, ft1)
    mask, residual, dflow = model(w0, w1, ft0, ft1, v0, v1, t)
    r0 = grid_warp(i0, ft0 + dflow[:, :2])
    r1 = grid_warp(i1, ft1 + dflow[:, 2:])
    return mask * r0 + (1 - mask) * r1 + residual
