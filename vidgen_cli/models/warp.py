"""Backward warping in torch, shared by the interpolation model and the stylization training loss."""

from __future__ import annotations

import torch
import torch.nn.functional as F


def grid_warp(image: torch.Tensor, flow: torch.Tensor) -> torch.Tensor:
    """image(x + flow(x)) for N x C x H x W images and N x 2 x H x W flows in pixels; bilinear,
    border replicated."""
    _, _, h, w = flow.shape
    ys, xs = torch.meshgrid(torch.arange(h, device=flow.device, dtype=flow.dtype),
                            torch.arange(w, device=flow.device, dtype=flow.dtype), indexing="ij")
    gx = (xs + flow[:, 0]) * (2.0 / max(w - 1, 1)) - 1.0
    gy = (ys + flow[:, 1]) * (2.0 / max(h - 1, 1)) - 1.0
    grid = torch.stack([gx, gy], -1)
    return F.grid_sample(image, grid.to(image.dtype), mode="bilinear", padding_mode="border", align_corners=True)
