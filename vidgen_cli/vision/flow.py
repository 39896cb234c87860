"""Optical flow and warping shared by interpolation, stylization and prediction.

Flows are float32 H x W x 2 arrays in pixels, (dx, dy): `flow[y, x]` points from a pixel of the
first image to where it lies in the second.
"""

from __future__ import annotations

from functools import lru_cache

import cv2
import numpy as np

from vidgen_cli.vision.planes import eight_bit, rgb8

_PRESETS = {
    "ultrafast": cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST,
    "fast": cv2.DISOPTICAL_FLOW_PRESET_FAST,
    "medium": cv2.DISOPTICAL_FLOW_PRESET_MEDIUM,
}


def to_gray(frame: np.ndarray) -> np.ndarray:
    """The 8-bit luma (H x W uint8) that OpenCV's flow and feature trackers take, of an H x W [x 3|4]
    uint8 or uint16 frame (alpha ignored, 16 bits rounded to 8)."""
    frame = eight_bit(frame) if frame.ndim == 2 else rgb8(frame)
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)


class DISFlow:
    """OpenCV's DIS optical flow; creating the object once per stream saves its set-up cost."""

    def __init__(self, preset: str = "medium", finest_scale: int | None = None, refine_iters: int | None = None) -> None:
        self._dis = cv2.DISOpticalFlow_create(_PRESETS[preset])
        if finest_scale is not None:  # 0: patches matched at full resolution (medium stops at 1/2)
            self._dis.setFinestScale(finest_scale)
        if refine_iters is not None:  # variational refinement iterations per level
            self._dis.setVariationalRefinementIterations(refine_iters)

    def __call__(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        return self._dis.calc(to_gray(first), to_gray(second), None)

    def refine(self, first: np.ndarray, second: np.ndarray, initial: np.ndarray) -> np.ndarray:
        """Flow first -> second starting from `initial` (H x W x 2 float32), e.g. chained steps:
        DIS takes a flow of the right size and type passed in as its initial estimate."""
        return self._dis.calc(to_gray(first), to_gray(second), np.array(initial, np.float32, order="C"))


def farneback(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """A second, independent flow estimator, used to grade methods built on DIS."""
    return cv2.calcOpticalFlowFarneback(to_gray(first), to_gray(second), None, 0.5, 4, 15, 3, 5, 1.2, 0)


@lru_cache(maxsize=4)
def pixel_grid(h: int, w: int) -> np.ndarray:
    """H x W x 2 float32 (x, y) pixel coordinates; cached (read-only) because every warp of a
    stream needs the same one."""
    grid = np.dstack(np.meshgrid(np.arange(w, dtype=np.float32), np.arange(h, dtype=np.float32)))
    grid.flags.writeable = False
    return grid


def backward_warp(image: np.ndarray, flow: np.ndarray, border: int = cv2.BORDER_REPLICATE,
                  interpolation: int = cv2.INTER_LINEAR) -> np.ndarray:
    """Sample `image` at x + flow(x): brings the second image onto the first when flow is first->second.

    interpolation: an OpenCV flag; bicubic keeps more texture than bilinear (each bilinear warp
    low-passes the image by up to half a pixel's blur)."""
    h, w = flow.shape[:2]
    return cv2.remap(image, pixel_grid(h, w) + flow, None, interpolation=interpolation, borderMode=border)


def forward_backward_mask(forward: np.ndarray, backward: np.ndarray, tolerance: float = 0.01, slack: float = 0.5) -> np.ndarray:
    """True where the forward flow is consistent with the backward one (not occluded).

    The usual check: |f + b(x + f)|^2 < tolerance * (|f|^2 + |b(x + f)|^2) + slack.
    """
    back_at_target = backward_warp(backward, forward)
    total = forward + back_at_target
    magnitude = _squared_norm(forward) + _squared_norm(back_at_target)
    return _squared_norm(total) < tolerance * magnitude + slack


def _squared_norm(vectors: np.ndarray) -> np.ndarray:
    """|v|^2 of an H x W x 2 field; einsum is ~2x faster than (v**2).sum(-1) on interleaved x, y."""
    return np.einsum("ijk,ijk->ij", vectors, vectors)
