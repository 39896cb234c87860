"""Load training clips from folders of videos or frames into memory, at a reduced size.

Training reads random windows of frames many times, so decoding once up front is far cheaper
than seeking in compressed video every step. Clips are downscaled so the whole set fits in RAM.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from vidgen_cli.io.paths import is_image_file, is_video_file, natural_key
from vidgen_cli.vision.sizes import fit_image


@dataclass
class Clip:
    name: str
    frames: np.ndarray  # T x H x W x 3, uint8 RGB


def _read_video(path: Path, max_side: int, max_frames: int) -> np.ndarray:
    capture = cv2.VideoCapture(str(path))
    frames = []
    while len(frames) < max_frames:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(fit_image(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), max_side))
    capture.release()
    return np.stack(frames) if frames else np.zeros((0, 1, 1, 3), np.uint8)


def _read_folder(path: Path, max_side: int, max_frames: int) -> np.ndarray:
    files = sorted((p for p in path.iterdir() if is_image_file(p)), key=natural_key)
    frames = []
    for file in files[:max_frames]:
        bgr = cv2.imread(str(file), cv2.IMREAD_COLOR)
        if bgr is not None:
            frames.append(fit_image(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), max_side))
    shapes = {f.shape for f in frames}
    if len(shapes) != 1:
        return np.zeros((0, 1, 1, 3), np.uint8)
    return np.stack(frames)


def discover(paths: list[Path]) -> list[Path]:
    """Expand folders into the videos and frame folders they hold (a frames folder is one clip)."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_file() and is_video_file(path):
            found.append(path)
        elif path.is_dir():
            entries = sorted(path.iterdir(), key=natural_key)
            if any(is_image_file(p) for p in entries):
                found.append(path)
            else:
                found.extend(discover([p for p in entries if p.is_dir() or is_video_file(p)]))
    return found


def load_clips(paths: list[Path], max_side: int = 480, max_frames: int = 600, min_frames: int = 3,
               on_clip: Callable[[int, int], None] | None = None) -> list[Clip]:
    """Decode every clip under `paths` (videos, frame folders, or folders of those).
    `on_clip(done, total)` is called after each clip (for progress)."""
    clips = []
    sources = discover(paths)
    for done, source in enumerate(sources, 1):
        reader = _read_folder if source.is_dir() else _read_video
        frames = reader(source, max_side, max_frames)
        if len(frames) >= min_frames:
            clips.append(Clip(name=source.name, frames=frames))
        if on_clip is not None:
            on_clip(done, len(sources))
    return clips
