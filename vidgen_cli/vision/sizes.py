"""Fit an image inside a longest side: the one rule every bounded-resolution step uses (motion for
interpolation and prediction, the stylization network, training clips)."""

from __future__ import annotations

import cv2
import numpy as np


def fit_scale(height: int, width: int, max_side: int | None) -> float:
    """The factor (at most 1: never enlarged) that brings the longer side down to `max_side`; 1 for None."""
    return 1.0 if not max_side else min(1.0, max_side / max(height, width))


def fit_size(height: int, width: int, max_side: int | None, minimum: int = 1) -> tuple[int, int]:
    """(height, width) scaled by `fit_scale` and rounded, each side at least `minimum` pixels."""
    scale = fit_scale(height, width, max_side)
    return max(minimum, round(height * scale)), max(minimum, round(width * scale))


def fit_image(image: np.ndarray, max_side: int | None, minimum: int = 1, interpolation: int = cv2.INTER_AREA) -> np.ndarray:
    """`image` (H x W or H x W x C) resized to `fit_size`, or returned as it is when it already fits."""
    height, width = image.shape[:2]
    size = fit_size(height, width, max_side, minimum)
    if size == (height, width):
        return image
    return cv2.resize(image, (size[1], size[0]), interpolation=interpolation)
