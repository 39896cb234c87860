"""A Moving-MNIST-like set made on the fly: two digits drawn with OpenCV fonts bouncing in 64x64.

No data is downloaded: each digit is rendered from one of OpenCV's Hershey fonts with a random
size, stroke, slant and rotation, so the set has MNIST's shape (28x28 glyphs, 64x64 frames, values
in 0-1, overlapping digits combined with max) without its files. The test split is fixed by its seed.
"""

from __future__ import annotations

import cv2
import numpy as np

SIZE = 64
GLYPH = 28
FRAMES_IN = 10
FRAMES_OUT = 10
TEST_SEED = 20261121
TEST_COUNT = 1000
_FONTS = (
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
    cv2.FONT_HERSHEY_PLAIN,
)


def render_digit(rng: np.random.Generator, digit: int | None = None) -> np.ndarray:
    """One 28x28 float32 glyph in 0-1, centred like MNIST (about 20 pixels tall)."""
    digit = int(rng.integers(10)) if digit is None else digit
    font = _FONTS[int(rng.integers(len(_FONTS)))]
    thickness = int(rng.integers(2, 4))
    canvas = np.zeros((56, 56), np.uint8)
    (tw, th), _ = cv2.getTextSize(str(digit), font, 1.0, thickness)
    scale = 36.0 / max(th, 1)
    (tw, th), _ = cv2.getTextSize(str(digit), font, scale, thickness)
    cv2.putText(canvas, str(digit), ((56 - tw) // 2, (56 + th) // 2), font, scale, 255, thickness, cv2.LINE_AA)
    angle = float(rng.uniform(-15, 15))
    shear = float(rng.uniform(-0.25, 0.25))
    affine = cv2.getRotationMatrix2D((28, 28), angle, 1.0)
    affine[0, 1] += shear
    affine[0, 2] -= shear * 28
    canvas = cv2.warpAffine(canvas, affine, (56, 56), flags=cv2.INTER_LINEAR)
    ys, xs = np.nonzero(canvas > 20)
    if len(ys):  # fit the ink into 20x20 and centre it in 28x28, as MNIST does
        crop = canvas[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]
        s = 20.0 / max(crop.shape)
        crop = cv2.resize(crop, (max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s))), interpolation=cv2.INTER_AREA)
        out = np.zeros((GLYPH, GLYPH), np.uint8)
        y0, x0 = (GLYPH - crop.shape[0]) // 2, (GLYPH - crop.shape[1]) // 2
        out[y0 : y0 + crop.shape[0], x0 : x0 + crop.shape[1]] = crop
        canvas = out
    return canvas.astype(np.float32) / 255.0


def _trajectory(rng: np.random.Generator, length: int) -> np.ndarray:
    """Top-left corners (length x 2, ints) of a glyph bouncing off the walls, as in Moving MNIST."""
    limit = SIZE - GLYPH
    pos = rng.uniform(0, 1, 2)
    theta = rng.uniform(0, 2 * np.pi)
    vel = np.array([np.sin(theta), np.cos(theta)])
    step = 0.1  # fraction of the free range per frame: about 3.6 pixels, Srivastava et al.'s setting
    out = np.zeros((length, 2), np.int64)
    for t in range(length):
        out[t] = np.round(pos * limit).astype(np.int64)
        pos = pos + vel * step
        for axis in range(2):
            if pos[axis] < 0:
                pos[axis], vel[axis] = -pos[axis], -vel[axis]
            elif pos[axis] > 1:
                pos[axis], vel[axis] = 2 - pos[axis], -vel[axis]
    return out


def sequences(rng: np.random.Generator, count: int, length: int = FRAMES_IN + FRAMES_OUT, digits: int = 2) -> np.ndarray:
    """`count` sequences, count x length x 64 x 64 float32 in 0-1."""
    out = np.zeros((count, length, SIZE, SIZE), np.float32)
    for i in range(count):
        for _ in range(digits):
            glyph = render_digit(rng)
            for t, (y, x) in enumerate(_trajectory(rng, length)):
                region = out[i, t, y : y + GLYPH, x : x + GLYPH]
                np.maximum(region, glyph, out=region)
    return out


def test_split(count: int = TEST_COUNT) -> tuple[np.ndarray, np.ndarray]:
    """The fixed test split: (inputs N x 10 x 64 x 64, targets N x 10 x 64 x 64)."""
    data = sequences(np.random.default_rng(TEST_SEED), count)
    return data[:, :FRAMES_IN], data[:, FRAMES_IN:]
