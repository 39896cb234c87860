"""Shot-cut detection on a stream of frames, in the manner of PySceneDetect's content detector:
the mean change of hue, saturation and value between downscaled consecutive frames, with a
threshold on a 0-255 scale (27 by default, as PySceneDetect) and a minimum shot length."""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

DEFAULT_THRESHOLD = 27.0
_ANALYSIS_WIDTH = 160


def _signature(frame: np.ndarray) -> np.ndarray:
    height, width = frame.shape[:2]
    if width > _ANALYSIS_WIDTH:
        size = (_ANALYSIS_WIDTH, max(1, round(height * _ANALYSIS_WIDTH / width)))
        frame = cv2.resize(frame, size, interpolation=cv2.INTER_AREA)
    return cv2.cvtColor(frame, cv2.COLOR_RGB2HSV).astype(np.int16)


def cut_score(previous: np.ndarray, current: np.ndarray) -> float:
    """Mean absolute HSV difference between two frames (0-255 scale); high means a cut."""
    a, b = _signature(previous), _signature(current)
    if a.shape != b.shape:
        return 255.0
    return float(np.abs(a - b).mean())


class SceneDetector:
    """Feed frames in order; `is_cut(frame)` says whether a new shot starts at this frame."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, min_scene_len: int = 8) -> None:
        self.threshold = threshold
        self.min_scene_len = min_scene_len
        self._previous: np.ndarray | None = None
        self._since_cut = 0

    def is_cut(self, frame: np.ndarray) -> bool:
        signature = _signature(frame)
        previous, self._previous = self._previous, signature
        self._since_cut += 1
        if previous is None or previous.shape != signature.shape:
            return previous is not None
        score = float(np.abs(signature - previous).mean())
        if score >= self.threshold and self._since_cut >= self.min_scene_len:
            self._since_cut = 0
            return True
        return False


def find_cuts(frames: Iterable[np.ndarray], threshold: float = DEFAULT_THRESHOLD, min_scene_len: int = 8) -> list[int]:
    """Indices of the frames that start a new shot (never 0)."""
    detector = SceneDetector(threshold, min_scene_len)
    return [index for index, frame in enumerate(frames) if detector.is_cut(frame)]
