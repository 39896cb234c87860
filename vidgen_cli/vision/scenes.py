"""Shot-cut detection, one score for every command: split --scenes cuts clips with it,
interpolate never morphs across a cut, stylize resets its temporal state at one.

The score compares 64x36 grayscale thumbnails: the mean of the luma-histogram distance (barely
moves under motion, jumps at a cut) and the mean absolute difference / 100 (catches cuts between
shots of similar tone), clipped to 0..1. On the project's real clips with cuts, cuts scored
>= 0.40 and motion <= 0.15, so the default threshold is 0.25.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from vidgen_cli.vision.planes import rgb8

DEFAULT_THRESHOLD = 0.25
THUMB_SIZE = (64, 36)


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """The small grayscale image that cut scores (and duplicate checks) compare."""
    frame = rgb8(frame)
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray, THUMB_SIZE, interpolation=cv2.INTER_AREA)


def thumb_score(thumb0: np.ndarray, thumb1: np.ndarray) -> float:
    """Cut score (0 same shot .. 1) of two thumbnails."""
    h0 = np.bincount(thumb0.ravel() >> 3, minlength=32) / thumb0.size
    h1 = np.bincount(thumb1.ravel() >> 3, minlength=32) / thumb1.size
    histogram_distance = 0.5 * float(np.abs(h0 - h1).sum())
    mean_difference = float(np.abs(thumb0.astype(np.int16) - thumb1).mean())
    return min(1.0, 0.5 * histogram_distance + 0.5 * mean_difference / 100.0)


def cut_score(previous: np.ndarray, current: np.ndarray) -> float:
    """Cut score (0 same shot .. 1) of two frames of any size."""
    return thumb_score(thumbnail(previous), thumbnail(current))


class SceneDetector:
    """Feed frames in order; `is_cut(frame)` says whether a new shot starts at this frame."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, min_scene_len: int = 8) -> None:
        self.threshold = threshold
        self.min_scene_len = min_scene_len
        self._previous: np.ndarray | None = None
        self._since_cut = 0

    def is_cut(self, frame: np.ndarray) -> bool:
        thumb = thumbnail(frame)
        previous, self._previous = self._previous, thumb
        self._since_cut += 1
        if previous is None:
            return False
        if thumb_score(previous, thumb) > self.threshold and self._since_cut >= self.min_scene_len:
            self._since_cut = 0
            return True
        return False


def find_cuts(frames: Iterable[np.ndarray], threshold: float = DEFAULT_THRESHOLD, min_scene_len: int = 8) -> list[int]:
    """Indices of the frames that start a new shot (never 0)."""
    detector = SceneDetector(threshold, min_scene_len)
    return [index for index, frame in enumerate(frames) if detector.is_cut(frame)]
