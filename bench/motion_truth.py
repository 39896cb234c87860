"""Ground truth for bench/motion.py: a real photo seen by a virtual camera on a known path.

Frame k shows the photo through the homography path H (N x 3 x 3, frame-0 pixels -> frame-k pixels),
so every pixel's true motion is known: what a tracker should capture, what a stabilizer should remove
(the jitter) and keep (the smooth move), and where a painted edit on frame 0 must land in frame k.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np

SIZE = (640, 360)
FPS = Fraction(25)
FRAMES = 75  # 3 s


def similarity(dx: float, dy: float, scale: float, degrees: float, centre: tuple[float, float]) -> np.ndarray:
    """Zoom and turn about `centre`, then shift: a 3 x 3 float64 homography."""
    cx, cy = centre
    a = np.radians(degrees)
    c, s = scale * np.cos(a), scale * np.sin(a)
    return np.array([[c, -s, cx - c * cx + s * cy + dx], [s, c, cy - s * cx - c * cy + dy], [0, 0, 1]], np.float64)


def smooth_path(frames: int = FRAMES, size: tuple[int, int] = SIZE) -> np.ndarray:
    """The intentional move: a pan (-90, -24 px), a slow zoom (x1.08) and a 2 degree turn, eased."""
    centre = ((size[0] - 1) / 2, (size[1] - 1) / 2)
    t = np.linspace(0, 1, frames)
    ease = 0.5 - 0.5 * np.cos(np.pi * t) * 0.3 - 0.35 + 0.35 * t  # mostly linear, a little eased
    ease = (ease - ease[0]) / (ease[-1] - ease[0])
    return np.stack([similarity(-90 * e, -24 * e, 1 + 0.08 * e, 2.0 * e, centre) for e in ease])


def shaky_path(frames: int = FRAMES, size: tuple[int, int] = SIZE, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """(shaky, intentional): the smooth move plus handheld jitter of a few pixels and about half a
    degree (independent per frame, lightly correlated like a hand)."""
    rng = np.random.default_rng(seed)
    intentional = smooth_path(frames, size)
    centre = ((size[0] - 1) / 2, (size[1] - 1) / 2)
    noise = rng.normal(size=(frames, 3))
    noise[1:] = 0.7 * noise[1:] + 0.3 * noise[:-1]
    noise[0] = 0
    shake = [similarity(3.0 * n[0], 3.0 * n[1], 1.0, 0.5 * n[2], centre) for n in noise]
    return np.stack([s @ h for s, h in zip(shake, intentional)]), intentional


def photo_base(photo: np.ndarray, size: tuple[int, int] = SIZE, margin: float = 1.35) -> tuple[np.ndarray, np.ndarray]:
    """(photo resized so the frame covers its middle with room to move, B: frame-0 pixel -> photo pixel)."""
    w, h = size
    scale = max(w * margin / photo.shape[1], h * margin / photo.shape[0])
    resized = cv2.resize(photo, (round(photo.shape[1] * scale), round(photo.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    ox, oy = (resized.shape[1] - w) / 2, (resized.shape[0] - h) / 2
    return resized, np.array([[1, 0, ox], [0, 1, oy], [0, 0, 1]], np.float64)


def render(photo: np.ndarray, path: np.ndarray, size: tuple[int, int] = SIZE) -> list[np.ndarray]:
    """Frames of the virtual camera: frame k pixel p shows photo point B H[k]^-1 p."""
    resized, base = photo_base(photo, size)
    return [cv2.warpPerspective(resized, H @ np.linalg.inv(base), size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
            for H in path]


def read_rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path), cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def write_video(frames: list[np.ndarray], path: Path, fps: Fraction = FPS, crf: int = 14) -> Path:
    """Encode with vidgen's own writer (x264, yuv420p)."""
    from vidgen_cli.io.encode import EncodeOptions, VideoWriter

    writer = VideoWriter(path, fps, EncodeOptions(crf=crf, preset="medium"))
    for frame in frames:
        writer.write(frame)
    writer.close()
    return path


def textured_edit(shape: tuple[int, int], texture: np.ndarray, area: float = 0.15, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """An opaque painted edit over about `area` of a frame: (RGB image, float32 0/1 mask), H x W.
    An ellipse and a stroke filled with a painting's texture, placed left of centre."""
    h, w = shape
    paint = cv2.resize(texture, (w, h), interpolation=cv2.INTER_AREA)
    mask = np.zeros((h, w), np.uint8)
    cv2.ellipse(mask, (int(w * 0.36), int(h * 0.48)), (int(w * 0.16), int(h * 0.2)), 20, 0, 360, 255, -1)
    cv2.line(mask, (int(w * 0.55), int(h * 0.3)), (int(w * 0.75), int(h * 0.62)), 255, max(4, h // 22))
    rng = np.random.default_rng(seed)
    jitter = rng.integers(0, 40, size=(h, w, 1), dtype=np.int16)  # brush texture on top of the painting
    paint = np.clip(paint.astype(np.int16) + jitter - 20, 0, 255).astype(np.uint8)
    scale = np.sqrt(area / (mask.mean() / 255))
    if abs(scale - 1) > 0.05:  # resize the shapes about their centre to the requested area
        M = cv2.getRotationMatrix2D((w * 0.46, h * 0.48), 0, scale)
        mask = cv2.warpAffine(mask, M, (w, h), flags=cv2.INTER_NEAREST)
    return paint, (mask > 127).astype(np.float32)


def carry_edit(frame: np.ndarray, paint: np.ndarray, mask: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Frame k with the frame-0 edit carried there by the true motion H (frame 0 -> k)."""
    size = (frame.shape[1], frame.shape[0])
    moved = cv2.warpPerspective(paint, H, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
    alpha = cv2.warpPerspective(mask, H, size, flags=cv2.INTER_LINEAR)[..., None]
    return np.clip(alpha * moved + (1 - alpha) * frame + 0.5, 0, 255).astype(np.uint8)


def always_visible(path: np.ndarray, size: tuple[int, int] = SIZE, erode: int = 3) -> np.ndarray:
    """Frame-0 mask (float32 0/1) of the scene points inside every frame of the path."""
    w, h = size
    inside = np.ones((h, w), np.float32)
    ones = np.ones((h, w), np.float32)
    for H in path:
        inside *= cv2.warpPerspective(ones, np.linalg.inv(H), size, flags=cv2.INTER_NEAREST)
    return cv2.erode(inside, np.ones((2 * erode + 1, 2 * erode + 1), np.uint8))
