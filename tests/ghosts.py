"""The passing-object clip of issue 13, and its ghost residue (shared by the test and bench/stylize_ghosts.py).

A static textured background; an object (a textured crop about a quarter of the frame high) is
absent from frame 0, slides across and leaves; the reference clip is the same background without
it. Ghost residue: over the last `tail` frames, inside the region the object swept, the mean absolute
difference between the stylizations of the two clips (grey levels, 0-255); also the worst
object-sized window of that difference.
"""

from __future__ import annotations

import cv2
import numpy as np


def textured(h: int, w: int, seed: int, smooth: float = 2.0) -> np.ndarray:
    """A photo-like colour texture: blurred noise at several scales, contrast-stretched."""
    rng = np.random.default_rng(seed)
    image = np.zeros((h, w, 3), np.float32)
    for scale, weight in ((32, 1.0), (8, 0.6), (2, 0.3)):
        small = rng.uniform(0, 1, (max(2, h // scale), max(2, w // scale), 3)).astype(np.float32)
        image += weight * cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    image = cv2.GaussianBlur(image, (0, 0), smooth)
    return cv2.normalize(image, None, 20, 235, cv2.NORM_MINMAX).astype(np.uint8)


def passing_object(h: int = 180, w: int = 320, frames: int = 36, tail: int = 10, seed: int = 0,
                   background: np.ndarray | None = None, thing: np.ndarray | None = None):
    """(with_object, without_object, swept mask H x W bool, object size (oh, ow)).

    The object enters after frame 0 at the left edge and has left at the right edge `tail` + 2
    frames before the end; no sensor noise.
    """
    bg = textured(h, w, seed) if background is None else cv2.resize(background, (w, h), interpolation=cv2.INTER_AREA)
    oh = h // 4
    ow = oh * 3 // 2
    obj = textured(oh, ow, seed + 1, smooth=1.0) if thing is None else cv2.resize(thing, (ow, oh), interpolation=cv2.INTER_AREA)
    obj = (255 - obj).astype(np.uint8)  # unlike the background
    moving = frames - tail - 3  # frames 1 .. moving carry the object
    speed = (w + ow) / moving
    y = h // 2 - oh // 2
    with_obj, swept = [], np.zeros((h, w), bool)
    for t in range(frames):
        frame = bg.copy()
        if 1 <= t <= moving:
            x = round(-ow + speed * t)
            x0, x1 = max(0, x), min(w, x + ow)
            if x1 > x0:
                frame[y : y + oh, x0:x1] = obj[:, x0 - x : x1 - x]
                swept[y : y + oh, x0:x1] = True
        with_obj.append(frame)
    return with_obj, [bg.copy() for _ in range(frames)], swept, (oh, ow)


def ghost_residue(out_with: list[np.ndarray], out_without: list[np.ndarray], swept: np.ndarray,
                  size: tuple[int, int], tail: int = 10) -> tuple[float, float]:
    """(mean residue in the swept region, worst object-sized window), grey levels over the last `tail` frames."""
    diff = np.mean([np.abs(a.astype(np.float32) - b.astype(np.float32)).mean(-1)
                    for a, b in zip(out_with[-tail:], out_without[-tail:])], axis=0)
    mean = float(diff[swept].mean())
    window = cv2.boxFilter(diff, -1, (size[1], size[0]), borderType=cv2.BORDER_CONSTANT)  # mean over a window
    oh, ow = size
    h, w = diff.shape
    inner = window[oh // 2 : h - oh // 2, ow // 2 : w - ow // 2]  # windows fully inside the frame
    return mean, float(inner.max())


def painting() -> np.ndarray:
    """A swirly, high-contrast style image (brush-stroke-like), synthesized (the ghost test's style)."""
    y, x = np.mgrid[0:256, 0:256].astype(np.float32)
    swirl = np.sin(x / 7 + 3 * np.sin(y / 23)) * np.cos(y / 9 + 2 * np.sin(x / 31))
    base = textured(256, 256, seed=11, smooth=1.0).astype(np.float32)
    blue = np.array([40, 70, 160], np.float32)
    yellow = np.array([230, 200, 60], np.float32)
    colour = np.where(swirl[..., None] > 0, yellow, blue)
    return np.clip(0.6 * colour + 0.4 * base, 0, 255).astype(np.uint8)
