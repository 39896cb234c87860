"""Camera motion as a path of homographies: sparse feature tracking, fitting, smoothing.

A camera path is an N x 3 x 3 float64 array `H`: `H[k]` maps pixel coordinates of frame 0 to the
same scene point's pixel coordinates in frame k (x, y, 1 column vectors; `H[0]` is the identity).
That is exact for a rotating/zooming camera or a planar scene, and the usual approximation
(Szeliski, "Image Alignment and Stitching", 2006) for the dominant motion otherwise.

Tracking (`KeyframeTracker`): Shi-Tomasi corners (goodFeaturesToTrack) in a key frame are followed
by pyramidal Lucas-Kanade *from the key frame* into each new frame (the previous fit predicts where
they are), kept only when the backward LK lands within half a pixel of the start, and fitted with
findHomography + RANSAC, then least squares on the inliers. Measuring against the key frame rather
than the previous frame means errors do not accumulate frame by frame; they add up only once per
re-key (when too few points survive or the view has turned or zoomed too far from the key).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from vidgen_cli.errors import InputError


class TrackingLost(InputError):
    """Too few scene points could be followed into a frame (featureless, blurred or a cut)."""

    def __init__(self, frame: int, points: int, seconds: float | None = None) -> None:
        when = f"frame {frame}" + (f" ({seconds:.2f} s)" if seconds is not None else "")
        super().__init__(f"tracking lost at {when}: only {points} scene points could be followed; the video is too "
                         f"featureless, blurred or cut there to track the camera (trim it, or pick a textured shot)")
        self.frame, self.points = frame, points


@dataclass
class TrackerSettings:
    max_points: int = 600
    quality: float = 0.005  # goodFeaturesToTrack qualityLevel (relative to the strongest corner)
    min_points: int = 12  # fewer inliers than this: tracking is lost
    rekey_fraction: float = 0.5  # re-key when fewer than this fraction of the key's points survive
    rekey_scale: float = 0.12  # ... or the view has zoomed by more than this since the key
    rekey_angle: float = 8.0  # ... or turned by more than this many degrees
    fb_tolerance: float = 0.5  # pixels: forward-backward LK disagreement allowed
    ransac_px: float = 1.5  # RANSAC reprojection threshold
    margin: float = 0.0  # fraction of each side ignored (e.g. black borders of a stabilized video)


_LK = dict(winSize=(21, 21), maxLevel=4, criteria=(cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 40, 0.005))


class KeyframeTracker:
    """Push grey frames (H x W uint8) in order; `push` returns H[k] (3 x 3 float64, frame 0 -> k).

    A frame the camera cannot be followed into (a flash, a featureless or blurred frame, a cut)
    holds the path: it gets the last frame's H (no motion; identity before the first trackable
    frame), its index goes to `held`, and the next frame is tracked from the key again.
    `push(..., hold=False)` raises TrackingLost (an InputError) with the frame index instead.
    """

    def __init__(self, settings: TrackerSettings | None = None) -> None:
        self.s = settings or TrackerSettings()
        self.index = -1
        self._key: np.ndarray | None = None
        self._last_H = np.eye(3)
        self.held: list[int] = []  # frames whose path was held (tracking lost there)
        self.held_points: list[int] = []  # the scene points that could be followed into each of them

    def _mask(self, gray: np.ndarray) -> np.ndarray | None:
        if self.s.margin <= 0:
            return None
        h, w = gray.shape
        mh, mw = int(h * self.s.margin), int(w * self.s.margin)
        mask = np.zeros_like(gray)
        mask[mh:h - mh, mw:w - mw] = 255
        return mask

    def _rekey(self, gray: np.ndarray, H: np.ndarray) -> None:
        h, w = gray.shape
        spacing = max(5, min(h, w) // 40)
        points = cv2.goodFeaturesToTrack(gray, self.s.max_points, self.s.quality, spacing, mask=self._mask(gray), blockSize=7)
        count = 0 if points is None else len(points)
        if count < self.s.min_points:
            raise TrackingLost(self.index, count)
        self._key, self._key_H = gray, H
        self._key_pts = points.reshape(-1, 2).astype(np.float32)
        self._guess = self._key_pts.copy()
        self._start_count = count
        self._previous = gray

    def push(self, gray: np.ndarray, hold: bool = True) -> np.ndarray:
        self.index += 1
        try:
            return self._push(gray)
        except TrackingLost as lost:
            if not hold:
                raise
            self.held.append(self.index)
            self.held_points.append(lost.points)
            return self._last_H.copy()

    def _push(self, gray: np.ndarray) -> np.ndarray:
        if self._key is None:
            H = self._last_H.copy()
            self._rekey(gray, H)
            self._last_H = H
            return H
        try:
            relative, kept = self._fit(gray)
        except TrackingLost:
            # the key is too far from this frame: start again from the previous frame, whose H is known
            if self._key is self._previous:
                raise
            self._rekey(self._previous, self._last_H)
            relative, kept = self._fit(gray)
        H = relative @ self._key_H
        H /= H[2, 2]
        if kept < max(self.s.min_points, self.s.rekey_fraction * self._start_count) or self._far(relative):
            self._rekey(gray, H)
        self._previous = gray
        self._last_H = H
        return H

    def _fit(self, gray: np.ndarray) -> tuple[np.ndarray, int]:
        """Homography key -> `gray` and the number of inliers."""
        assert self._key is not None
        moved, status, _ = cv2.calcOpticalFlowPyrLK(self._key, gray, self._key_pts, self._guess.copy(),
                                                    flags=cv2.OPTFLOW_USE_INITIAL_FLOW, **_LK)
        back, status_back, _ = cv2.calcOpticalFlowPyrLK(gray, self._key, moved, self._key_pts.copy(),
                                                        flags=cv2.OPTFLOW_USE_INITIAL_FLOW, **_LK)
        h, w = gray.shape
        good = (status.ravel() == 1) & (status_back.ravel() == 1)
        good &= np.linalg.norm(back - self._key_pts, axis=1) < self.s.fb_tolerance
        good &= (moved[:, 0] >= 0) & (moved[:, 0] <= w - 1) & (moved[:, 1] >= 0) & (moved[:, 1] <= h - 1)
        if good.sum() < self.s.min_points:
            raise TrackingLost(self.index, int(good.sum()))
        src, dst = self._key_pts[good], moved[good]
        H, inliers = cv2.findHomography(src, dst, cv2.RANSAC, self.s.ransac_px, maxIters=2000, confidence=0.999)
        if H is None or inliers is None or inliers.sum() < self.s.min_points:
            raise TrackingLost(self.index, 0 if inliers is None else int(inliers.sum()))
        inl = inliers.ravel() == 1
        refined, _ = cv2.findHomography(src[inl], dst[inl], 0)  # least squares on the inliers
        if refined is not None:
            H = refined
        self._guess = cv2.perspectiveTransform(self._key_pts[None], H)[0].astype(np.float32)
        return H, int(inl.sum())

    def _far(self, relative: np.ndarray) -> bool:
        a = relative[:2, :2] / relative[2, 2]
        scale = float(np.sqrt(abs(np.linalg.det(a))))
        angle = float(np.degrees(np.arctan2(a[1, 0] - a[0, 1], a[0, 0] + a[1, 1])))
        return abs(scale - 1) > self.s.rekey_scale or abs(angle) > self.s.rekey_angle


# --------------------------------------------------------------------------- path geometry


def frame_corners(width: int, height: int) -> np.ndarray:
    """4 x 2 float64: the corners of a width x height frame (pixel centres at integers)."""
    return np.array([[0, 0], [width - 1, 0], [width - 1, height - 1], [0, height - 1]], np.float64)


def apply(H: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map P x 2 points through one 3 x 3 homography (or N x P x 2 through N homographies)."""
    H = np.asarray(H, np.float64)
    if H.ndim == 2:
        return apply(H[None], points[None])[0]
    pts = np.concatenate([points, np.ones(points.shape[:-1] + (1,))], -1)
    mapped = np.einsum("nij,npj->npi", H, pts)
    return mapped[..., :2] / mapped[..., 2:3]


