"""Edge-aware post-processing of an optical flow field, guided by the frame it belongs to.

Sun, Roth & Black, "Secrets of Optical Flow Estimation and Their Principles" (CVPR 2010): median
filtering the flow, and better still a median weighted by how alike the pixels look, removes the
outliers of classical flow and sharpens its motion boundaries. OpenCV's contrib filters
(cv2.ximgproc) are not in the opencv-python-headless wheel vidgen depends on, so the filters are
written here with OpenCV core and numpy:

- `median`: the plain k x k median of each component (cv2.medianBlur, k = 3 or 5 on float32).
- `guided`: He, Sun & Tang's guided filter ("Guided Image Filtering", ECCV 2010), box filters only.
- `weighted_median`: the joint-bilateral-weighted median of a (2r+1)^2 window (Sun et al. 2010, eq. 8
  with weights from colour distance and position).

A spec string names one filter and its parameters (`parse`): "median5", "guided:R:EPS",
"wmedian:R:SIGMA_COLOUR"; `apply(flow, guide, spec)` runs it.
"""

from __future__ import annotations

import cv2
import numpy as np


def median(flow: np.ndarray, k: int = 5) -> np.ndarray:
    """k x k median of each flow component; flow H x W x 2 float32, k 3 or 5 (OpenCV's float limit)."""
    return np.dstack([cv2.medianBlur(np.ascontiguousarray(flow[..., c]), k) for c in range(2)])


def guided(flow: np.ndarray, guide: np.ndarray, radius: int = 4, eps: float = 1e-3) -> np.ndarray:
    """Grey-guided filter of each flow component (He et al. 2010): locally flow ~ a * guide + b.

    guide: H x W grey (uint8 or float, 0-255 or 0-1; scaled to 0-1 here); eps: regularisation in
    (0-1 intensity)^2 units: edges with a local variance well above eps are kept sharp."""
    size = (2 * radius + 1, 2 * radius + 1)
    g = guide.astype(np.float32)
    if g.max() > 1.5:
        g = g / 255.0

    def box(a: np.ndarray) -> np.ndarray:
        return cv2.boxFilter(a, -1, size, borderType=cv2.BORDER_REFLECT)

    mean_g = box(g)
    var_g = box(g * g) - mean_g * mean_g
    out = np.empty_like(flow, dtype=np.float32)
    for c in range(2):
        p = np.ascontiguousarray(flow[..., c], dtype=np.float32)
        mean_p = box(p)
        a = (box(g * p) - mean_g * mean_p) / (var_g + eps)
        b = mean_p - a * mean_g
        out[..., c] = box(a) * g + box(b)
    return out


def weighted_median(flow: np.ndarray, guide: np.ndarray, radius: int = 2, sigma_colour: float = 10.0,
                    sigma_space: float | None = None) -> np.ndarray:
    """Weighted median of each flow component over a (2r+1)^2 window, each neighbour weighted by
    exp(-|guide(y) - guide(x)|^2 / 2 sigma_colour^2 - |y - x|^2 / 2 sigma_space^2) (Sun et al. 2010).

    guide: H x W (grey) or H x W x C, 0-255 scale; sigma_colour in those units; sigma_space in
    pixels (None: the radius). Memory: (2r+1)^2 copies of the frame, so keep r small (<= 3)."""
    h, w = flow.shape[:2]
    sigma_space = sigma_space or float(max(radius, 1))
    g = guide.astype(np.float32).reshape(h, w, -1)
    pad = radius
    gp = cv2.copyMakeBorder(g, pad, pad, pad, pad, cv2.BORDER_REFLECT).reshape(h + 2 * pad, w + 2 * pad, -1)
    fp = cv2.copyMakeBorder(flow.astype(np.float32), pad, pad, pad, pad, cv2.BORDER_REFLECT)
    offsets = [(dy, dx) for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1)]
    weights = np.empty((len(offsets), h, w), np.float32)
    values = np.empty((2, len(offsets), h, w), np.float32)
    for i, (dy, dx) in enumerate(offsets):
        window = (slice(pad + dy, pad + dy + h), slice(pad + dx, pad + dx + w))
        d2 = ((gp[window] - g) ** 2).sum(-1)
        weights[i] = np.exp(-d2 / (2 * sigma_colour**2) - (dy * dy + dx * dx) / (2 * sigma_space**2))
        values[:, i] = np.moveaxis(fp[window], -1, 0)
    out = np.empty((h, w, 2), np.float32)
    half = weights.sum(0) / 2
    for c in range(2):
        order = np.argsort(values[c], axis=0)
        cumulative = np.cumsum(np.take_along_axis(weights, order, 0), axis=0)
        pick = np.argmax(cumulative >= half, axis=0)[None]
        out[..., c] = np.take_along_axis(np.take_along_axis(values[c], order, 0), pick, 0)[0]
    return out


def parse(spec: str) -> tuple[str, list[float]]:
    """'median5' -> ('median', [5]); 'guided:4:0.001' -> ('guided', [4, 0.001]); errors: ValueError."""
    if spec.startswith("median"):
        k = int(spec[6:] or 5)
        if k not in (3, 5):
            raise ValueError(f"median flow filter size must be 3 or 5, got {k}")
        return "median", [k]
    name, *params = spec.split(":")
    if name not in ("guided", "wmedian"):
        raise ValueError(f"unknown flow filter {spec!r} (median3, median5, guided:R:EPS, wmedian:R:SIGMA)")
    return name, [float(p) for p in params]


def apply(flow: np.ndarray, guide: np.ndarray, spec: str | None) -> np.ndarray:
    """`flow` (H x W x 2 float32) filtered as `spec` says (None or '': unchanged), guided by `guide`
    (the frame the flow starts from, same H x W)."""
    if not spec:
        return flow
    name, params = parse(spec)
    if name == "median":
        return median(flow, int(params[0]))
    if name == "guided":
        return guided(flow, guide, int(params[0]) if params else 4, params[1] if len(params) > 1 else 1e-3)
    return weighted_median(flow, guide, int(params[0]) if params else 2, params[1] if len(params) > 1 else 10.0)
