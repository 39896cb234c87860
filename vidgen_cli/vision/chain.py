"""Carry a key frame along a video by chained dense flow: the machinery of a flow canvas.

For each new frame, `FlowChain.advance` estimates dense flow (DIS) to the previous frame and back,
keeps the pixels whose forward-backward check holds (occlusion reasoning as in Sundaram, Brox and
Keutzer, "Dense point trajectories by GPU-accelerated large displacement optical flow", 2010),
and composes the step into `coords`: for every pixel of the current frame, where it lies in the key
frame (H x W x 2 float32, x then y, in key-frame pixels). Only coordinates are chained; the key
image is resampled once per frame from those coordinates, so it stays sharp however long the chain.

`valid` (H x W float32 in [0, 1]) is a soft mask: a pixel drops out (and stays out) when it was
occluded or came in from outside the frame. `match` (same shape) says, for the current frame only,
whether the key frame's *original* grey level carried along still matches it (drift, a passing
occluder, a wrong match); `weight()` combines the two with feathered edges. Used by
`vidgen motion propagate`; stylize's FlowCanvas runs the same steps (see its _advance).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vidgen_cli.vision.flow import DISFlow, forward_backward_mask, pixel_grid, to_gray


@dataclass
class ChainSettings:
    flow_preset: str = "medium"  # DIS preset (medium: ~21 ms per pair at 360p, 85 ms at 720p)
    colour_tolerance: float = 20.0  # grey levels (7x7 mean, lightly blurred) between the carried key and the frame
    erode: int = 3  # pixels trimmed off each forward-backward-consistent region (motion edges are unreliable)
    feather: float = 1.5  # Gaussian sigma (pixels) of the soft edge of `weight`
    anchor: bool = True  # re-measure each frame against the key, starting from the chained estimate
    agreement: float = 2.0  # pixels: anchored and chained estimates further apart than this are not trusted
    finest_scale: int = 0  # DIS pyramid level of the anchored measurement: 0 = full resolution (bench/motion.py:
    # 0.18 px mean end-point error over 3 s against 0.23 px at the preset's 1, for 2.2x the time)


class FlowChain:
    """Where each pixel of the latest frame lies in the key frame, and how far to trust it.

    With `anchor` (default), the chained coordinates are only a starting point: DIS is run from the
    current frame straight to the key, initialised with them, so errors do not pile up frame after
    frame (the dense counterpart of tracking against a key frame); a pixel counts as valid while it
    lands inside the key, the two estimates agree and the colours match, and it may come back (after
    an occlusion, or when the camera returns). Without `anchor`, steps are chained with a
    forward-backward check and a pixel that fails once stays out (stylize's canvas).
    """

    FIELDS = ("prev", "key", "coords", "valid", "match")

    def __init__(self, settings: ChainSettings | None = None) -> None:
        self.settings = settings or ChainSettings()
        s = self.settings
        self._flow = DISFlow(s.flow_preset, s.finest_scale if s.anchor else None)
        self._step = DISFlow("fast") if s.anchor else self._flow
        self.prev: np.ndarray | None = None

    def start(self, frame: np.ndarray) -> None:
        """Make `frame` (RGB or grey uint8) the key: identity coordinates, everything valid."""
        gray = to_gray(frame)
        h, w = gray.shape
        self.prev = self.key = gray
        self.coords = pixel_grid(h, w).copy()
        self.valid = np.ones((h, w), np.float32)
        self.match = np.ones((h, w), np.float32)

    def advance(self, frame: np.ndarray) -> None:
        """Move the chain on to `frame`, the next frame in the direction of travel (either way in time)."""
        assert self.prev is not None, "start() first"
        s = self.settings
        gray = to_gray(frame)
        h, w = gray.shape
        grid = pixel_grid(h, w)
        back = self._step(gray, self.prev)  # current -> previous
        map_x, map_y = grid[..., 0] + back[..., 0], grid[..., 1] + back[..., 1]
        chained = cv2.remap(self.coords, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        if s.anchor:
            # where the chain was not trusted (an occluder passed, a failed match) its coordinates
            # followed the wrong thing: predict them from trusted neighbours instead
            trust = cv2.remap(self.valid * self.match, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
            chained = grid + _fill(chained - grid, trust)
            self.coords = grid + self._flow.refine(gray, self.key, chained - grid)
            gap = np.sqrt(np.einsum("ijk,ijk->ij", self.coords - chained, self.coords - chained))
            trusted = np.clip(2 - gap / s.agreement, 0, 1)  # 1 up to half the tolerance, 0 beyond it
        else:
            fwd = self._flow(self.prev, gray)
            ok = forward_backward_mask(back, fwd).astype(np.uint8)
            if s.erode:
                ok = cv2.erode(ok, np.ones((2 * s.erode + 1, 2 * s.erode + 1), np.uint8))
            ok &= ((map_x >= 0) & (map_x <= w - 1) & (map_y >= 0) & (map_y <= h - 1)).astype(np.uint8)
            self.coords = chained
            trusted = cv2.remap(self.valid, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT) * ok
        cx, cy = self.coords[..., 0], self.coords[..., 1]
        inside = (cx >= 0) & (cx <= w - 1) & (cy >= 0) & (cy <= h - 1)
        carried = cv2.remap(self.key, cx, cy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        self.valid = trusted * inside
        self.match = _match(gray, carried, s.colour_tolerance)
        self.prev = gray

    def weight(self) -> np.ndarray:
        """H x W float32 in [0, 1]: `valid` with feathered edges, times how well the carried key
        still matches the current frame (0 where either fails), for blending."""
        return cv2.GaussianBlur(self.valid, (0, 0), self.settings.feather) * self.valid * self.match

    def pull(self, image: np.ndarray, interpolation: int = cv2.INTER_LANCZOS4) -> np.ndarray:
        """`image` (key-frame sized, any channels) resampled onto the current frame, once."""
        return cv2.remap(image, self.coords[..., 0], self.coords[..., 1], interpolation, borderMode=cv2.BORDER_REPLICATE)

    def state_dict(self) -> dict[str, np.ndarray]:
        return {} if self.prev is None else {name: getattr(self, name) for name in self.FIELDS}

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        for name in self.FIELDS:
            setattr(self, name, np.array(state[name]) if name in state else None)


def _match(gray: np.ndarray, carried: np.ndarray, tolerance: float) -> np.ndarray:
    """Soft agreement (H x W float32, 1 = same) of two grey images: 1 below tolerance/2 (7x7 mean
    abs difference), 0 above tolerance. Compared lightly blurred (resampling and sub-pixel detail
    do not count) and without their local means (sigma 6 px), so a soft shadow or a change of
    exposure passing over a surface does not count as a different surface."""
    a = _band(gray)
    b = _band(carried)
    mismatch = cv2.blur(np.abs(a - b), (7, 7))
    return np.clip(2 - 2 * mismatch / tolerance, 0, 1)


def _fill(offsets: np.ndarray, trust: np.ndarray) -> np.ndarray:
    """Offsets (H x W x 2) where `trust` (H x W, 0-1) is high, and elsewhere a trust-weighted mean of
    the surroundings (normalized convolution, Knutsson and Westin 1993), widening until it finds
    trusted pixels."""
    h, w = trust.shape
    filled = offsets.copy()
    missing = trust < 0.5
    if not missing.any() or not (~missing).any():
        return filled
    weight = trust * ~missing
    for sigma in (max(h, w) / 80, max(h, w) / 20, max(h, w) / 5):
        total = cv2.GaussianBlur(weight, (0, 0), sigma)
        mean = cv2.GaussianBlur(offsets * weight[..., None], (0, 0), sigma) / np.maximum(total, 1e-6)[..., None]
        take = missing & (total > 1e-3)
        filled[take] = mean[take]
        missing &= ~take
        if not missing.any():
            break
    return filled


def _band(gray: np.ndarray) -> np.ndarray:
    image = gray.astype(np.float32)
    return cv2.GaussianBlur(image, (0, 0), 1.0) - cv2.GaussianBlur(image, (0, 0), 6.0)
