"""Replay a captured camera motion onto a still image or a steady video.

Output frame k is the target (frame k of a video, or the same still every frame) warped by the
motion's H[k], re-expressed for the target's size (vision/homography.scale_path). A still is first
cropped about its centre to the motion's aspect and resized to the motion's frame size. With
crop="auto" the target is zoomed about its centre *before* the move (warp = H[k] Z), by the
smallest constant zoom that keeps every frame free of borders; the camera move between output
frames is then exactly the captured one. With crop="none" uncovered areas are black.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np

from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.io.media import VideoInfo
from vidgen_cli.motion.path import MotionPath
from vidgen_cli.motion.stabilize import needed_zoom, zoom_about
from vidgen_cli.vision.homography import scale_path

MAX_ZOOM = 2.0


def fit_still(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Crop an RGB image about its centre to the aspect of `size` (w, h), then resize to it."""
    h, w = image.shape[:2]
    target = size[0] / size[1]
    if w / h > target:
        keep = round(h * target)
        image = image[:, (w - keep) // 2:(w - keep) // 2 + keep]
    else:
        keep = round(w / target)
        image = image[(h - keep) // 2:(h - keep) // 2 + keep]
    interpolation = cv2.INTER_AREA if image.shape[1] > size[0] else cv2.INTER_CUBIC
    return cv2.resize(image, size, interpolation=interpolation)


def target_size(motion: MotionPath, info: VideoInfo) -> tuple[int, int]:
    """The output size: the motion's for a still, the video's own for a video (same aspect required)."""
    if info.kind == "image":
        return motion.size
    mw, mh = motion.size
    if abs((info.width / info.height) / (mw / mh) - 1) > 0.01:
        raise InputError(f"the motion was captured on {mw}x{mh} frames but the target video is {info.width}x{info.height}, "
                         f"another shape; crop or scale the target to {mw}:{mh} first")
    if info.frame_count and info.frame_count < len(motion):
        raise InputError(f"the target video has {info.frame_count} frames but the motion has {len(motion)}; "
                         f"use a target at least as long, or capture a shorter motion")
    return info.width, info.height


def held_frames(motion: MotionPath, info: VideoInfo) -> int:
    """How many frames of a target video play past the motion's end (0 for a still or a target no
    longer than the motion): the output keeps them, held at the motion's last position."""
    if info.kind == "image" or not info.frame_count:
        return 0
    return max(0, info.frame_count - len(motion))


def plan_warps(motion: MotionPath, size: tuple[int, int], crop: str = "auto") -> tuple[np.ndarray, float]:
    """(N x 3 x 3 warps, target pixel -> output pixel, and the zoom used)."""
    if crop not in {"auto", "none"}:
        raise UsageError(f"--crop {crop}: use auto or none")
    path = scale_path(motion.H, motion.size, size) if tuple(size) != tuple(motion.size) else motion.H
    zoom = 1.0
    if crop == "auto":
        w, h = size
        zoom = max(needed_zoom(lambda z, H=H: H @ zoom_about(w, h, z), w, h, MAX_ZOOM) for H in path)
        path = path @ zoom_about(w, h, zoom)
    return path, zoom


def repeat_still(image: np.ndarray, count: int, start: int = 0) -> Iterator[np.ndarray]:
    """The still as a stream of `count` frames (from frame `start`, for a resume)."""
    for _ in range(start, count):
        yield image
