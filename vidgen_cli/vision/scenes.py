"""Shot-cut detection, one score for every command: split --scenes cuts clips with it,
interpolate never morphs across a cut, stylize resets its temporal state at one.

The score compares 64x36 grayscale thumbnails: the mean of the luma-histogram distance (barely
moves under motion, jumps at a cut) and the mean absolute difference / 100 (catches cuts between
shots of similar tone), clipped to 0..1. The difference is the smallest over shifts of up to
SEARCH_RADIUS thumbnail pixels (a coarse global motion compensation), so a fast pan at a low
frame rate is not taken for a cut; a cut's new content is explained by no shift.

Measured on the training clips (bench/cut_scores.py, bench/results/cut_scores.json; default
threshold 0.25): consecutive frames score p99 0.09, p99.9 0.20; frames 0.2 s apart (every clip
as if shot at 5 fps) p95 0.18, p99 0.32 (244 of 10871 pairs above 0.25, most of them a large
subject crossing a flat green screen or lightning flashes, against 320 without the shift search);
cuts (a frame of one clip against a frame of another) p5 0.30, median 0.59 (7513 of 7872 above,
the rest mostly pairs with a near-black frame, which the dark rule handles; 7516 without the
search). Cuts between two takes of one framing (the ASL signers, one studio) score 0.14-0.21:
jump cuts are not seen.

Not every big change is a cut (the PySceneDetect/ffmpeg sense of a shot boundary):
- Fades: when two thumbnails show one structure (normalized cross-correlation > 0.9) the score
  compares them after matching their mean brightness (a fade scales the picture towards black),
  and a near-black frame (mean luma < DARK_LUMA) is never half
  of a cut. A run of black frames between two shots is one transition: `SceneDetector` puts one
  cut in its middle when the pictures before and after differ, none when the same shot returns.
- Flashes: a change that reverts within FLASH_FRAMES frames (a photo flash, a white frame) is not
  a cut; `SceneDetector` waits that many frames before it confirms one.
"""

from __future__ import annotations

from collections.abc import Iterable

import cv2
import numpy as np

from vidgen_cli.vision.planes import rgb8

DEFAULT_THRESHOLD = 0.25
THUMB_SIZE = (64, 36)
DARK_LUMA = 20.0  # mean luma (0-255) below which a frame is black: the floor of a fade, no content to compare
FADE_CORRELATION = 0.9  # above this two frames are one picture at two brightnesses (a fade step)
SAME_SHOT_CORRELATION = 0.5  # either side of a fade through black: below this, the pictures are different shots
FLASH_FRAMES = 3  # a change that comes back within this many frames is a flash, not a cut
MIN_SCENE_LEN = 8  # frames: a cut closer than this to the previous one is dropped (PySceneDetect's min_scene_len)
SEARCH_RADIUS = 2  # thumbnail pixels the picture may move between two compared frames (3% of the width)


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """The small grayscale image that cut scores (and duplicate checks) compare."""
    frame = rgb8(frame)
    gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY)
    return cv2.resize(gray, THUMB_SIZE, interpolation=cv2.INTER_AREA)


def is_dark(thumb: np.ndarray) -> bool:
    return float(thumb.mean()) < DARK_LUMA


def thumb_score(thumb0: np.ndarray, thumb1: np.ndarray, search_radius: int | None = None) -> float:
    """Cut score (0 same shot .. 1) of two thumbnails; 0 when either is black. When the two show
    the same structure (correlation > FADE_CORRELATION: one is the other brightened or darkened, a
    fade step), they are compared after matching their mean brightness."""
    mean0, mean1 = float(thumb0.mean()), float(thumb1.mean())
    if min(mean0, mean1) < DARK_LUMA:
        return 0.0
    a, b = thumb0.astype(np.float32), thumb1.astype(np.float32)
    if abs(mean0 - mean1) > 2 and correlation(thumb0, thumb1) > FADE_CORRELATION:
        if mean0 > mean1:  # scale the brighter picture down to the darker one's mean
            a *= mean1 / mean0
        else:
            b *= mean0 / mean1
    a8, b8 = np.clip(a + 0.5, 0, 255).astype(np.uint8), np.clip(b + 0.5, 0, 255).astype(np.uint8)
    h0 = np.bincount(a8.ravel() >> 3, minlength=32) / a8.size
    h1 = np.bincount(b8.ravel() >> 3, minlength=32) / b8.size
    histogram_distance = 0.5 * float(np.abs(h0 - h1).sum())
    return min(1.0, 0.5 * histogram_distance + 0.5 * motion_compensated_difference(a, b, search_radius) / 100.0)


