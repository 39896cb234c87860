"""Image operations of the flow canvas (vidgen_cli.stylize.canvas): masks, boxes, resampling, detail.

All take and return numpy arrays (uint8 or float32, H x W or H x W x C, pixel units) and use OpenCV.
"""

from __future__ import annotations

import cv2
import numpy as np


def matched_detail(blend: np.ndarray, reference: np.ndarray, sigma: float, most: float = 2.0) -> np.ndarray:
    """`blend` (H x W x 3 float32) with its detail (above a Gaussian of `sigma` pixels) scaled up to
    the local detail energy of `reference`, by at most `most` times: a temporal average of two stroke patterns
    keeps the contrast of one (cf. Heitz & Neyret 2018, histogram-preserving blending)."""
    low = cv2.GaussianBlur(blend, (0, 0), sigma)
    detail = blend - low
    ref_detail = reference - cv2.GaussianBlur(reference, (0, 0), sigma)
    energy = cv2.GaussianBlur(np.einsum("ijk,ijk->ij", detail, detail), (0, 0), 4 * sigma)
    ref_energy = cv2.GaussianBlur(np.einsum("ijk,ijk->ij", ref_detail, ref_detail), (0, 0), 4 * sigma)
    gain = np.clip(np.sqrt(ref_energy / (energy + 1e-3)), 1.0, most)
    return low + detail * gain[..., None]


def near(mask: np.ndarray, radius: int) -> np.ndarray:
    """uint8 0-255 H x W: how near each pixel is to `mask` (bool-like uint8), 255 within about `radius`
    pixels, soft beyond; isolated specks (under ~4x4 pixels) ignored. Computed at quarter size."""
    h, w = mask.shape
    small = cv2.resize(mask.astype(np.float32), (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    r = max(1, radius // 4)
    small = cv2.dilate((small > 0.25).astype(np.float32), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    small = cv2.GaussianBlur(small, (0, 0), max(0.5, r / 2))
    return cv2.resize(np.clip(small * 255 + 0.5, 0, 255).astype(np.uint8), (w, h), interpolation=cv2.INTER_LINEAR)


def cells(w: int, h: int, cell: int) -> tuple[int, int]:
    """(width, height) of the grid of `cell`-pixel cells over a w x h frame."""
    return max(1, round(w / cell)), max(1, round(h / cell))


def coarse(image: np.ndarray, cell: int) -> np.ndarray:
    """`image` low-passed at `cell` pixels: cell means, upsampled smoothly (same size, float32)."""
    h, w = image.shape[:2]
    small = cv2.resize(image, cells(w, h, cell), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def pull(image: np.ndarray, maps: tuple, interp: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Sample `image` through fixed-point remap maps (mirrored borders: an interpolation kernel
    reaching past the edge sees the image continue, not a replicated row or column)."""
    return cv2.remap(image, maps[0], maps[1], interpolation=interp, borderMode=cv2.BORDER_REFLECT_101)


def box(mask: np.ndarray) -> tuple[slice, slice] | None:
    """The bounding rows and columns of a bool H x W mask (None when empty)."""
    rows, cols = np.flatnonzero(mask.any(1)), np.flatnonzero(mask.any(0))
    if rows.size == 0:
        return None
    return slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1)


def within(x: np.ndarray, y: np.ndarray, w: int, h: int) -> np.ndarray:
    """Bool mask: (x, y) lies on the w x h frame, counting each border pixel's half-pixel footprint."""
    return (x >= -0.5) & (x <= w - 0.5) & (y >= -0.5) & (y <= h - 0.5)
