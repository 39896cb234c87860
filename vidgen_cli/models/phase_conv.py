"""CPU inference kernels for the style transformer: the same arithmetic, laid out so oneDNN runs it fast.

All functions take and return N x C x H x W float tensors stored channels-last (NHWC in memory),
the layout the stylize pipeline feeds the network, and give the plain layers' results up to float
rounding (summation order only; tests/test_phase_conv.py). Measured on the 2-core CPU at 720p, one
thread (bench/stylize_speed.py):

- `phase_conv`: a stride-1 convolution with few output channels (the transformer's last 9x9, 8 -> 3
  channels) is badly vectorised by oneDNN (about 11 GFLOP/s). Split into r x r phases
  (space-to-depth, as in sub-pixel convolution, Shi et al. 2016, read backwards) it becomes a small
  kernel over r*r times the channels: 9x9 8 -> 3 turns into 3x3 128 -> 48 at a quarter of the
  size, 1.8x the multiply-adds but about 3x faster.
- `depth_to_space` / `space_to_depth`: pixel (un)shuffle with the phase as the *outer* channel
  index, which in NHWC memory is one block copy instead of torch's strided gather.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _taps(kernel: int, phases: int) -> torch.Tensor:
    """0/1 tensor [a, u, m, c]: output phase a, original tap u -> low-resolution tap m of input phase c."""
    size = (kernel - 1) // phases + 1
    taps = torch.zeros(phases, kernel, size, phases)
    for a in range(phases):
        for u in range(kernel):
            taps[a, u, (a + u) // phases, (a + u) % phases] = 1.0
    return taps


def phase_kernel(weight: torch.Tensor, phases: int) -> torch.Tensor:
    """cout x cin x k x k kernel (stride 1, valid) -> (r r cout) x (r r cin) x K x K kernel of the same
    convolution on `space_to_depth(x, r)`, K = (k - 1) / r + 1. Channels are ordered (row phase,
    column phase, channel), input and output alike."""
    cout, cin, k, _ = weight.shape
    taps = _taps(k, phases).to(weight)
    phased = torch.einsum("aumc,oiuv,bvnd->abocdimn", taps, weight, taps)
    size = taps.shape[2]
    return phased.reshape(phases * phases * cout, phases * phases * cin, size, size)


def space_to_depth(x: torch.Tensor, phases: int) -> torch.Tensor:
    """N x C x H x W -> N x (r r C) x H/r x W/r, channel (a, b, c) = x[c, r i + a, r j + b]; NHWC out."""
    n, c, h, w = x.shape
    nhwc = x.permute(0, 2, 3, 1).reshape(n, h // phases, phases, w // phases, phases, c)
    blocks = nhwc.permute(0, 1, 3, 2, 4, 5).reshape(n, h // phases, w // phases, phases * phases * c)
    return blocks.permute(0, 3, 1, 2)


def depth_to_space(x: torch.Tensor, phases: int) -> torch.Tensor:
    """The inverse of `space_to_depth`: N x (r r C) x h x w -> N x C x r h x r w; NHWC out."""
    n, c, h, w = x.shape
    nhwc = x.permute(0, 2, 3, 1).reshape(n, h, w, phases, phases, c // (phases * phases))
    image = nhwc.permute(0, 1, 3, 2, 4, 5).reshape(n, h * phases, w * phases, c // (phases * phases))
    return image.permute(0, 3, 1, 2)


def phase_conv(padded: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, phases: int) -> torch.Tensor:
    """F.conv2d(padded, weight, bias) (stride 1, no padding) computed in r x r phases.

    padded: N x cin x (H + k - 1) x (W + k - 1) with H, W and k - 1 multiples of `phases`.
    Returns N x cout x H x W (NHWC storage)."""
    kernel = phase_kernel(weight, phases).contiguous(memory_format=torch.channels_last)
    phased_bias = bias.repeat(phases * phases) if bias is not None else None
    return depth_to_space(F.conv2d(space_to_depth(padded, phases), kernel, phased_bias), phases)


def phase_conv_fits(padded: torch.Tensor, kernel: int, phases: int) -> bool:
    """Whether `phase_conv` applies: the output size and k - 1 are multiples of the phase count."""
    out_h, out_w = padded.shape[-2] - kernel + 1, padded.shape[-1] - kernel + 1
    return (kernel - 1) % phases == 0 and out_h % phases == 0 and out_w % phases == 0