def motion_compensated_difference(a: np.ndarray, b: np.ndarray, radius: int | None = None) -> float:
    """Mean absolute difference (0-255 units) of two equal-sized float32 thumbnails, the smallest
    over every shift of `b` by up to `radius` pixels (default SEARCH_RADIUS) in x and y; beyond
    its edge `b` repeats its border. A camera move of up to `radius` thumbnail pixels between the
    two frames (2 of 64: 3% of the width, 40 pixels at 720p) scores as no move; a cut, whose new
    content no shift explains, keeps its difference. Exhaustive search over (2r+1)^2 shifts."""
    radius = SEARCH_RADIUS if radius is None else radius
    if radius == 0:
        return float(np.abs(a - b).mean())
    padded = cv2.copyMakeBorder(b, radius, radius, radius, radius, cv2.BORDER_REPLICATE)
    shifted = np.lib.stride_tricks.sliding_window_view(padded, a.shape)  # (2r+1, 2r+1, h, w), a view
    return float(np.abs(shifted - a).mean(axis=(2, 3)).min())


def correlation(thumb0: np.ndarray, thumb1: np.ndarray) -> float:
    """Normalized cross-correlation (-1..1) of two thumbnails: the picture's structure whatever its
    brightness and contrast, which is what is left to compare in the dim frames around a fade."""
    a = thumb0.astype(np.float32) - thumb0.mean()
    b = thumb1.astype(np.float32) - thumb1.mean()
    norm = float(np.sqrt((a * a).sum() * (b * b).sum()))
    if norm == 0:  # a flat picture shares structure only with another flat one
        return 1.0 if not a.any() and not b.any() else 0.0
    return float((a * b).sum()) / norm


def cut_score(previous: np.ndarray, current: np.ndarray) -> float:
    """Cut score (0 same shot .. 1) of two frames of any size."""
    return thumb_score(thumbnail(previous), thumbnail(current))


class SceneDetector:
    """Feed frames in order with `push(frame)`; it returns the indices of the frames that start a
    new shot, once it is sure (up to FLASH_FRAMES frames later); `flush()` returns the rest.
    Memory is a few thumbnails whatever the length.

    min_scene_len: a cut closer than this many frames to the previous one (or to the video's first
    frame, as PySceneDetect counts) is dropped. video_start: index of the video's first frame
    relative to the first frame pushed (<= 0; -N when the decode starts N frames into the video,
    --start): a range's first frame is not a cut, so a real cut just after it is kept."""

    def __init__(self, threshold: float = DEFAULT_THRESHOLD, min_scene_len: int = MIN_SCENE_LEN, flash_frames: int = FLASH_FRAMES,
                 video_start: int = 0) -> None:
        self.threshold, self.min_scene_len, self.flash_frames = threshold, min_scene_len, flash_frames
        self.index = -1
        self._previous: np.ndarray | None = None  # the last frame that was not black
        self._dark_since: int | None = None  # first frame of the current run of black frames
        self._pending: tuple[int, np.ndarray] | None = None  # candidate cut: (index, last frame before it)
        self._last_cut = min(0, video_start)

    def push(self, frame: np.ndarray) -> list[int]:
        self.index += 1
        thumb = thumbnail(frame)
        cuts: list[int] = []
        if is_dark(thumb):
            if self._dark_since is None:
                self._dark_since = self.index
            return cuts
        if self._dark_since is not None:  # a fade (or a cut) through black ends here
            start, self._dark_since = self._dark_since, None
            cuts += self._confirm_pending()
            if self._previous is not None and (thumb_score(self._previous, thumb) > self.threshold
                                               or correlation(self._previous, thumb) < SAME_SHOT_CORRELATION):
                cuts += self._cut((start + self.index) // 2)
            self._previous = thumb
            return cuts
        if self._pending is not None:
            index, before = self._pending
            # the picture came back, in place: a flash (compared without the motion search, so the
            # frames after a cut between two alike low-detail pictures do not pass for the first one moved)
            if thumb_score(before, thumb, search_radius=0) <= self.threshold:
                self._pending, self._previous = None, thumb
                return cuts
            if self.index - index >= self.flash_frames:
                cuts += self._confirm_pending()
        if self._pending is None and self._previous is not None and thumb_score(self._previous, thumb) > self.threshold:
            self._pending = (self.index, self._previous)
        self._previous = thumb
        return cuts

    def flush(self) -> list[int]:
        return self._confirm_pending()

    def _confirm_pending(self) -> list[int]:
        pending, self._pending = self._pending, None
        return self._cut(pending[0]) if pending is not None else []

    def _cut(self, index: int) -> list[int]:
        if index - self._last_cut < self.min_scene_len:
            return []
        self._last_cut = index
        return [index]


def find_cuts(frames: Iterable[np.ndarray], threshold: float = DEFAULT_THRESHOLD, min_scene_len: int = 8) -> list[int]:
    """Indices of the frames that start a new shot (never 0)."""
    detector = SceneDetector(threshold, min_scene_len)
    cuts = [index for frame in frames for index in detector.push(frame)]
    return cuts + detector.flush()
