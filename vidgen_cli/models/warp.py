"""Backward warping in torch, shared by the interpolation model and the stylization training loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def grid_warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """image(x + flow(x)) for N x C x H x W images and N x 2 x H x W flows in pixels; bilinear,
    border replicated. Returns image's dtype.

    Sample coordinates are built and normalised in float32 whatever the inputs' dtype: in float16
    a coordinate near 1000 px is only resolved to 0.5 px (bfloat16: 4 px), which would shift the
    whole warp. grid_sample needs image and grid of one dtype, so a float16/bfloat16 image is
    sampled in float32 and cast back (autocast does the same for this op); float64 stays float64.
    """
    _, _, h, w = flow.shape
    ys, xs = torch.meshgrid(torch.arange(h, device=flow.device, dtype=torch.float32),
                            torch.arange(w, device=flow.device, dtype=torch.float32), indexing="ij")
    flow = flow.float()
    gx = (xs + flow[:, 0]) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (ys + flow[:, 1]) * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack([gx, gy], -1)
    if image.dtype == torch.float64:
        return F.grid_sample(image, grid.double(), mode="bilinear", padding_mode="border", align_corners=True)
    sampled = F.grid_sample(image.float(), grid, mode="bilinear", padding_mode="border", align_corners=True)
    return sampled.to(image.dtype)
