"""CPU inference kernels for the style transformer: the same arithmetic, laid out so oneDNN runs it fast.

All functions take and return N x C x H x W float tensors stored channels-last (NHWC in memory),
the layout the stylize pipeline feeds the network, and give the plain layers' results up to float
rounding (summation order only; tests/test_phase_conv.py). Measured on the 2-core CPU at 720p, one
thread, CPU time (bench/stylize_layers.py for the whole network):

- `phase_conv`: a stride-1 convolution with few output channels (the transformer's last 9x9, 8 -> 3
  channels) is badly vectorised by oneDNN (about 20 GFLOP/s). Split into r x r phases
  (space-to-depth, as in sub-pixel convolution, Shi et al. 2016, read backwards) it becomes a
  smaller kernel over r*r times the channels: with r = 2, 9x9 8 -> 3 turns into 5x5 32 -> 12 at half
  the size, 1.23x the multiply-adds but 165 -> 54 ms (r = 4: 3x3 128 -> 48, 58 ms).
- the first 9x9 conv (3 -> 8 channels) also runs in 2 x 2 phases (63 -> 40 ms), and its output
  stays split for the stride-2 conv after it (`stride2_conv_on_phases`: a 2x2 kernel over the
  phases), which skips the full-size tensor between them, its reflect padding and one shuffle.
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


def phase_conv(padded: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None, phases: int,
               split: bool = False) -> torch.Tensor:
    """F.conv2d(padded, weight, bias) (stride 1, no padding) computed in r x r phases.

    padded: N x cin x (H + k - 1) x (W + k - 1) with H, W and k - 1 multiples of `phases`.
    Returns N x cout x H x W (NHWC storage), or with split=True its `space_to_depth` form
    N x (r r cout) x H/r x W/r (what the next layer may take as it is)."""
    kernel = phase_kernel(weight, phases).contiguous(memory_format=torch.channels_last)
    phased_bias = bias.repeat(phases * phases) if bias is not None else None
    out = F.conv2d(space_to_depth(padded, phases), kernel, phased_bias)
    return out if split else depth_to_space(out, phases)


def phase_conv_fits(padded: torch.Tensor, kernel: int, phases: int) -> bool:
    """Whether `phase_conv` applies: the output size and k - 1 are multiples of the phase count."""
    out_h, out_w = padded.shape[-2] - kernel + 1, padded.shape[-1] - kernel + 1
    return (kernel - 1) % phases == 0 and out_h % phases == 0 and out_w % phases == 0


# 1-based rows of the reflect-padded (by 1) input that a 3-tap, stride-2 kernel reads, as (phase, offset)
# into the phases of the unpadded input replicate-padded by one row on top: tap 0 reads row 2i - 1,
# phase 1 at offset 0; tap 1 row 2i, phase 0 at offset 1; tap 2 row 2i + 1, phase 1 at offset 1.
_STRIDE2_TAPS = ((1, 0), (0, 1), (1, 1))


def stride2_kernel(weight: torch.Tensor) -> torch.Tensor:
    """cout x cin x 3 x 3 kernel (stride 2 on a reflect-padded input) -> cout x (2 2 cin) x 2 x 2
    kernel of the same convolution on the input's 2 x 2 phases (see `stride2_conv_on_phases`)."""
    taps = torch.zeros(2, 3, 2)
    for tap, (phase, offset) in enumerate(_STRIDE2_TAPS):
        taps[phase, tap, offset] = 1.0
    taps = taps.to(weight)
    phased = torch.einsum("pus,oiuv,qvt->opqist", taps, weight, taps)
    return phased.reshape(weight.shape[0], 4 * weight.shape[1], 2, 2)


def stride2_conv_on_phases(split: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """F.conv2d(F.pad(x, [1] * 4, mode="reflect"), weight, bias, stride=2) for a 3x3 `weight`, given
    split = space_to_depth(x, 2) (x: N x cin x H x W, H and W even, at least 4): the reflected row
    above the top is row 1 (phase 1 of the first phase row), the one below the bottom is row H - 2
    (phase 0 of the last), so the padded phases are the phases shifted, replicate-padded by one on top
    and left. Returns N x cout x H/2 x W/2 (NHWC storage)."""
    padded = F.pad(split, [1, 0, 1, 0], mode="replicate")
    kernel = stride2_kernel(weight).contiguous(memory_format=torch.channels_last)
    return F.conv2d(padded, kernel, bias)