def corner_rms(a: np.ndarray, b: np.ndarray, width: int, height: int) -> float:
    """RMS distance (pixels) between the frame corners mapped by two paths (N x 3 x 3 each)."""
    corners = np.broadcast_to(frame_corners(width, height), (len(a), 4, 2))
    return float(np.sqrt(np.mean(np.sum((apply(a, corners) - apply(b, corners)) ** 2, -1))))


def from_corners(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The homography taking 4 source points to 4 target points (3 x 3 float64)."""
    return cv2.getPerspectiveTransform(source.astype(np.float32), target.astype(np.float32)).astype(np.float64)


def scale_path(path: np.ndarray, size: tuple[int, int], new_size: tuple[int, int]) -> np.ndarray:
    """Re-express homographies measured on a `size` (w, h) frame for a `new_size` frame."""
    sx, sy = new_size[0] / size[0], new_size[1] / size[1]
    S = np.diag([sx, sy, 1.0])
    return S @ path @ np.linalg.inv(S)


def gaussian_smooth(values: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian smoothing along axis 0 (sigma in samples). The ends are padded by point reflection
    (2 x0 - x[reflected]), which keeps a steady pan steady up to the last frame instead of bending it."""
    values = np.asarray(values, np.float64)
    if sigma <= 0 or len(values) < 2:
        return values.copy()
    radius = int(np.ceil(3 * sigma))
    offsets = np.arange(-radius, radius + 1)
    kernel = np.exp(-0.5 * (offsets / sigma) ** 2)
    kernel /= kernel.sum()
    flat = values.reshape(len(values), -1)
    padded = flat
    while len(padded) <= radius:  # very short paths: reflect repeatedly
        padded = np.pad(padded, ((len(padded) - 1, len(padded) - 1), (0, 0)), mode="reflect", reflect_type="odd")
    pad = (len(padded) - len(flat)) // 2
    padded = np.pad(padded, ((radius, radius), (0, 0)), mode="reflect", reflect_type="odd")
    out = np.stack([np.convolve(padded[:, i], kernel, mode="valid") for i in range(flat.shape[1])], -1)
    return out[pad:pad + len(flat)].reshape(values.shape)


def jitter_rms(path: np.ndarray, width: int, height: int, sigma: float, box: float = 0.0) -> float:
    """Residual jitter of a camera path (pixels, RMS): the frame-to-frame motion H[k] H[k-1]^-1 of
    four points of frame k-1 (the frame corners, or with `box` > 0 the corners of the box inset by
    that fraction of each side) minus its Gaussian-smoothed (sigma in frames) version."""
    corners = frame_corners(width, height)
    if box > 0:
        corners = corners + (np.array([[1, 1], [-1, 1], [-1, -1], [1, -1]]) * box * np.array([width - 1, height - 1]))
    steps = path[1:] @ np.linalg.inv(path[:-1])
    moves = apply(steps, np.broadcast_to(corners, (len(steps), 4, 2))) - corners
    return float(np.sqrt(np.mean(np.sum((moves - gaussian_smooth(moves, sigma)) ** 2, -1))))
