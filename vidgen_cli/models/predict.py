"""Frame prediction networks: a refiner of flow extrapolation (natural video) and a moving-digits predictor.

FlowRefiner: flow extrapolation is right almost everywhere and wrong at a few places (occlusion
edges, non-rigid or accelerating motion, flow noise), so a small U-Net sees the last two frames,
the extrapolated frame and its displacement field, and outputs a per-pixel blend between the
extrapolation and the last frame plus a residual. Being anchored to the extrapolation it trains in
minutes on a CPU and works at any resolution.

DigitsPredictor: a SimVP-style network (Gao et al., CVPR 2022): a per-frame conv encoder to 16x16,
a translator that mixes all 10 input frames stacked as channels (ConvNeXt-like blocks), and a
per-frame decoder that emits all 10 future frames at once. Non-recurrent, so it trains several times
faster per sample than a ConvLSTM on a CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from vidgen_cli.models import register

DISP_SCALE = 20.0  # displacements are fed in units of 20 pixels
HORIZON_SCALE = 10.0


def refiner_inputs(prev: np.ndarray, last: np.ndarray, extrapolated: np.ndarray, disp: np.ndarray, holes: np.ndarray, k: int) -> np.ndarray:
    """Stack the refiner's 13 input channels (H x W x 13 float32) from uint8 RGB frames, the
    displacement (H x W x 2, pixels) and the hole mask (H x W); vidgen_cli.device.to_tensor makes
    the network's input of it."""
    images = np.concatenate([prev, last, extrapolated], axis=2).astype(np.float32) / 255.0
    h, w = last.shape[:2]
    extra = np.concatenate(
        [disp / DISP_SCALE, holes[..., None].astype(np.float32), np.full((h, w, 1), k / HORIZON_SCALE, np.float32)], axis=2
    )
    return np.concatenate([images, extra], axis=2).astype(np.float32)


def _conv(cin: int, cout: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1), nn.LeakyReLU(0.1, inplace=True))


@dataclass
class FlowRefinerConfig:
    in_channels: int = 13
    width: int = 24


class FlowRefiner(nn.Module):
    """Three-level U-Net: out = m * extrapolated + (1 - m) * last + residual."""

    def __init__(self, config: FlowRefinerConfig) -> None:
        super().__init__()
        self.config = config
        c = config.width
        self.enc0 = nn.Sequential(_conv(config.in_channels, c), _conv(c, c))
        self.enc1 = nn.Sequential(_conv(c, 2 * c, 2), _conv(2 * c, 2 * c))
        self.enc2 = nn.Sequential(_conv(2 * c, 3 * c, 2), _conv(3 * c, 3 * c), _conv(3 * c, 3 * c))
        self.dec1 = nn.Sequential(_conv(3 * c + 2 * c, 2 * c), _conv(2 * c, 2 * c))
        self.dec0 = nn.Sequential(_conv(2 * c + c, c), _conv(c, c))
        self.head = nn.Conv2d(c, 4, 3, 1, 1)
        nn.init.zeros_(self.head.weight)
        with torch.no_grad():
            self.head.bias.copy_(torch.tensor([0.0, 0.0, 0.0, 3.0]))  # start close to the plain extrapolation

    def refine(self, x: torch.Tensor) -> torch.Tensor:
        """x: B x 13 x H x W (see refiner_inputs) -> predicted frame B x 3 x H x W in 0-1."""
        h, w = x.shape[-2:]
        ph, pw = (-h) % 4, (-w) % 4
        xp = F.pad(x, (0, pw, 0, ph), mode="replicate") if ph or pw else x
        e0 = self.enc0(xp)
        e1 = self.enc1(e0)
        e2 = self.enc2(e1)
        d1 = self.dec1(torch.cat([F.interpolate(e2, size=e1.shape[-2:], mode="bilinear", align_corners=False), e1], 1))
        d0 = self.dec0(torch.cat([F.interpolate(d1, size=e0.shape[-2:], mode="bilinear", align_corners=False), e0], 1))
        out = self.head(d0)[..., :h, :w]
        mask = torch.sigmoid(out[:, 3:4])
        last, extrapolated = x[:, 3:6], x[:, 6:9]
        return mask * extrapolated + (1 - mask) * last + out[:, :3]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.refine(x)


@dataclass
class DigitsPredictorConfig:
    frames_in: int = 10
    frames_out: int = 10
    enc_channels: int = 16
    latent_channels: int = 32
    hidden: int = 256
    blocks: int = 6


class _Block(nn.Module):
    """ConvNeXt-style: depthwise 7x7, norm, pointwise expand/contract, residual."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.dw = nn.Conv2d(channels, channels, 7, 1, 3, groups=channels)
        self.norm = nn.GroupNorm(1, channels)
        self.pw1 = nn.Conv2d(channels, 2 * channels, 1)
        self.pw2 = nn.Conv2d(2 * channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pw2(F.gelu(self.pw1(self.norm(self.dw(x)))))


class DigitsPredictor(nn.Module):
    """B x frames_in x 64 x 64 (0-1) -> B x frames_out x 64 x 64.

    Encoder and decoder work at 32x32 and below (pixel-shuffle to 64x64 at the end): on a CPU the
    full-resolution convolutions were most of the cost and digits need little of it.
    """

    def __init__(self, config: DigitsPredictorConfig) -> None:
        super().__init__()
        self.config = config
        e, z, h = config.enc_channels, config.latent_channels, config.hidden
        self.enc0 = _conv(1, e, 2)
        self.enc1 = nn.Sequential(_conv(e, z, 2), _conv(z, z))
        self.mix_in = nn.Conv2d(config.frames_in * z, h, 1)
        self.blocks = nn.Sequential(*[_Block(h) for _ in range(config.blocks)])
        self.mix_out = nn.Conv2d(h, config.frames_out * z, 1)
        self.dec1 = nn.Sequential(_conv(z, z), nn.Conv2d(z, 4 * e, 3, 1, 1), nn.PixelShuffle(2), nn.LeakyReLU(0.1, inplace=True))
        self.dec0 = nn.Sequential(_conv(2 * e, e), nn.Conv2d(e, 4, 3, 1, 1), nn.PixelShuffle(2))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, t, hh, ww = x.shape
        cfg = self.config
        f0 = self.enc0(x.reshape(b * t, 1, hh, ww))
        f1 = self.enc1(f0)
        zh, zw = f1.shape[-2:]
        y = self.mix_out(self.blocks(self.mix_in(f1.reshape(b, t * cfg.latent_channels, zh, zw))))
        y = self.dec1(y.reshape(b * cfg.frames_out, cfg.latent_channels, zh, zw))
        # skip connection from the last input frame's 32x32 features: where the digits were drawn
        sh, sw = f0.shape[-2:]
        skip = f0.reshape(b, t, -1, sh, sw)[:, -1:].expand(b, cfg.frames_out, -1, sh, sw).reshape(b * cfg.frames_out, -1, sh, sw)
        y = self.dec0(torch.cat([y, skip], 1))
        return y.reshape(b, cfg.frames_out, hh, ww)


register("flow-refiner", FlowRefinerConfig, FlowRefiner)
register("digits-predictor", DigitsPredictorConfig, DigitsPredictor)
