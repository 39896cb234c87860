"""Video stabilization: capture the camera path, smooth it, re-render each frame on the smooth path.

Method (the classic two-pass scheme of vid.stab and of Matsushita et al., "Full-frame video
stabilization", 2006, with a homography model): the camera path H (vision/homography.py) is turned
into the trajectories of the four frame corners; each trajectory is smoothed with a Gaussian of
`smoothing` seconds (sigma), which removes shake and keeps the intentional move; frame k is then
warped by C[k] = S[k] H[k]^-1, where S[k] is the homography to the smoothed corners. With
crop="auto", a zoom about the centre hides the borders the warp uncovers; it is the smallest zoom
that does so for every frame within +-3 sigma, smoothed with the same Gaussian (so it changes slowly
and never lets a border in), capped at `max_zoom`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from vidgen_cli.errors import UsageError
from vidgen_cli.vision.homography import apply, frame_corners, from_corners, gaussian_smooth


@dataclass
class StabilizePlan:
    """warps: N x 3 x 3 float64, input frame k pixel -> output pixel; zoom: N float64 (1 = none);
    uncovered: frames in which the capped zoom still leaves a border."""

    warps: np.ndarray
    zoom: np.ndarray
    uncovered: int


def _outline(width: int, height: int, steps: int = 4) -> np.ndarray:
    """Points around the frame's edge (corners and evenly spaced edge points)."""
    c = frame_corners(width, height)
    t = np.linspace(0, 1, steps, endpoint=False)[:, None]
    return np.concatenate([c[i] + (c[(i + 1) % 4] - c[i]) * t for i in range(4)])


def needed_zoom(compose: Callable[[float], np.ndarray], width: int, height: int, max_zoom: float) -> float:
    """Smallest zoom z in [1, max_zoom] for which the warp `compose(z)` (source -> output pixels)
    fills the whole width x height output window with source pixels (max_zoom if none does)."""
    outline = _outline(width, height)

    def covered(z: float) -> bool:
        source = apply(np.linalg.inv(compose(z)), outline)
        return bool(np.all((source >= -0.5) & (source <= np.array([width - 0.5, height - 0.5]))))

    if covered(1.0):
        return 1.0
    if not covered(max_zoom):
        return max_zoom
    low, high = 1.0, max_zoom
    for _ in range(30):
        mid = (low + high) / 2
        low, high = (low, mid) if covered(mid) else (mid, high)
    return high


def zoom_about(width: int, height: int, z: float) -> np.ndarray:
    """3 x 3: zoom by z about the centre of a width x height frame."""
    cx, cy = (width - 1) / 2, (height - 1) / 2
    return np.array([[z, 0, cx * (1 - z)], [0, z, cy * (1 - z)], [0, 0, 1]], np.float64)


def plan(path: np.ndarray, size: tuple[int, int], fps: Fraction | float, smoothing: float = 1.0,
         crop: str = "auto", max_zoom: float = 1.3) -> StabilizePlan:
    """path: N x 3 x 3 camera path (frame 0 -> k); size: (w, h); smoothing: Gaussian sigma, seconds."""
    if crop not in {"auto", "none"}:
        raise UsageError(f"--crop {crop}: use auto or none")
    width, height = size
    sigma = max(0.0, smoothing * float(fps))
    corners = apply(path, np.broadcast_to(frame_corners(width, height), (len(path), 4, 2)))
    smooth = gaussian_smooth(corners, sigma)
    reference = frame_corners(width, height)
    warps = np.stack([from_corners(reference, s) @ np.linalg.inv(H) for s, H in zip(smooth, path)])
    zoom = np.ones(len(path))
    uncovered = 0
    if crop == "auto":
        needed = np.array([needed_zoom(lambda z, w=w: zoom_about(width, height, z) @ w, width, height, max_zoom) for w in warps])
        radius = max(1, int(np.ceil(3 * sigma)))
        windowed = np.array([needed[max(0, k - radius):k + radius + 1].max() for k in range(len(needed))])
        offsets = np.arange(-radius, radius + 1)
        kernel = np.exp(-0.5 * (offsets / max(sigma, 1e-6)) ** 2)
        padded = np.pad(windowed, radius, mode="edge")
        zoom = np.convolve(padded, kernel / kernel.sum(), mode="valid")
        zoom = np.maximum(zoom, needed)  # a weighted mean of values >= needed[k] is >= needed[k]; rounding only
        uncovered = int(np.sum(needed >= max_zoom - 1e-9))
        warps = np.stack([zoom_about(width, height, z) @ w for z, w in zip(zoom, warps)])
    return StabilizePlan(warps, zoom, uncovered)
